#include "acceptor.hpp"

#include <fcntl.h>

#include <array>
#include <cassert>
#include <span>

#include "sockit/server/server.hpp"
#include "sockit/sys/accept.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/sys/io.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {
namespace {

// Accept at most this many connections per readiness event, so that a flood of new
// connections cannot starve the ones already being served on the same loop.
constexpr int kAcceptBatch = 64;

UniqueFd open_reserve() {
  return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

}  // namespace

void refuse_connection(int fd, std::string_view line, Clock::duration wait) {
  if (!line.empty()) (void)try_write(fd, std::as_bytes(std::span(line)));
  (void)shutdown(fd, ShutdownHow::write);
  // Bounded: at most 64 reads, and no waiting past `wait`.
  const auto until = Clock::now() + wait;
  std::array<std::byte, 4096> sink{};
  for (int i = 0; i < 64; ++i) {
    const auto n = try_read(fd, sink);
    if (n && *n == 0) return;                   // EOF: a clean close
    if (!n && !would_block(n.error())) return;  // reset, or another error
    if (n) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0 || !wait_ready(fd, Ready::read, Deadline::after(left))) return;
  }
}

Acceptor::Acceptor(EventLoop& loop, UniqueFd listener, Owner& owner, AcceptRules rules)
    : loop_(loop), listener_(std::move(listener)), owner_(owner), rules_(std::move(rules)) {}

Acceptor::~Acceptor() {
  assert(loop_.in_loop_thread());
  close();
  loop_.forget(*this);
}

Status Acceptor::start() {
  assert(loop_.in_loop_thread());
  if (rules_.reserve) reserve_ = open_reserve();
  if (auto st = loop_.watch(listener_.get(), kPollRead, *this); !st) return st;
  watching_ = true;
  return {};
}

void Acceptor::close() noexcept {
  if (resume_timer_ != 0) loop_.cancel(std::exchange(resume_timer_, 0));
  if (watching_) (void)loop_.unwatch(listener_.get());
  watching_ = false;
  listener_.reset();
  reserve_.reset();
}

void Acceptor::on_ready(std::uint32_t) {
  accept_some(kAcceptBatch);
}

void Acceptor::accept_some(int max) {
  for (int i = 0; i < max && listener_; ++i) {
    SockAddr peer;
    auto conn = try_accept(listener_.get(), &peer);
    if (!conn) {
      if (is_out_of_descriptors(conn.error())) on_descriptors_exhausted();
      return;  // would block: nothing queued; anything else is the one connection's own problem
    }
    auto endpoint = Endpoint::from_sockaddr(peer.get(), peer.len);
    admit(std::move(*conn), endpoint ? *endpoint : Endpoint(UnixPath{}));
  }
}

void Acceptor::admit(UniqueFd fd, const Endpoint& peer) {
  if (!sockit::admitted(peer, rules_.allow, rules_.deny)) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return;  // closed at once, without a word: the address is not welcome
  }
  if (owner_.live() >= rules_.max_connections) {
    refuse(std::move(fd));
    return;
  }
  admitted_.fetch_add(1, std::memory_order_relaxed);
  // Small request/response messages must not wait for Nagle's algorithm.
  if (peer.is_ip()) (void)set_no_delay(fd.get(), true);
  owner_.adopt(std::move(fd), peer);
}

void Acceptor::refuse(UniqueFd fd) {
  refused_.fetch_add(1, std::memory_order_relaxed);
  refuse_connection(fd.get(), rules_.refusal, Clock::duration::zero());  // the loop must not wait
}

void Acceptor::on_descriptors_exhausted() {
  if (reserve_) {
    // libuv's trick: give back the spare descriptor, accept and refuse with it until the queue
    // is empty, then take the spare again.
    reserve_.reset();
    for (auto conn = try_accept(listener_.get()); conn; conn = try_accept(listener_.get())) {
      refuse(std::move(*conn));
    }
    reserve_ = open_reserve();
    if (reserve_) return;
  }
  pause();
}

void Acceptor::pause() {
  if (!watching_ || resume_timer_ != 0) return;
  (void)loop_.unwatch(listener_.get());
  watching_ = false;
  resume_timer_ = loop_.run_after(rules_.pause, [this] {
    resume_timer_ = 0;
    resume();
  });
}

void Acceptor::resume() {
  if (!listener_) return;
  if (loop_.watch(listener_.get(), kPollRead, *this)) watching_ = true;
  if (rules_.reserve && !reserve_) reserve_ = open_reserve();
}

}  // namespace sockit
