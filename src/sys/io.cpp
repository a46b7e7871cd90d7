// The byte-moving system calls (sys/io.hpp) and the waiting single calls built on them
// (socket.hpp's read_some / write_some).
#include "sockit/sys/io.hpp"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "sockit/core/buffer.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {
namespace {

// Overflow area for read_into(): lets one readv() drain up to 64 KiB even when the Buffer's
// writable part is small, without growing the Buffer up front (muduo's trick).
constexpr std::size_t kExtraBytes = 64 * 1024;

// The state of one call on one descriptor. A non-socket is discovered by ENOTSOCK from the
// first send()/recv(); from then on write()/read() are used.
struct Call {
  int fd;
  IoTrace trace;
  Deadline deadline = Deadline::never();
  bool socket = true;
  // A blocking non-socket with a finite deadline: poll before each call, so the call itself
  // cannot block past the deadline.
  bool poll_first = false;

  void note(IoOp op, const char* call, std::size_t requested, ssize_t r, int err) const {
    if (!trace) return;
    trace(IoEvent{op, call, fd, requested, r > 0 ? static_cast<std::size_t>(r) : 0,
                  r < 0 ? sys_error(err) : std::error_code{}});
  }

  // Returns true if the caller must poll before the first read()/write().
  bool become_non_socket() {
    socket = false;
    if (deadline.is_never()) return false;
    int flags = ::fcntl(fd, F_GETFL);
    poll_first = flags < 0 || (flags & O_NONBLOCK) == 0;
    return poll_first;
  }
};

// write() on a non-socket has no MSG_NOSIGNAL: block SIGPIPE for the call and, if the write
// raised one (EPIPE) that was not already pending, consume it before unblocking. SIGPIPE from
// write() is sent to the writing thread, so a per-thread mask is enough.
ssize_t write_without_sigpipe(int fd, const std::byte* data, std::size_t size, int& err) {
  sigset_t pipe_only;
  sigset_t old_mask;
  sigset_t pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask);
  ssize_t r = ::write(fd, data, size);
  err = errno;
  if (r < 0 && err == EPIPE && !was_pending) {
    const timespec zero{};
    while (sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  return r;
}

// One send attempt (EINTR retried). Returns the byte count or -errno.
ssize_t send_once(Call& c, const std::byte* data, std::size_t size) {
  for (;;) {
    ssize_t r = 0;
    int err = 0;
    if (c.socket) {
      r = ::send(c.fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      err = errno;
      c.note(IoOp::send, "send", size, r, err);
      if (r < 0 && err == ENOTSOCK) {
        if (c.become_non_socket()) return -EAGAIN;  // the caller polls before the first write()
        continue;
      }
    } else {
      // With poll_first, POLLOUT on a pipe promises room for PIPE_BUF bytes, no more.
      std::size_t n = c.poll_first ? std::min<std::size_t>(size, PIPE_BUF) : size;
      r = write_without_sigpipe(c.fd, data, n, err);
      c.note(IoOp::send, "write", n, r, err);
    }
    if (r >= 0) return r;
    if (err != EINTR) return -err;
  }
}

// One receive attempt (EINTR retried). Returns the byte count (0 = end of stream) or -errno.
ssize_t recv_once(Call& c, std::byte* data, std::size_t size) {
  for (;;) {
    ssize_t r = 0;
    int err = 0;
    if (c.socket) {
      r = ::recv(c.fd, data, size, MSG_DONTWAIT);
      err = errno;
      c.note(IoOp::recv, "recv", size, r, err);
      if (r < 0 && err == ENOTSOCK) {
        if (c.become_non_socket()) return -EAGAIN;  // the caller polls before the first read()
        continue;
      }
    } else {
      r = ::read(c.fd, data, size);
      err = errno;
      c.note(IoOp::recv, "read", size, r, err);
    }
    if (r >= 0) return r;
    if (err != EINTR) return -err;
  }
}

Result<std::size_t> to_result(ssize_t r) {
  if (r < 0) return fail(sys_error(static_cast<int>(-r)));
  return static_cast<std::size_t>(r);
}

// One try, and on would-block a wait for `direction` until the deadline, as often as needed.
template <class Once>
Result<std::size_t> with_wait(Call& c, Ready direction, Once once) {
  for (;;) {
    if (c.poll_first) {
      if (auto w = wait_ready(c.fd, direction, c.deadline); !w) return fail(w.error());
    }
    const ssize_t r = once();
    if (r >= 0) return static_cast<std::size_t>(r);
    if (r != -EAGAIN && r != -EWOULDBLOCK) return fail(sys_error(static_cast<int>(-r)));
    if (!c.poll_first) {
      if (auto w = wait_ready(c.fd, direction, c.deadline); !w) return fail(w.error());
    }
  }
}

}  // namespace

Result<std::size_t> try_read(int fd, std::span<std::byte> out, IoTrace trace) {
  if (out.empty()) return 0;
  Call c{fd, trace};
  return to_result(recv_once(c, out.data(), out.size()));
}

Result<std::size_t> try_write(int fd, std::span<const std::byte> data, IoTrace trace) {
  if (data.empty()) return 0;
  Call c{fd, trace};
  return to_result(send_once(c, data.data(), data.size()));
}

Result<std::size_t> read_some(int fd, std::span<std::byte> buffer, Deadline deadline,
                              IoTrace trace) {
  if (buffer.empty()) return 0;
  Call c{fd, trace, deadline};
  return with_wait(c, Ready::read, [&] { return recv_once(c, buffer.data(), buffer.size()); });
}

Result<std::size_t> write_some(int fd, std::span<const std::byte> data, Deadline deadline,
                               IoTrace trace) {
  if (data.empty()) return 0;
  Call c{fd, trace, deadline};
  return with_wait(c, Ready::write, [&] { return send_once(c, data.data(), data.size()); });
}

Result<std::size_t> try_peek(int fd, std::span<std::byte> out) {
  if (out.empty()) return 0;
  for (;;) {
    const ssize_t r = ::recv(fd, out.data(), out.size(), MSG_PEEK | MSG_DONTWAIT);
    if (r >= 0) return static_cast<std::size_t>(r);
    if (errno != EINTR) return fail(sys_error());
  }
}

Result<std::size_t> read_into(int fd, Buffer& buffer, IoTrace trace) {
  Call c{fd, trace};
  std::array<std::byte, kExtraBytes> extra;  // uninitialised on purpose: the kernel fills it
  std::span<std::byte> room = buffer.writable();
  std::array<iovec, 2> iov{{{room.data(), room.size()}, {extra.data(), extra.size()}}};
  // Enough room already: a single iovec avoids copying out of `extra` afterwards.
  int count = room.size() >= kExtraBytes ? 1 : 2;
  std::size_t requested = room.size() + (count == 2 ? extra.size() : 0);
  ssize_t r = 0;
  int err = 0;
  for (;;) {
    if (c.socket) {
      msghdr msg{};  // recvmsg: readv() has no MSG_DONTWAIT
      msg.msg_iov = iov.data();
      msg.msg_iovlen = static_cast<std::size_t>(count);
      r = ::recvmsg(fd, &msg, MSG_DONTWAIT);
      err = errno;
      c.note(IoOp::recv, "recvmsg", requested, r, err);
      if (r < 0 && err == ENOTSOCK) {
        c.socket = false;
        continue;
      }
    } else {
      r = ::readv(fd, iov.data(), count);
      err = errno;
      c.note(IoOp::recv, "readv", requested, r, err);
    }
    if (r >= 0 || err != EINTR) break;
  }
  if (r < 0) return fail(sys_error(err));
  auto got = static_cast<std::size_t>(r);
  if (got <= room.size()) {
    buffer.commit(got);
  } else {
    buffer.commit(room.size());
    buffer.append(std::span<const std::byte>(extra.data(), got - room.size()));
  }
  return got;
}

Result<std::size_t> write_from(int fd, Buffer& buffer, IoTrace trace) {
  std::span<const std::byte> bytes = buffer.readable();
  auto sent = try_write(fd, bytes, trace);
  if (sent) buffer.consume(*sent);
  return sent;
}

}  // namespace sockit
