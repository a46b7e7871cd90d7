#include "sockit/server/udp_server.hpp"

#include <fcntl.h>

#include <cassert>
#include <span>

#include "sockit/stream/udp.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {
namespace {

// Datagrams handled per readiness event before the loop serves its other descriptors.
constexpr int kBatch = 64;

}  // namespace

Result<std::unique_ptr<UdpServer>> UdpServer::bind(EventLoop& loop, const Endpoint& at,
                                                   UdpServerOptions options) {
  assert(loop.in_loop_thread());
  auto sock = UdpSocket::bind(at, UdpOptions{.reuse_addr = true});
  if (!sock) return fail(sock.error());
  // UdpSocket keeps its descriptor: serve on a duplicate (the socket lives on through it).
  UniqueFd fd(::fcntl(sock->fd(), F_DUPFD_CLOEXEC, 0));
  if (!fd) return fail(sys_error());
  auto local = sock->local_endpoint();
  if (!local) return fail(local.error());
  std::unique_ptr<UdpServer> server(new UdpServer(loop, std::move(fd), options));
  server->local_ = *local;
  return server;
}

UdpServer::UdpServer(EventLoop& loop, UniqueFd fd, UdpServerOptions options)
    : loop_(loop), fd_(std::move(fd)), options_(options), buffer_(options.max_datagram) {}

UdpServer::~UdpServer() {
  assert(loop_.in_loop_thread());
  if (watching_) (void)loop_.unwatch(fd_.get());
}

Status UdpServer::start() {
  assert(loop_.in_loop_thread());
  if (auto st = loop_.watch(fd_.get(), kPollRead, *this); !st) return st;
  watching_ = true;
  return {};
}

void UdpServer::on_ready(std::uint32_t) {
  for (int i = 0; i < kBatch; ++i) {
    SockAddr from;
    const auto got = try_recv_from(fd_.get(), buffer_, from);
    if (!got) return;  // would block, or an ICMP error for an earlier echo: nothing to read now
    if (got->truncated || got->real_size > buffer_.size()) {
      truncated_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const std::size_t real = got->real_size;
    datagrams_.fetch_add(1, std::memory_order_relaxed);
    bytes_in_.fetch_add(real, std::memory_order_relaxed);
    if (!options_.echo) continue;
    const auto sent = try_send_to(fd_.get(), std::span(buffer_).first(real), from);
    if (sent && *sent == real) {
      bytes_out_.fetch_add(real, std::memory_order_relaxed);
    } else {
      send_errors_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

UdpServerStats UdpServer::stats() const {
  UdpServerStats s;
  s.datagrams = datagrams_.load(std::memory_order_relaxed);
  s.truncated = truncated_.load(std::memory_order_relaxed);
  s.bytes_in = bytes_in_.load(std::memory_order_relaxed);
  s.bytes_out = bytes_out_.load(std::memory_order_relaxed);
  s.send_errors = send_errors_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace sockit
