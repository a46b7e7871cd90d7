#include "sockit/stream/rfcomm.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "sockit/sys/accept.hpp"

namespace sockit {
namespace {

Result<UniqueFd> open_rfcomm(const Endpoint& at) {
  if (!at.is_bluetooth()) return fail(Errc::invalid_endpoint);
  return open_socket(at.domain(), SOCK_STREAM, at.protocol());
}

}  // namespace

Result<RfcommStream> RfcommStream::connect(const Endpoint& to, Deadline deadline) {
  auto fd = open_rfcomm(to);
  if (!fd) return fail(fd.error());
  auto addr = to.to_sockaddr();
  if (!addr) return fail(addr.error());
  if (auto done = connect_socket(fd->get(), *addr, deadline); !done) return fail(done.error());
  return RfcommStream(std::move(*fd));
}

Result<std::size_t> RfcommStream::read_some(std::span<std::byte> buffer, Deadline deadline) {
  return sockit::read_some(fd_.get(), buffer, deadline);
}
Result<std::size_t> RfcommStream::write_some(std::span<const std::byte> data, Deadline deadline) {
  return sockit::write_some(fd_.get(), data, deadline);
}
Status RfcommStream::shutdown(ShutdownHow how) {
  return sockit::shutdown(fd_.get(), how);
}
Result<Endpoint> RfcommStream::peer_endpoint() const {
  return sockit::peer_endpoint(fd_.get());
}

Result<RfcommListener> RfcommListener::bind(const Endpoint& at, int backlog) {
  auto fd = open_rfcomm(at);
  if (!fd) return fail(fd.error());
  auto addr = at.to_sockaddr();
  if (!addr) return fail(addr.error());
  if (::bind(fd->get(), addr->get(), addr->len) < 0) return fail(sys_error());
  if (::listen(fd->get(), backlog) < 0) return fail(sys_error());
  return RfcommListener(std::move(*fd));
}

Result<RfcommStream> RfcommListener::accept(Deadline deadline) {
  auto conn = accept_wait(fd_.get(), deadline);
  if (!conn) return fail(conn.error());
  return RfcommStream(std::move(*conn));
}

Result<Endpoint> RfcommListener::local_endpoint() const {
  return sockit::local_endpoint(fd_.get());
}

}  // namespace sockit
