#include "sockit/stream/tcp.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "sockit/sys/accept.hpp"
#include "sys/socket_internal.hpp"

namespace sockit {

// ---- TcpStream -------------------------------------------------------------------------------

Result<TcpStream> TcpStream::connect(const Endpoint& to, Deadline deadline) {
  if (!to.is_ip()) return fail(Errc::invalid_endpoint);
  auto addr = to.to_sockaddr();
  if (!addr) return fail(addr.error());
  auto fd = open_socket(to.domain(), SOCK_STREAM);
  if (!fd) return fail(fd.error());
  if (auto done = connect_socket(fd->get(), *addr, deadline); !done) return fail(done.error());
  return TcpStream(std::move(*fd));
}

Result<TcpStream> TcpStream::from_fd(UniqueFd fd) {
  auto adopted = detail::adopt_stream_fd(std::move(fd));
  if (!adopted) return fail(adopted.error());
  return TcpStream(std::move(*adopted));
}

Result<std::size_t> TcpStream::read_some(std::span<std::byte> buffer, Deadline deadline) {
  return sockit::read_some(fd_.get(), buffer, deadline);
}

Result<std::size_t> TcpStream::write_some(std::span<const std::byte> data, Deadline deadline) {
  return sockit::write_some(fd_.get(), data, deadline);
}

Status TcpStream::shutdown(ShutdownHow how) {
  return sockit::shutdown(fd_.get(), how);
}

Result<Endpoint> TcpStream::local_endpoint() const {
  return sockit::local_endpoint(fd_.get());
}
Result<Endpoint> TcpStream::peer_endpoint() const {
  return sockit::peer_endpoint(fd_.get());
}

// ---- TcpListener -----------------------------------------------------------------------------

namespace {

Status apply_listen_options(int fd, const Endpoint& at, const ListenOptions& options) {
  if (options.reuse_addr) {
    if (auto s = set_reuse_addr(fd, true); !s) return s;
  }
  if (options.reuse_port) {
    if (auto s = set_reuse_port(fd, true); !s) return s;
  }
  if (at.domain() == AF_INET6) return set_v6_only(fd, !options.dual_stack);
  return {};
}

}  // namespace

Result<TcpListener> TcpListener::bind(const Endpoint& at, const ListenOptions& options) {
  if (!at.is_ip()) return fail(Errc::invalid_endpoint);
  auto addr = at.to_sockaddr();
  if (!addr) return fail(addr.error());
  auto fd = open_socket(at.domain(), SOCK_STREAM);
  if (!fd) return fail(fd.error());
  if (auto s = apply_listen_options(fd->get(), at, options); !s) return fail(s.error());
  if (::bind(fd->get(), addr->get(), addr->len) < 0) return fail(sys_error());
  if (::listen(fd->get(), options.backlog) < 0) return fail(sys_error());
  return TcpListener(std::move(*fd));
}

Result<Accepted> TcpListener::try_accept() {
  SockAddr peer;
  auto conn = sockit::try_accept(fd_.get(), &peer);
  if (!conn) return fail(conn.error());
  auto endpoint = Endpoint::from_sockaddr(peer.get(), peer.len);
  if (!endpoint) return fail(endpoint.error());
  return Accepted{TcpStream(std::move(*conn)), std::move(*endpoint)};
}

Result<Accepted> TcpListener::accept(Deadline deadline) {
  SockAddr peer;
  auto conn = accept_wait(fd_.get(), deadline, &peer);
  if (!conn) return fail(conn.error());
  auto endpoint = Endpoint::from_sockaddr(peer.get(), peer.len);
  if (!endpoint) return fail(endpoint.error());
  return Accepted{TcpStream(std::move(*conn)), std::move(*endpoint)};
}

Result<Endpoint> TcpListener::local_endpoint() const {
  return sockit::local_endpoint(fd_.get());
}

}  // namespace sockit
