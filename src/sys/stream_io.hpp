// The byte system calls of the hot loops, in the raw form they need: inline, no Result to
// build, no errno to read back. Used by the event loop's Connection (src/async/connection*.cpp,
// kernel_echo.cpp) and the bench engine's load loops (src/tools/bench/). Private to the library
// and the tool: everything else uses sys/io.hpp's Result forms, which are built the same way.
//
// Every call returns the bytes moved (0 from a read: end of stream; 0 from a splice out of a
// socket: the peer's EOF) or minus the errno value: -EAGAIN when a non-blocking descriptor
// would block (EWOULDBLOCK is the same value on Linux), anything else is the connection's
// error (sys_error(-n) turns it into an error_code). EINTR is retried inside. Every send
// carries MSG_NOSIGNAL, so a peer that has gone away gives -EPIPE, never SIGPIPE. No
// MSG_DONTWAIT is added: the loop's sockets are O_NONBLOCK.
//
// The negative-errno shape is the one io_uring completions use, so a completion backend can
// feed the same handling code (docs/architecture.md, "Room for a completion backend").
//
// Thread rule: reentrant; one descriptor must not be read (or written) from two threads at once.
#pragma once

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sockit::stream_io {

/// True for the "would block" result of the calls below.
constexpr bool would_block(ssize_t n) noexcept {
  return n == -EAGAIN || n == -EWOULDBLOCK;
}

namespace detail {
// A system call's result in this header's shape: n, or -errno.
inline ssize_t result(ssize_t n) noexcept {
  return n >= 0 ? n : -errno;
}
inline iovec iov_of(const void* data, std::size_t size) noexcept {
  return iovec{const_cast<void*>(data), size};
}
}  // namespace detail

/// One recv(2) into `out`.
inline ssize_t receive(int fd, std::span<std::byte> out) noexcept {
  ssize_t n = 0;
  do {
    n = ::recv(fd, out.data(), out.size(), 0);
  } while (n < 0 && errno == EINTR);
  return detail::result(n);
}

/// One read filling `first`, then `second` (readv(2)), the muduo trick: a connection's own
/// buffer first and a large scratch area as overflow. An empty `first` makes it a plain recv(2)
/// into `second`, which spares the kernel the iovec import (the common request/response case).
inline ssize_t receive2(int fd, std::span<std::byte> first, std::span<std::byte> second) noexcept {
  if (first.empty()) return receive(fd, second);
  const std::array<iovec, 2> iov{detail::iov_of(first.data(), first.size()),
                                 detail::iov_of(second.data(), second.size())};
  ssize_t n = 0;
  do {
    n = ::readv(fd, iov.data(), 2);
  } while (n < 0 && errno == EINTR);
  return detail::result(n);
}

/// One send(2) of `data` with MSG_NOSIGNAL (and `extra` flags, e.g. MSG_MORE).
inline ssize_t transmit(int fd, std::string_view data, int extra = 0) noexcept {
  ssize_t n = 0;
  do {
    n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | extra);
  } while (n < 0 && errno == EINTR);
  return detail::result(n);
}

/// One send of the pieces in `iov`, in order (sendmsg(2) with MSG_NOSIGNAL; a single piece is a
/// plain send(2)).
inline ssize_t transmitv(int fd, std::span<const iovec> iov) noexcept {
  if (iov.size() == 1)
    return transmit(fd,
                    std::string_view(static_cast<const char*>(iov[0].iov_base), iov[0].iov_len));
  msghdr msg{};
  msg.msg_iov = const_cast<iovec*>(iov.data());
  msg.msg_iovlen = iov.size();
  ssize_t n = 0;
  do {
    n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return detail::result(n);
}

/// One send of `first` then `second` (sendmsg(2) with MSG_NOSIGNAL); an empty `second` makes
/// it a plain send(2), with no msghdr or iovec for the kernel to import (an echo, most replies).
inline ssize_t transmit2(int fd, std::string_view first, std::string_view second) noexcept {
  if (second.empty()) return transmit(fd, first);
  const std::array<iovec, 2> iov{detail::iov_of(first.data(), first.size()),
                                 detail::iov_of(second.data(), second.size())};
  return transmitv(fd, iov);
}

/// send(2) with MSG_MORE: the kernel holds the bytes back for the write that follows (a
/// reply's header waits for the sendfile(2) of its body, so both leave in one segment).
/// MSG_MORE is per call: nothing stays corked past the next write without it.
inline ssize_t transmit_more(int fd, std::string_view data) noexcept {
  return transmit(fd, data, MSG_MORE);
}

/// One non-blocking splice(2) of up to `count` bytes from `from` to `to` (one of them a pipe),
/// moving pages where the kernel can (SPLICE_F_MOVE | SPLICE_F_NONBLOCK). splice has no
/// MSG_NOSIGNAL: into a socket whose peer has gone it raises SIGPIPE, so only a process that
/// ignores SIGPIPE may splice into sockets (see splice_is_safe() in async/connection.hpp).
inline ssize_t splice_some(int from, int to, std::size_t count) noexcept {
  ssize_t n = 0;
  do {
    n = ::splice(from, nullptr, to, nullptr, count, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  } while (n < 0 && errno == EINTR);
  return detail::result(n);
}

/// One read(2) into `out`: for a pipe (kernel echo takes back what the socket refused).
inline ssize_t read_pipe(int fd, std::span<std::byte> out) noexcept {
  ssize_t n = 0;
  do {
    n = ::read(fd, out.data(), out.size());
  } while (n < 0 && errno == EINTR);
  return detail::result(n);
}

/// One pread(2) of a file into `out` from `offset`; the file's own position is neither used nor
/// moved. 0: the file ends at `offset`.
inline ssize_t read_file_at(int fd, std::span<std::byte> out, std::uint64_t offset) noexcept {
  ssize_t n = 0;
  do {
    n = ::pread(fd, out.data(), out.size(), static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  return detail::result(n);
}

}  // namespace sockit::stream_io
