#include "source_connect.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "sockit/net/resolver.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/sys/socket.hpp"
#include "targets.hpp"

namespace sockit::cli {
namespace {

FamilyHint hint_for(const IpAddress& a) {
  return a.is_v4() ? FamilyHint::v4 : FamilyHint::v6;
}

// One non-blocking connect from `source` to `to`; the connected descriptor or the error.
Result<UniqueFd> attempt(const IpAddress& source, const Endpoint& to, Deadline deadline) {
  auto fd = open_socket(source.is_v4() ? AF_INET : AF_INET6, SOCK_STREAM);
  if (!fd) return fail(fd.error());
  auto from = Endpoint(source, 0).to_sockaddr();
  if (!from) return fail(from.error());
  if (::bind(fd->get(), from->get(), from->len) != 0) return fail(sys_error());
  auto dest = to.to_sockaddr();
  if (!dest) return fail(dest.error());
  if (::connect(fd->get(), dest->get(), dest->len) != 0) {
    if (errno != EINPROGRESS && errno != EINTR) return fail(sys_error());
    if (auto ready = wait_ready(fd->get(), Ready::write, deadline); !ready)
      return fail(ready.error());
    auto pending = pending_error(fd->get());
    if (!pending) return fail(pending.error());
    if (*pending) return fail(*pending);
  }
  return std::move(*fd);
}

}  // namespace

Result<TcpStream> connect_from(const IpAddress& source, std::string_view host,
                               std::string_view port, Deadline deadline,
                               const ConnectObserver& observer) {
  ResolveOptions options;
  options.family = hint_for(source);
  options.deadline = deadline;
  auto candidates = resolve(host, port, options);
  if (!candidates) return fail(candidates.error());
  std::error_code last = make_error_code(Errc::no_addresses);
  for (const Endpoint& to : *candidates) {
    const auto start = Clock::now();
    auto fd = attempt(source, to, deadline);
    if (observer)
      observer(ConnectAttempt{to, fd ? std::error_code{} : fd.error(), Clock::now() - start});
    if (fd) return TcpStream::from_fd(std::move(*fd));
    last = fd.error();
    if (deadline.expired()) break;
  }
  return fail(last);
}

Result<UdpSocket> udp_from(const IpAddress& source, std::string_view host, std::string_view port,
                           Deadline deadline) {
  auto to = datagram_target(host, port, hint_for(source), deadline);
  if (!to) return fail(to.error());
  auto sock = UdpSocket::bind(Endpoint(source, 0));
  if (!sock) return fail(sock.error());
  if (auto st = sock->connect(*to); !st) return fail(st.error());
  return std::move(*sock);
}

}  // namespace sockit::cli
