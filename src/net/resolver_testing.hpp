// The resolver's test seam: not installed, not public API. Tests reach it as
// "net/resolver_testing.hpp" (src/ is on their include path).
#pragma once

#include <netdb.h>

#include <cstddef>

namespace sockit {

namespace detail {
/// The blocking lookup the resolver calls (::getaddrinfo unless replaced). Tests replace it with
/// a slow function to exercise deadlines and the thread bound; pass nullptr to restore.
using GetAddrInfoFn = int (*)(const char* host, const char* service, const addrinfo* hints,
                              addrinfo** result);
void set_getaddrinfo_for_testing(GetAddrInfoFn fn) noexcept;
/// Resolver worker threads alive now (running or abandoned), never above kMaxLookupThreads.
std::size_t lookup_threads_alive() noexcept;
}  // namespace detail

}  // namespace sockit
