// UDP: UdpSocket, bound or not, connected or not. Owns its descriptor (move-only), which is
// O_NONBLOCK | CLOEXEC: blocking calls wait with poll() until their Deadline (socket.hpp).
// Thread-safety: one object, one thread at a time.
//
// Truncation: recv/recv_from return a Datagram {size, real_size, truncated, from}: a datagram
// larger than the buffer is cut by the kernel, and the caller sees truncated = true and the real
// size rather than an error (turn it into Errc::truncated_datagram if the protocol demands it).
//
// Connected UDP: after connect(), only the peer's datagrams are received, and an ICMP
// port-unreachable provoked by a send is reported by the next recv/send as
// std::errc::connection_refused (an unconnected socket never sees it).
#pragma once

#include <cstddef>
#include <span>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/net/address.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {

struct UdpOptions {
  bool reuse_addr = false;  ///< SO_REUSEADDR
  bool reuse_port = false;  ///< SO_REUSEPORT: several sockets share the port (load balancing)
  bool broadcast = false;   ///< SO_BROADCAST: allow send_to a broadcast address
  bool dual_stack = false;  ///< for [::]: also receive IPv4 (IPV6_V6ONLY off); set explicitly
};

class UdpSocket {
 public:
  UdpSocket() = default;  ///< empty; a target for move-assignment

  /// An unbound socket of `family`; the kernel picks a local port on the first send.
  [[nodiscard]] static Result<UdpSocket> open(Family family, const UdpOptions& options = {});
  /// A socket bound to `at` (port 0: the kernel chooses; read it back with local_endpoint()).
  [[nodiscard]] static Result<UdpSocket> bind(const Endpoint& at, const UdpOptions& options = {});

  /// Sets the default peer (no packet is sent, nothing blocks) and filters incoming datagrams.
  [[nodiscard]] Status connect(const Endpoint& peer);

  /// One datagram to the connected peer; returns the bytes sent (all of them, or an error:
  /// EMSGSIZE when larger than the protocol allows).
  [[nodiscard]] Result<std::size_t> send(std::span<const std::byte> data, Deadline deadline = {});
  [[nodiscard]] Result<std::size_t> send_to(std::span<const std::byte> data, const Endpoint& to,
                                            Deadline deadline = {});
  /// One datagram, from the connected peer (the same call as recv_from; `from` is filled).
  [[nodiscard]] Result<Datagram> recv(std::span<std::byte> buffer, Deadline deadline = {});
  [[nodiscard]] Result<Datagram> recv_from(std::span<std::byte> buffer, Deadline deadline = {});

  [[nodiscard]] Result<Endpoint> local_endpoint() const;
  [[nodiscard]] Result<Endpoint> peer_endpoint() const;
  int fd() const noexcept { return fd_.get(); }
  bool valid() const noexcept { return fd_.valid(); }
  /// Gives the descriptor away; the socket becomes empty.
  UniqueFd release() noexcept { return std::move(fd_); }

 private:
  explicit UdpSocket(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace sockit
