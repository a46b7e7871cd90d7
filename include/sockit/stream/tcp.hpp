// TCP: TcpStream (a connected socket) and TcpListener (a listening one).
//
// Both own their descriptor (a UniqueFd, so they are move-only and the destructor closes), and
// the descriptor is always O_NONBLOCK | CLOEXEC: blocking calls wait with poll() until their
// Deadline (see socket.hpp, "Blocking model"), and fd() can be handed to an event loop as is.
// Thread-safety: one object, one thread at a time (like a plain int); distinct objects are
// independent. Nothing here raises SIGPIPE (MSG_NOSIGNAL) and EINTR is retried inside.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <functional>
#include <span>
#include <string_view>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/net/resolver.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {

/// One connection attempt and how it ended, reported to ConnectOptions::observer.
struct ConnectAttempt {
  Endpoint endpoint;
  /// Empty: connected (the winner). Errc::cancelled: abandoned because another attempt won.
  /// std::errc::timed_out: the overall deadline passed. Otherwise the connect error.
  std::error_code result;
  Clock::duration elapsed{};  ///< from this attempt's start to its outcome
};
using ConnectObserver = std::function<void(const ConnectAttempt&)>;

/// How TcpStream::connect(host, service, ...) tries the resolved addresses.
struct ConnectOptions {
  FamilyHint family = FamilyHint::any;
  /// ONE deadline for resolving and every attempt together.
  Deadline deadline{};
  /// RFC 8305 Happy Eyeballs: interleave IPv6/IPv4 addresses and start the next attempt when the
  /// previous fails or after `attempt_delay`, keeping earlier attempts running; the first to
  /// connect wins and the rest are closed. Off: one address at a time, in resolver order, each
  /// until it fails (all under the one deadline).
  bool happy_eyeballs = true;
  /// RFC 8305's "Connection Attempt Delay" (250 ms recommended). Values below 10 ms are raised
  /// to 10 ms, the lower bound the RFC requires so that a burst of SYNs cannot be sent at once.
  Millis attempt_delay{250};
  /// Called on the calling thread once per address tried, when its outcome is known. Must not
  /// throw.
  ConnectObserver observer{};
};

/// A connected TCP socket; models ByteStream (stream.hpp), so io.hpp's send_all / recv_exact /
/// recv_until take it directly.
class TcpStream {
 public:
  /// An empty stream (no descriptor); useful only as a target for move-assignment.
  TcpStream() = default;

  /// Connects to one endpoint. std::errc::timed_out if the deadline passes first.
  [[nodiscard]] static Result<TcpStream> connect(const Endpoint& to, Deadline deadline = {});
  /// Resolves host/service and tries every address (see ConnectOptions). If every attempt fails,
  /// returns the most informative error: connection refused (a host answered) over unreachable
  /// or reset, over a timeout, over "this family does not work here" (ENETUNREACH,
  /// EADDRNOTAVAIL, EAFNOSUPPORT). Resolver errors are returned as they are.
  [[nodiscard]] static Result<TcpStream> connect(std::string_view host, std::string_view service,
                                                 const ConnectOptions& options = {});
  /// Same, over endpoints already resolved (options.family filters them; their order is kept
  /// apart from Happy Eyeballs' interleaving). Errc::no_addresses if none is left.
  [[nodiscard]] static Result<TcpStream> connect(std::span<const Endpoint> candidates,
                                                 const ConnectOptions& options = {});
  /// Adopts a connected socket (e.g. from an event loop's accept): makes it O_NONBLOCK.
  [[nodiscard]] static Result<TcpStream> from_fd(UniqueFd fd);

  /// One read: bytes read, 0 at EOF. See sockit::read_some.
  [[nodiscard]] Result<std::size_t> read_some(std::span<std::byte> buffer, Deadline deadline = {});
  /// One send (MSG_NOSIGNAL): bytes queued, possibly fewer than asked. See sockit::write_some.
  [[nodiscard]] Result<std::size_t> write_some(std::span<const std::byte> data,
                                               Deadline deadline = {});
  /// shutdown(write) sends FIN: the peer reads EOF once it has read what was sent.
  [[nodiscard]] Status shutdown(ShutdownHow how);

  [[nodiscard]] Result<Endpoint> local_endpoint() const;
  [[nodiscard]] Result<Endpoint> peer_endpoint() const;

  int fd() const noexcept { return fd_.get(); }
  bool valid() const noexcept { return fd_.valid(); }
  /// Gives the descriptor away; the stream becomes empty.
  UniqueFd release() noexcept { return std::move(fd_); }

 private:
  friend class TcpListener;  // builds streams from accept4's descriptors
  explicit TcpStream(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

struct ListenOptions {
  int backlog = SOMAXCONN;  ///< listen() queue length (the kernel clamps it to somaxconn)
  bool reuse_addr = true;   ///< SO_REUSEADDR: restart without waiting for TIME_WAIT to clear
  bool reuse_port = false;  ///< SO_REUSEPORT: several listeners share the port
  /// For an IPv6 endpoint: false (default) sets IPV6_V6ONLY, so [::] accepts IPv6 only; true
  /// clears it, so [::] also accepts IPv4 (peers then appear as ::ffff:a.b.c.d). Set explicitly
  /// either way, so the result does not depend on net.ipv6.bindv6only.
  bool dual_stack = false;
};

struct Accepted {
  TcpStream stream;
  Endpoint peer;
};

class TcpListener {
 public:
  TcpListener() = default;  ///< empty; a target for move-assignment

  /// socket + options + bind + listen. Port 0 lets the kernel choose: read it back with
  /// local_endpoint(). EADDRINUSE if the port is taken (and not shared via reuse_port).
  [[nodiscard]] static Result<TcpListener> bind(const Endpoint& at,
                                                const ListenOptions& options = {});

  /// Waits for a connection until the deadline (std::errc::timed_out). The new stream is
  /// O_NONBLOCK | CLOEXEC (accept4). ECONNABORTED (the peer left while queued) is skipped.
  [[nodiscard]] Result<Accepted> accept(Deadline deadline = {});
  /// Never blocks: for an event loop that saw fd() readable. When nothing is queued returns
  /// std::errc::resource_unavailable_try_again (EAGAIN), which is not a failure of the listener.
  [[nodiscard]] Result<Accepted> try_accept();

  [[nodiscard]] Result<Endpoint> local_endpoint() const;
  int fd() const noexcept { return fd_.get(); }
  bool valid() const noexcept { return fd_.valid(); }
  /// Gives the listening descriptor away (e.g. to an event loop); the listener becomes empty.
  UniqueFd release() noexcept { return std::move(fd_); }

 private:
  explicit TcpListener(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace sockit
