// Unix domain sockets: UnixStream, UnixListener and UnixDatagram.
//
// Paths are UnixPath values: a filesystem path, or "@name" for a Linux abstract name (no file;
// the name disappears with the last socket bound to it). Each object owns its descriptor
// (move-only), which is O_NONBLOCK | CLOEXEC: blocking calls wait with poll() until their
// Deadline (socket.hpp). Thread-safety: one object, one thread at a time.
//
// Socket files: bind() fails with EADDRINUSE if the path exists, even when the old socket is
// dead. `remove_stale` removes it first, but only if it is a socket and nothing accepts on it
// (a probe connect is refused); anything else at that path is left alone. `unlink_on_close`
// removes the file this object created when it is destroyed.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <span>
#include <utility>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {

namespace detail {

/// A descriptor and the socket file it was bound to, which it removes on close when asked to:
/// the state UnixListener and UnixDatagram share. Move-only; moving hands the file over, and
/// the moved-from object no longer removes it.
class UnixSocketFile {
 public:
  UnixSocketFile() = default;
  UnixSocketFile(UniqueFd fd, UnixPath path, bool unlink_on_close) noexcept
      : fd_(std::move(fd)), path_(std::move(path)), unlink_on_close_(unlink_on_close) {}
  UnixSocketFile(UnixSocketFile&& other) noexcept;
  UnixSocketFile& operator=(UnixSocketFile&& other) noexcept;
  ~UnixSocketFile();

  const UniqueFd& fd() const noexcept { return fd_; }
  const UnixPath& path() const noexcept { return path_; }

 private:
  void close() noexcept;
  UniqueFd fd_;
  UnixPath path_;
  bool unlink_on_close_ = false;
};

}  // namespace detail

/// A connected Unix stream socket; models ByteStream (stream.hpp), like TcpStream.
class UnixStream {
 public:
  UnixStream() = default;  ///< empty; a target for move-assignment

  /// Connects to a listening path. A full listen queue (EAGAIN) is retried until the deadline,
  /// then std::errc::timed_out; no listener is ECONNREFUSED, no file ENOENT.
  [[nodiscard]] static Result<UnixStream> connect(const UnixPath& path, Deadline deadline = {});
  /// Two connected streams (socketpair).
  [[nodiscard]] static Result<std::pair<UnixStream, UnixStream>> pair();
  /// Adopts a connected AF_UNIX stream socket; makes it O_NONBLOCK.
  [[nodiscard]] static Result<UnixStream> from_fd(UniqueFd fd);

  [[nodiscard]] Result<std::size_t> read_some(std::span<std::byte> buffer, Deadline deadline = {});
  [[nodiscard]] Result<std::size_t> write_some(std::span<const std::byte> data,
                                               Deadline deadline = {});
  [[nodiscard]] Status shutdown(ShutdownHow how);
  [[nodiscard]] Result<Endpoint> local_endpoint() const;
  [[nodiscard]] Result<Endpoint> peer_endpoint() const;
  int fd() const noexcept { return fd_.get(); }
  bool valid() const noexcept { return fd_.valid(); }
  /// Gives the descriptor away; the stream becomes empty.
  UniqueFd release() noexcept { return std::move(fd_); }

 private:
  friend class UnixListener;
  explicit UnixStream(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

struct UnixBindOptions {
  int backlog = SOMAXCONN;      ///< listen() queue length (UnixListener only)
  bool remove_stale = false;    ///< remove a dead socket file at the path first (see above)
  bool unlink_on_close = true;  ///< remove the socket file when this object is destroyed
};

class UnixListener {
 public:
  UnixListener() = default;

  [[nodiscard]] static Result<UnixListener> bind(const UnixPath& path,
                                                 const UnixBindOptions& options = {});
  /// Waits until the deadline (std::errc::timed_out) for a connection.
  [[nodiscard]] Result<UnixStream> accept(Deadline deadline = {});
  /// Never blocks: std::errc::resource_unavailable_try_again when nothing is queued.
  [[nodiscard]] Result<UnixStream> try_accept();

  const UnixPath& path() const noexcept { return socket_.path(); }
  int fd() const noexcept { return socket_.fd().get(); }
  bool valid() const noexcept { return socket_.fd().valid(); }

 private:
  UnixListener(UniqueFd fd, UnixPath path, bool unlink_on_close) noexcept
      : socket_(std::move(fd), std::move(path), unlink_on_close) {}
  detail::UnixSocketFile socket_;
};

class UnixDatagram {
 public:
  UnixDatagram() = default;

  /// An unbound socket: it can send, but receivers cannot reply to it.
  [[nodiscard]] static Result<UnixDatagram> open();
  [[nodiscard]] static Result<UnixDatagram> bind(const UnixPath& path,
                                                 const UnixBindOptions& options = {});
  [[nodiscard]] static Result<std::pair<UnixDatagram, UnixDatagram>> pair();

  /// Sets the default peer; ECONNREFUSED if nothing is bound at the path.
  [[nodiscard]] Status connect(const UnixPath& peer);
  [[nodiscard]] Result<std::size_t> send(std::span<const std::byte> data, Deadline deadline = {});
  [[nodiscard]] Result<std::size_t> send_to(std::span<const std::byte> data, const UnixPath& to,
                                            Deadline deadline = {});
  /// Datagram {size, real_size, truncated, from}: truncation is data + flag, as for UDP.
  [[nodiscard]] Result<Datagram> recv(std::span<std::byte> buffer, Deadline deadline = {});
  [[nodiscard]] Result<Datagram> recv_from(std::span<std::byte> buffer, Deadline deadline = {});

  [[nodiscard]] Result<Endpoint> local_endpoint() const;
  int fd() const noexcept { return socket_.fd().get(); }
  bool valid() const noexcept { return socket_.fd().valid(); }

 private:
  UnixDatagram(UniqueFd fd, UnixPath path, bool unlink_on_close) noexcept
      : socket_(std::move(fd), std::move(path), unlink_on_close) {}
  detail::UnixSocketFile socket_;
};

}  // namespace sockit
