// accept4(2) written once: every listener in sockit (TcpListener, UnixListener, RfcommListener
// and the servers' Acceptor) takes its connections through these two calls.
//
// Every accepted descriptor is SOCK_NONBLOCK | SOCK_CLOEXEC (see socket.hpp's blocking model).
// EINTR is retried, and so is ECONNABORTED: a queued peer that reset before it was taken is
// gone, and the next one may be fine. Everything else is returned as it is, so a caller can
// tell "nothing queued" (would_block(), sys/io.hpp) from descriptor exhaustion (EMFILE,
// ENFILE, ENOBUFS, ENOMEM: see is_out_of_descriptors) and handle each its own way.
//
// Thread rule: reentrant; the listener is not owned.
#pragma once

#include <system_error>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/core/unique_fd.hpp"
#include "sockit/net/endpoint.hpp"

namespace sockit {

/// One accept4() that never waits. `peer` (if given) receives the peer's address, its `len`
/// set by the kernel. An empty queue gives "would block"
/// (std::errc::resource_unavailable_try_again).
[[nodiscard]] Result<UniqueFd> try_accept(int listener, SockAddr* peer = nullptr);

/// try_accept(), waiting with poll() while the queue is empty, until `deadline` passes
/// (Errc::deadline_passed, as wait_ready reports it).
[[nodiscard]] Result<UniqueFd> accept_wait(int listener, Deadline deadline = {},
                                           SockAddr* peer = nullptr);

/// True for the accept errors that mean "this process (or the system) has no descriptor or
/// memory left for another socket": EMFILE, ENFILE, ENOBUFS, ENOMEM. A server should stop
/// accepting for a while (or refuse with a reserve descriptor) instead of spinning.
[[nodiscard]] bool is_out_of_descriptors(const std::error_code& ec) noexcept;

}  // namespace sockit
