// accept4(2) for every listener (sys/accept.hpp).
#include "sockit/sys/accept.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "sockit/sys/fd.hpp"
#include "sockit/sys/io.hpp"

namespace sockit {

Result<UniqueFd> try_accept(int listener, SockAddr* peer) {
  for (;;) {
    sockaddr* addr = nullptr;
    socklen_t* len = nullptr;
    if (peer != nullptr) {
      peer->len = sizeof peer->storage;
      addr = peer->get();
      len = &peer->len;
    }
    const int fd = ::accept4(listener, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) return UniqueFd(fd);
    // ECONNABORTED: a queued peer reset before we took it; the next one may be fine. Bounded:
    // each one consumed a queued connection.
    if (errno == EINTR || errno == ECONNABORTED) continue;
    return fail(sys_error());
  }
}

Result<UniqueFd> accept_wait(int listener, Deadline deadline, SockAddr* peer) {
  for (;;) {
    auto fd = try_accept(listener, peer);
    if (fd || !would_block(fd.error())) return fd;
    if (auto ready = wait_ready(listener, Ready::read, deadline); !ready) {
      return fail(ready.error());
    }
  }
}

bool is_out_of_descriptors(const std::error_code& ec) noexcept {
  if (ec.category() != std::system_category()) return false;
  const int err = ec.value();
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

}  // namespace sockit
