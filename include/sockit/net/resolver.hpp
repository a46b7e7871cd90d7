// Name resolution with deadlines: host + service -> every Endpoint (A and AAAA), and address ->
// name (getnameinfo). Stateless from the caller's view; thread-safe (any thread may call).
//
// Order: the endpoints come back in getaddrinfo's order (RFC 6724 destination address
// selection, tuned by /etc/gai.conf), with duplicates removed (first occurrence kept).
//
// Fast paths that never call the system resolver and never block:
//  * a literal address ("127.0.0.1", "::1", "[::1]", "fe80::1%eth0") with a numeric service;
//    a literal with a service *name* ("http") calls getaddrinfo with AI_NUMERICHOST, which reads
//    /etc/services but sends no DNS query;
//  * "localhost", "localhost." and any "*.localhost" name (RFC 6761 section 6.3, as curl and
//    browsers do): ::1 (only if this machine has IPv6 loopback) then 127.0.0.1, in RFC 6724
//    order. Many /etc/hosts files map localhost to 127.0.0.1 only, which would hide the IPv6
//    loopback from dual-stack code. Set ResolveOptions::builtin_localhost = false to ask
//    /etc/hosts instead.
//
// Deadlines, and how a late getaddrinfo is abandoned without leaking:
//   getaddrinfo() cannot be cancelled or given a timeout. With a finite deadline the lookup runs
//   on a detached worker thread. The worker and the caller share the lookup's state through a
//   std::shared_ptr; the caller waits on a condition variable until the result arrives or the
//   deadline passes, and in the latter case returns Errc::resolve_timed_out and drops its
//   reference. The worker finishes getaddrinfo in its own time, frees the addrinfo list, and the
//   last of the two references frees the state. Nothing is leaked and nothing outlives its owner.
//   At most kMaxLookupThreads workers exist at once (running or abandoned); a caller that finds
//   them all busy waits for a free slot within its own deadline (then resolve_timed_out), so a
//   dead DNS server cannot make the process pile up threads.
//   With Deadline::never() the lookup runs on the calling thread: no thread is started.
//
//   Why not glibc's getaddrinfo_a + gai_cancel: gai_cancel only removes requests that have not
//   started yet (EAI_NOTCANCELED otherwise), so an abandoned in-flight request would still need
//   its gaicb and buffers kept alive and freed from a completion callback - the same ownership
//   problem, solved inside glibc's own unbounded helper-thread pool, and not portable beyond
//   glibc (musl has no getaddrinfo_a). The worker design is portable and its bound is ours.
//
// Errors: getaddrinfo's failures are gai_category() codes with the OS's own text, e.g.
// EAI_NONAME "Name or service not known" for "www.abc.invalid"; EAI_SYSTEM becomes the errno it
// carries. Errc::resolve_timed_out when the deadline passes, Errc::no_addresses when a lookup
// yields no IPv4/IPv6 address, Errc::invalid_port for an all-digit service above 65535 (which
// glibc's getaddrinfo would silently wrap, "65536" becoming port 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/net/address.hpp"
#include "sockit/net/endpoint.hpp"

struct addrinfo;

namespace sockit {

/// Which address families a lookup may return.
enum class FamilyHint : std::uint8_t {
  any,  ///< AF_UNSPEC: IPv4 and IPv6
  v4,   ///< AF_INET only
  v6,   ///< AF_INET6 only
};

/// Which transport the service name is looked up for ("domain" is 53 for both, but a few
/// services exist for one protocol only).
enum class Transport : std::uint8_t { tcp, udp };

struct ResolveOptions {
  FamilyHint family = FamilyHint::any;
  Transport transport = Transport::tcp;
  /// For binding: an empty host means the wildcard addresses (0.0.0.0, ::) instead of loopback.
  bool passive = false;
  /// Answer "localhost" and "*.localhost" with the loopback addresses (see above).
  bool builtin_localhost = true;
  /// One deadline for the whole lookup.
  Deadline deadline{};
};

/// The most resolver worker threads alive at once (see the header comment).
inline constexpr std::size_t kMaxLookupThreads = 16;

/// All endpoints for `host` and `service` (a port number or a service name; empty means port 0).
/// `host` may be a name, an address literal, or empty (wildcard with `passive`, else loopback).
[[nodiscard]] Result<std::vector<Endpoint>> resolve(std::string_view host, std::string_view service,
                                                    const ResolveOptions& options = {});

/// The host name for an address (getnameinfo with NI_NAMEREQD): e.g. "localhost" for 127.0.0.1
/// from /etc/hosts. EAI_NONAME when the address has no name. Same deadline design as resolve().
[[nodiscard]] Result<std::string> reverse_lookup(const IpAddress& address, Deadline deadline = {});

}  // namespace sockit
