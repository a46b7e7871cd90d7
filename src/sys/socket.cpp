#include "sockit/sys/socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

namespace sockit {
namespace {

Status set_int(int fd, int level, int name, int value) {
  if (::setsockopt(fd, level, name, &value, sizeof value) < 0) return fail(sys_error());
  return {};
}

Result<int> get_int(int fd, int level, int name) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) < 0) return fail(sys_error());
  return value;
}

Status set_flag(int fd, int level, int name, bool on) {
  return set_int(fd, level, name, on ? 1 : 0);
}

Result<bool> get_flag(int fd, int level, int name) {
  auto value = get_int(fd, level, name);
  if (!value) return fail(value.error());
  return *value != 0;
}

using NameCall = int (*)(int, sockaddr*, socklen_t*);

Result<Endpoint> name_of(int fd, NameCall call) {
  SockAddr addr;
  addr.len = sizeof addr.storage;
  if (call(fd, addr.get(), &addr.len) < 0) return fail(sys_error());
  return Endpoint::from_sockaddr(addr.get(), addr.len);
}

bool would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK;
}

}  // namespace

Result<UniqueFd> open_socket(int domain, int type, int protocol) {
  int fd = ::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return fail(sys_error());
  return UniqueFd(fd);
}

Status set_reuse_addr(int fd, bool on) {
  return set_flag(fd, SOL_SOCKET, SO_REUSEADDR, on);
}
Result<bool> reuse_addr(int fd) {
  return get_flag(fd, SOL_SOCKET, SO_REUSEADDR);
}
Status set_reuse_port(int fd, bool on) {
  return set_flag(fd, SOL_SOCKET, SO_REUSEPORT, on);
}
Result<bool> reuse_port(int fd) {
  return get_flag(fd, SOL_SOCKET, SO_REUSEPORT);
}
Status set_no_delay(int fd, bool on) {
  return set_flag(fd, IPPROTO_TCP, TCP_NODELAY, on);
}
Result<bool> no_delay(int fd) {
  return get_flag(fd, IPPROTO_TCP, TCP_NODELAY);
}
Status set_keep_alive(int fd, bool on) {
  return set_flag(fd, SOL_SOCKET, SO_KEEPALIVE, on);
}
Result<bool> keep_alive(int fd) {
  return get_flag(fd, SOL_SOCKET, SO_KEEPALIVE);
}
Status set_broadcast(int fd, bool on) {
  return set_flag(fd, SOL_SOCKET, SO_BROADCAST, on);
}
Result<bool> broadcast(int fd) {
  return get_flag(fd, SOL_SOCKET, SO_BROADCAST);
}
Status set_v6_only(int fd, bool on) {
  return set_flag(fd, IPPROTO_IPV6, IPV6_V6ONLY, on);
}
Result<bool> v6_only(int fd) {
  return get_flag(fd, IPPROTO_IPV6, IPV6_V6ONLY);
}

Status set_send_buffer(int fd, int bytes) {
  return set_int(fd, SOL_SOCKET, SO_SNDBUF, bytes);
}
Result<int> send_buffer(int fd) {
  return get_int(fd, SOL_SOCKET, SO_SNDBUF);
}
Status set_recv_buffer(int fd, int bytes) {
  return set_int(fd, SOL_SOCKET, SO_RCVBUF, bytes);
}
Result<int> recv_buffer(int fd) {
  return get_int(fd, SOL_SOCKET, SO_RCVBUF);
}

Status set_linger(int fd, std::optional<std::chrono::seconds> timeout) {
  ::linger value{};
  if (timeout) {
    if (timeout->count() < 0 || timeout->count() > 0x7fffffff) {
      return fail(sys_error(EINVAL));
    }
    value.l_onoff = 1;
    value.l_linger = static_cast<int>(timeout->count());
  }
  if (::setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, sizeof value) < 0) return fail(sys_error());
  return {};
}

Result<std::optional<std::chrono::seconds>> linger_timeout(int fd) {
  ::linger value{};
  socklen_t len = sizeof value;
  if (::getsockopt(fd, SOL_SOCKET, SO_LINGER, &value, &len) < 0) return fail(sys_error());
  if (value.l_onoff == 0) return std::optional<std::chrono::seconds>{};
  return std::optional<std::chrono::seconds>{std::chrono::seconds(value.l_linger)};
}

Status set_abortive_close(int fd) {
  return set_linger(fd, std::chrono::seconds(0));
}

Result<std::error_code> pending_error(int fd) {
  auto err = get_int(fd, SOL_SOCKET, SO_ERROR);
  if (!err) return fail(err.error());
  return *err == 0 ? std::error_code{} : sys_error(*err);
}

Result<Endpoint> local_endpoint(int fd) {
  return name_of(fd, ::getsockname);
}
Result<Endpoint> peer_endpoint(int fd) {
  return name_of(fd, ::getpeername);
}

Status shutdown(int fd, ShutdownHow how) {
  int native = how == ShutdownHow::read ? SHUT_RD : how == ShutdownHow::write ? SHUT_WR : SHUT_RDWR;
  if (::shutdown(fd, native) < 0) return fail(sys_error());
  return {};
}

namespace {

// Linux reports an unbound AF_UNIX sender with an address length of 0; that is still a sender,
// just one without a name.
Endpoint sender_of(int fd, const SockAddr& from, socklen_t len) {
  if (auto sender = Endpoint::from_sockaddr(from.get(), len)) return *sender;
  if (len == 0 && get_int(fd, SOL_SOCKET, SO_DOMAIN) == AF_UNIX) return Endpoint(UnixPath{});
  return Endpoint{};
}

}  // namespace

namespace {

// One recvmsg() with MSG_TRUNC (EINTR retried): Linux then returns the datagram's real length
// even when it was cut. Returns the byte count or -errno.
ssize_t recv_from_once(int fd, std::span<std::byte> buffer, SockAddr& from, int flags,
                       DatagramSize& out) {
  for (;;) {
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg{};
    msg.msg_name = from.get();
    msg.msg_namelen = sizeof from.storage;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    const ssize_t n = ::recvmsg(fd, &msg, flags | MSG_TRUNC);
    if (n >= 0) {
      from.len = msg.msg_namelen;
      out.real_size = static_cast<std::size_t>(n);
      out.size = out.real_size < buffer.size() ? out.real_size : buffer.size();
      out.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
      return n;
    }
    if (errno != EINTR) return -errno;
  }
}

}  // namespace

Result<Datagram> recv_datagram(int fd, std::span<std::byte> buffer, Deadline deadline) {
  for (;;) {
    SockAddr from;
    DatagramSize got;
    const ssize_t n = recv_from_once(fd, buffer, from, 0, got);
    if (n >= 0) {
      Datagram d;
      d.size = got.size;
      d.real_size = got.real_size;
      d.truncated = got.truncated;
      d.from = sender_of(fd, from, from.len);
      return d;
    }
    if (!would_block(static_cast<int>(-n))) return fail(sys_error(static_cast<int>(-n)));
    if (auto ready = wait_ready(fd, Ready::read, deadline); !ready) return fail(ready.error());
  }
}

Result<DatagramSize> try_recv_from(int fd, std::span<std::byte> buffer, SockAddr& from) {
  DatagramSize got;
  const ssize_t n = recv_from_once(fd, buffer, from, MSG_DONTWAIT, got);
  if (n < 0) return fail(sys_error(static_cast<int>(-n)));
  return got;
}

Result<std::size_t> try_send_to(int fd, std::span<const std::byte> data, const SockAddr& to) {
  for (;;) {
    const ssize_t n =
        ::sendto(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL, to.get(), to.len);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return fail(sys_error());
  }
}

namespace {

Result<std::size_t> send_one(int fd, std::span<const std::byte> data, const SockAddr* to,
                             Deadline deadline) {
  for (;;) {
    const ssize_t n = ::sendto(fd, data.data(), data.size(), MSG_NOSIGNAL,
                               to != nullptr ? to->get() : nullptr, to != nullptr ? to->len : 0);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (!would_block(errno)) return fail(sys_error());
    if (auto ready = wait_ready(fd, Ready::write, deadline); !ready) return fail(ready.error());
  }
}

}  // namespace

Result<std::size_t> send_datagram(int fd, std::span<const std::byte> data, Deadline deadline) {
  return send_one(fd, data, nullptr, deadline);
}

Result<std::size_t> send_datagram_to(int fd, std::span<const std::byte> data, const Endpoint& to,
                                     Deadline deadline) {
  auto addr = to.to_sockaddr();
  if (!addr) return fail(addr.error());
  return send_one(fd, data, &*addr, deadline);
}

Result<bool> start_connect(int fd, const SockAddr& to) {
  if (::connect(fd, to.get(), to.len) == 0) return true;
  // An interrupted non-blocking connect keeps going in the background, like EINPROGRESS;
  // calling connect() again would only report EALREADY.
  if (errno == EINPROGRESS || errno == EINTR) return false;
  return fail(sys_error());
}

Status connect_socket(int fd, const SockAddr& to, Deadline deadline) {
  auto started = start_connect(fd, to);
  if (!started) return fail(started.error());
  if (*started) return {};
  if (auto ready = wait_ready(fd, Ready::write, deadline); !ready) return fail(ready.error());
  auto pending = pending_error(fd);
  if (!pending) return fail(pending.error());
  if (*pending) return fail(*pending);
  return {};
}

}  // namespace sockit
