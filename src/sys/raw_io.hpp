// Inline send/recv for hot loops that keep the system calls' own result shape (-1 and errno),
// so they pay nothing over a direct call: the bench engine's load loops (src/tools/bench/),
// whose TlsLink mimics send(2)/recv(2). Private to the library and the tool; everything else
// uses sys/io.hpp's Result forms.
//
// The sys rules still hold here: EINTR is retried inside, every send carries MSG_NOSIGNAL (a
// closed peer gives EPIPE, never SIGPIPE). No MSG_DONTWAIT is added: the callers' sockets are
// O_NONBLOCK, and a full or empty socket gives -1 with errno EAGAIN as usual.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>
#include <cstddef>

namespace sockit::raw {

inline ssize_t send(int fd, const void* data, std::size_t size) noexcept {
  ssize_t n = 0;
  do {
    n = ::send(fd, data, size, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

inline ssize_t sendmsg(int fd, const msghdr* msg) noexcept {
  ssize_t n = 0;
  do {
    n = ::sendmsg(fd, msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

inline ssize_t recv(int fd, void* out, std::size_t size) noexcept {
  ssize_t n = 0;
  do {
    n = ::recv(fd, out, size, 0);
  } while (n < 0 && errno == EINTR);
  return n;
}

}  // namespace sockit::raw
