#include "sockit/stream/unix.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "sockit/sys/accept.hpp"
#include "sys/socket_internal.hpp"

namespace sockit {
namespace {

Result<SockAddr> to_addr(const UnixPath& path) {
  return Endpoint(path).to_sockaddr();
}

/// Removes a socket file that nothing accepts on any more. Leaves other files, live sockets and
/// abstract names (which vanish on their own) alone.
Status remove_if_stale(const UnixPath& path, const SockAddr& addr, int type) {
  if (path.is_abstract()) return {};
  struct stat st {};
  if (::lstat(path.path.c_str(), &st) < 0) return errno == ENOENT ? Status{} : fail(sys_error());
  if (!S_ISSOCK(st.st_mode)) return {};  // not a socket: bind() reports EADDRINUSE
  auto probe = open_socket(AF_UNIX, type);
  if (!probe) return fail(probe.error());
  auto connected = start_connect(probe->get(), addr);
  if (connected || connected.error() != std::errc::connection_refused) return {};  // alive
  if (::unlink(path.path.c_str()) < 0 && errno != ENOENT) return fail(sys_error());
  return {};
}

Result<UniqueFd> bind_path(const UnixPath& path, int type, const UnixBindOptions& options) {
  auto addr = to_addr(path);
  if (!addr) return fail(addr.error());
  if (options.remove_stale) {
    if (auto removed = remove_if_stale(path, *addr, type); !removed) return fail(removed.error());
  }
  auto fd = open_socket(AF_UNIX, type);
  if (!fd) return fail(fd.error());
  if (::bind(fd->get(), addr->get(), addr->len) < 0) return fail(sys_error());
  return fd;
}

Result<std::pair<UniqueFd, UniqueFd>> socket_pair(int type) {
  int sv[2];
  if (::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
    return fail(sys_error());
  }
  return std::pair{UniqueFd(sv[0]), UniqueFd(sv[1])};
}

}  // namespace

// ---- UnixStream ------------------------------------------------------------------------------

Result<UnixStream> UnixStream::connect(const UnixPath& path, Deadline deadline) {
  auto addr = to_addr(path);
  if (!addr) return fail(addr.error());
  auto fd = open_socket(AF_UNIX, SOCK_STREAM);
  if (!fd) return fail(fd.error());
  // A non-blocking AF_UNIX connect to a full listen queue fails with EAGAIN instead of waiting,
  // and poll() cannot tell us when the queue drains: retry with a short, growing sleep.
  auto pause = Millis(1);
  for (;;) {
    auto started = start_connect(fd->get(), *addr);
    if (started) {
      if (!*started) {
        if (auto done = connect_socket(fd->get(), *addr, deadline); !done)
          return fail(done.error());
      }
      return UnixStream(std::move(*fd));
    }
    if (started.error() != std::errc::resource_unavailable_try_again) return fail(started.error());
    if (deadline.expired()) return fail(Errc::deadline_passed);
    auto left = std::chrono::duration_cast<Millis>(deadline.at() - Clock::now());
    std::this_thread::sleep_for(deadline.is_never() ? pause : std::min(pause, left));
    pause = std::min(pause * 2, Millis(50));
  }
}

Result<std::pair<UnixStream, UnixStream>> UnixStream::pair() {
  auto fds = socket_pair(SOCK_STREAM);
  if (!fds) return fail(fds.error());
  return std::pair{UnixStream(std::move(fds->first)), UnixStream(std::move(fds->second))};
}

Result<UnixStream> UnixStream::from_fd(UniqueFd fd) {
  auto adopted = detail::adopt_stream_fd(std::move(fd));
  if (!adopted) return fail(adopted.error());
  return UnixStream(std::move(*adopted));
}

Result<std::size_t> UnixStream::read_some(std::span<std::byte> buffer, Deadline deadline) {
  return sockit::read_some(fd_.get(), buffer, deadline);
}
Result<std::size_t> UnixStream::write_some(std::span<const std::byte> data, Deadline deadline) {
  return sockit::write_some(fd_.get(), data, deadline);
}
Status UnixStream::shutdown(ShutdownHow how) {
  return sockit::shutdown(fd_.get(), how);
}
Result<Endpoint> UnixStream::local_endpoint() const {
  return sockit::local_endpoint(fd_.get());
}
Result<Endpoint> UnixStream::peer_endpoint() const {
  return sockit::peer_endpoint(fd_.get());
}

// ---- the socket file a listener or datagram socket owns ---------------------------------------

namespace detail {

UnixSocketFile::UnixSocketFile(UnixSocketFile&& other) noexcept
    : fd_(std::move(other.fd_)),
      path_(std::move(other.path_)),
      unlink_on_close_(std::exchange(other.unlink_on_close_, false)) {}

UnixSocketFile& UnixSocketFile::operator=(UnixSocketFile&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::move(other.fd_);
    path_ = std::move(other.path_);
    unlink_on_close_ = std::exchange(other.unlink_on_close_, false);
  }
  return *this;
}

UnixSocketFile::~UnixSocketFile() {
  close();
}

/// Removes the file first, then closes: the other order would let another process bind the
/// path in between and lose its file to us.
void UnixSocketFile::close() noexcept {
  if (fd_.valid() && unlink_on_close_ && !path_.is_abstract() && !path_.path.empty()) {
    ::unlink(path_.path.c_str());
  }
  fd_.reset();
}

}  // namespace detail

// ---- UnixListener ----------------------------------------------------------------------------

Result<UnixListener> UnixListener::bind(const UnixPath& path, const UnixBindOptions& options) {
  auto fd = bind_path(path, SOCK_STREAM, options);
  if (!fd) return fail(fd.error());
  UnixListener listener(std::move(*fd), path, options.unlink_on_close);
  if (::listen(listener.fd(), options.backlog) < 0) return fail(sys_error());
  return listener;
}

Result<UnixStream> UnixListener::try_accept() {
  auto conn = sockit::try_accept(fd());
  if (!conn) return fail(conn.error());
  return UnixStream(std::move(*conn));
}

Result<UnixStream> UnixListener::accept(Deadline deadline) {
  auto conn = accept_wait(fd(), deadline);
  if (!conn) return fail(conn.error());
  return UnixStream(std::move(*conn));
}

// ---- UnixDatagram ----------------------------------------------------------------------------

Result<UnixDatagram> UnixDatagram::open() {
  auto fd = open_socket(AF_UNIX, SOCK_DGRAM);
  if (!fd) return fail(fd.error());
  return UnixDatagram(std::move(*fd), UnixPath{}, false);
}

Result<UnixDatagram> UnixDatagram::bind(const UnixPath& path, const UnixBindOptions& options) {
  auto fd = bind_path(path, SOCK_DGRAM, options);
  if (!fd) return fail(fd.error());
  return UnixDatagram(std::move(*fd), path, options.unlink_on_close);
}

Result<std::pair<UnixDatagram, UnixDatagram>> UnixDatagram::pair() {
  auto fds = socket_pair(SOCK_DGRAM);
  if (!fds) return fail(fds.error());
  return std::pair{UnixDatagram(std::move(fds->first), UnixPath{}, false),
                   UnixDatagram(std::move(fds->second), UnixPath{}, false)};
}

Status UnixDatagram::connect(const UnixPath& peer) {
  auto addr = to_addr(peer);
  if (!addr) return fail(addr.error());
  return connect_socket(fd(), *addr);
}

Result<std::size_t> UnixDatagram::send(std::span<const std::byte> data, Deadline deadline) {
  return send_datagram(fd(), data, deadline);
}
Result<std::size_t> UnixDatagram::send_to(std::span<const std::byte> data, const UnixPath& to,
                                          Deadline deadline) {
  return send_datagram_to(fd(), data, Endpoint(to), deadline);
}
Result<Datagram> UnixDatagram::recv(std::span<std::byte> buffer, Deadline deadline) {
  return recv_datagram(fd(), buffer, deadline);
}
Result<Datagram> UnixDatagram::recv_from(std::span<std::byte> buffer, Deadline deadline) {
  return recv_datagram(fd(), buffer, deadline);
}
Result<Endpoint> UnixDatagram::local_endpoint() const {
  return sockit::local_endpoint(fd());
}

}  // namespace sockit
