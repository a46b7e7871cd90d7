#include "sockit/stream/io.hpp"

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
#include <limits>

#include "sockit/core/buffer.hpp"
#include "sockit/sys/fd.hpp"

namespace sockit {
namespace {

// Overflow area for read_into(): lets one readv() drain up to 64 KiB even when the Buffer's
// writable part is small, without growing the Buffer up front (muduo's trick).
constexpr std::size_t kExtraBytes = 64 * 1024;

bool would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK;
}

// The state of one complete-I/O call on one descriptor.
struct Stream {
  int fd;
  Deadline deadline;
  IoTrace trace;
  bool socket = true;       // until a syscall says ENOTSOCK
  bool poll_first = false;  // blocking non-socket with a finite deadline: poll before each call

  void note(IoOp op, const char* call, std::size_t requested, ssize_t r, int err) const {
    if (!trace) return;
    trace(IoEvent{op, call, fd, requested, r > 0 ? static_cast<std::size_t>(r) : 0,
                  r < 0 ? sys_error(err) : std::error_code{}});
  }

  // A pipe or file cannot take MSG_DONTWAIT: if it is blocking and the caller has a deadline,
  // poll before each call so the call itself cannot block past the deadline.
  void become_non_socket() {
    socket = false;
    if (deadline.is_never()) return;
    int flags = ::fcntl(fd, F_GETFL);
    poll_first = flags < 0 || (flags & O_NONBLOCK) == 0;
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
ssize_t send_once(Stream& s, const std::byte* data, std::size_t size) {
  for (;;) {
    ssize_t r = 0;
    int err = 0;
    if (s.socket) {
      r = ::send(s.fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      err = errno;
      s.note(IoOp::send, "send", size, r, err);
      if (r < 0 && err == ENOTSOCK) {
        s.become_non_socket();
        if (s.poll_first) return -EAGAIN;  // the caller polls before the first write()/read()
        continue;
      }
    } else {
      // With poll_first, POLLOUT on a pipe promises room for PIPE_BUF bytes, no more.
      std::size_t n = s.poll_first ? std::min<std::size_t>(size, PIPE_BUF) : size;
      r = write_without_sigpipe(s.fd, data, n, err);
      s.note(IoOp::send, "write", n, r, err);
    }
    if (r >= 0) return r;
    if (err != EINTR) return -err;
  }
}

// One receive attempt (EINTR retried). Returns the byte count (0 = end of stream) or -errno.
ssize_t recv_once(Stream& s, std::byte* data, std::size_t size) {
  for (;;) {
    ssize_t r = 0;
    int err = 0;
    if (s.socket) {
      r = ::recv(s.fd, data, size, MSG_DONTWAIT);
      err = errno;
      s.note(IoOp::recv, "recv", size, r, err);
      if (r < 0 && err == ENOTSOCK) {
        s.become_non_socket();
        if (s.poll_first) return -EAGAIN;  // the caller polls before the first write()/read()
        continue;
      }
    } else {
      r = ::read(s.fd, data, size);
      err = errno;
      s.note(IoOp::recv, "read", size, r, err);
    }
    if (r >= 0) return r;
    if (err != EINTR) return -err;
  }
}

// One scatter read into the buffer's writable part plus a stack overflow area. Returns the
// bytes added (0 = end of stream) or -errno.
ssize_t read_once(Stream& s, Buffer& buffer) {
  std::array<std::byte, kExtraBytes> extra;  // uninitialised on purpose: the kernel fills it
  std::span<std::byte> room = buffer.writable();
  std::array<iovec, 2> iov{{{room.data(), room.size()}, {extra.data(), extra.size()}}};
  // Enough room already: a single iovec avoids copying out of `extra` afterwards.
  int count = room.size() >= kExtraBytes ? 1 : 2;
  std::size_t requested = room.size() + (count == 2 ? extra.size() : 0);
  ssize_t r = 0;
  int err = 0;
  for (;;) {
    if (s.socket) {
      msghdr msg{};  // recvmsg: readv() has no MSG_DONTWAIT
      msg.msg_iov = iov.data();
      msg.msg_iovlen = static_cast<std::size_t>(count);
      r = ::recvmsg(s.fd, &msg, MSG_DONTWAIT);
      err = errno;
      s.note(IoOp::recv, "recvmsg", requested, r, err);
      if (r < 0 && err == ENOTSOCK) {
        s.become_non_socket();
        if (s.poll_first) return -EAGAIN;  // the caller polls before the first write()/read()
        continue;
      }
    } else {
      r = ::readv(s.fd, iov.data(), count);
      err = errno;
      s.note(IoOp::recv, "readv", requested, r, err);
    }
    if (r >= 0 || err != EINTR) break;
  }
  if (r < 0) return -err;
  auto got = static_cast<std::size_t>(r);
  if (got <= room.size()) {
    buffer.commit(got);
  } else {
    buffer.commit(room.size());
    buffer.append(std::span<const std::byte>(extra.data(), got - room.size()));
  }
  return r;
}

// Drives `once` until `done` reaches `total`, waiting for readiness on EAGAIN.
template <class Once>
Status transfer_all(Stream& s, Ready direction, std::size_t total, std::size_t& done, Once once) {
  bool first = true;
  while (done < total) {
    if (!first && s.deadline.expired()) return fail(Errc::deadline_passed);
    first = false;
    if (s.poll_first) {
      if (auto w = wait_ready(s.fd, direction, s.deadline); !w) return w;
    }
    ssize_t r = once(done);
    if (r > 0) {
      done += static_cast<std::size_t>(r);
    } else if (r == 0 && direction == Ready::read) {
      return fail(Errc::closed_early);
    } else if (r < 0 && !would_block(static_cast<int>(-r))) {
      return fail(sys_error(static_cast<int>(-r)));
    } else if (!s.poll_first) {
      if (auto w = wait_ready(s.fd, direction, s.deadline); !w) return w;
    }
  }
  return {};
}

}  // namespace

Status send_all(int fd, std::span<const std::byte> data, Deadline deadline, std::size_t* sent,
                IoTrace trace) {
  Stream s{fd, deadline, trace};
  std::size_t done = 0;
  Status st = transfer_all(s, Ready::write, data.size(), done, [&](std::size_t offset) {
    return send_once(s, data.data() + offset, data.size() - offset);
  });
  if (sent != nullptr) *sent = done;
  return st;
}

Status send_all(int fd, std::string_view data, Deadline deadline, std::size_t* sent,
                IoTrace trace) {
  return send_all(fd, std::as_bytes(std::span(data)), deadline, sent, trace);
}

Status recv_exact(int fd, std::span<std::byte> out, Deadline deadline, std::size_t* received,
                  IoTrace trace) {
  Stream s{fd, deadline, trace};
  std::size_t done = 0;
  Status st = transfer_all(s, Ready::read, out.size(), done, [&](std::size_t offset) {
    return recv_once(s, out.data() + offset, out.size() - offset);
  });
  if (received != nullptr) *received = done;
  return st;
}

Result<std::string> recv_until(int fd, Buffer& buffer, std::string_view delimiter, std::size_t max,
                               Deadline deadline, IoTrace trace) {
  if (delimiter.empty()) return fail(sys_error(EINVAL));
  Stream s{fd, deadline, trace};
  constexpr std::size_t kMaxSize = std::numeric_limits<std::size_t>::max();
  // Once `limit` bytes are buffered without a delimiter, the line cannot fit in `max`.
  std::size_t limit = max > kMaxSize - delimiter.size() ? kMaxSize : max + delimiter.size();
  std::size_t scanned = 0;  // no delimiter starts before this offset: never search it again
  bool first = true;
  for (;;) {
    std::string_view window = buffer.view().substr(0, limit);
    std::size_t pos = window.find(delimiter, scanned);
    if (pos != std::string_view::npos) {
      std::string line(window.substr(0, pos));
      buffer.consume(pos + delimiter.size());
      return line;
    }
    if (window.size() >= limit) return fail(Errc::line_too_long);
    // A delimiter may straddle the end of what we have: rescan its last size()-1 bytes only.
    scanned = window.size() >= delimiter.size() ? window.size() - delimiter.size() + 1 : 0;
    if (!first && deadline.expired()) return fail(Errc::deadline_passed);
    first = false;
    if (s.poll_first) {
      if (auto w = wait_ready(fd, Ready::read, deadline); !w) return fail(w.error());
    }
    ssize_t r = read_once(s, buffer);
    if (r == 0) return fail(Errc::closed_early);
    if (r < 0 && !would_block(static_cast<int>(-r))) return fail(sys_error(static_cast<int>(-r)));
    if (r < 0 && !s.poll_first) {
      if (auto w = wait_ready(fd, Ready::read, deadline); !w) return fail(w.error());
    }
  }
}

Result<std::size_t> read_into(int fd, Buffer& buffer, IoTrace trace) {
  Stream s{fd, Deadline::never(), trace};
  ssize_t r = read_once(s, buffer);
  if (r < 0) return fail(sys_error(static_cast<int>(-r)));
  return static_cast<std::size_t>(r);
}

Result<std::size_t> write_from(int fd, Buffer& buffer, IoTrace trace) {
  Stream s{fd, Deadline::never(), trace};
  std::span<const std::byte> bytes = buffer.readable();
  ssize_t r = send_once(s, bytes.data(), bytes.size());
  if (r < 0) return fail(sys_error(static_cast<int>(-r)));
  buffer.consume(static_cast<std::size_t>(r));
  return static_cast<std::size_t>(r);
}

}  // namespace sockit
