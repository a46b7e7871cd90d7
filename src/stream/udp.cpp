#include "sockit/stream/udp.hpp"

#include <sys/socket.h>

#include <utility>

namespace sockit {
namespace {

Status apply_udp_options(int fd, int domain, const UdpOptions& options) {
  if (options.reuse_addr) {
    if (auto s = set_reuse_addr(fd, true); !s) return s;
  }
  if (options.reuse_port) {
    if (auto s = set_reuse_port(fd, true); !s) return s;
  }
  if (options.broadcast) {
    if (auto s = set_broadcast(fd, true); !s) return s;
  }
  if (domain == AF_INET6) return set_v6_only(fd, !options.dual_stack);
  return {};
}

}  // namespace

Result<UdpSocket> UdpSocket::open(Family family, const UdpOptions& options) {
  const int domain = family == Family::v4 ? AF_INET : AF_INET6;
  auto fd = open_socket(domain, SOCK_DGRAM);
  if (!fd) return fail(fd.error());
  if (auto s = apply_udp_options(fd->get(), domain, options); !s) return fail(s.error());
  return UdpSocket(std::move(*fd));
}

Result<UdpSocket> UdpSocket::bind(const Endpoint& at, const UdpOptions& options) {
  if (!at.is_ip()) return fail(Errc::invalid_endpoint);
  auto addr = at.to_sockaddr();
  if (!addr) return fail(addr.error());
  auto socket = open(at.address().family(), options);
  if (!socket) return socket;
  if (::bind(socket->fd(), addr->get(), addr->len) < 0) return fail(sys_error());
  return socket;
}

Status UdpSocket::connect(const Endpoint& peer) {
  if (!peer.is_ip()) return fail(Errc::invalid_endpoint);
  auto addr = peer.to_sockaddr();
  if (!addr) return fail(addr.error());
  // A datagram connect only records the peer: it completes at once, there is nothing to wait for.
  return connect_socket(fd_.get(), *addr);
}

Result<std::size_t> UdpSocket::send(std::span<const std::byte> data, Deadline deadline) {
  return send_datagram(fd_.get(), data, deadline);
}

Result<std::size_t> UdpSocket::send_to(std::span<const std::byte> data, const Endpoint& to,
                                       Deadline deadline) {
  if (!to.is_ip()) return fail(Errc::invalid_endpoint);
  return send_datagram_to(fd_.get(), data, to, deadline);
}

Result<Datagram> UdpSocket::recv(std::span<std::byte> buffer, Deadline deadline) {
  return recv_datagram(fd_.get(), buffer, deadline);
}

Result<Datagram> UdpSocket::recv_from(std::span<std::byte> buffer, Deadline deadline) {
  return recv_datagram(fd_.get(), buffer, deadline);
}

Result<Endpoint> UdpSocket::local_endpoint() const {
  return sockit::local_endpoint(fd_.get());
}
Result<Endpoint> UdpSocket::peer_endpoint() const {
  return sockit::peer_endpoint(fd_.get());
}

}  // namespace sockit
