// The UDP loop: each connected datagram socket keeps `pipeline` datagrams in flight (closed
// loop). A datagram carries a sequence number whose low part names its slot, so an answer is
// matched in O(1) even when others were lost; a datagram not answered within udp_timeout is
// counted lost and its slot reused; an answer that arrives after that counts as late.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "internal.hpp"
#include "sys/stream_io.hpp"

namespace sockit::bench::detail {
namespace {

struct Flight {
  std::uint64_t seq = 0;
  std::uint64_t stamp = 0;
  bool active = false;
};

struct Sock {
  int fd = -1;
  std::uint32_t id = 0;
  bool dead = false;
  Flight* flights = nullptr;  // pipeline entries
  std::uint64_t generation = 0;
};

class UdpLoop {
 public:
  UdpLoop(Shared& shared, Slot& slot, Poller& poller, Ticker& ticker)
      : sh_(shared),
        o_(*shared.options),
        slot_(slot),
        poller_(poller),
        ticker_(ticker),
        wire_(shared.wire),
        pipeline_(static_cast<std::uint64_t>(o_.pipeline)) {}

  void run();

 private:
  bool may_issue(std::uint64_t now) const {
    if (stopping_) return false;
    if (now < sh_.measure_ns) return true;
    return slot_.quota == 0 || issued_ < slot_.quota;
  }
  void send_one(Sock& s, std::uint64_t j, std::uint64_t now);
  void on_readable(Sock& s);
  void expire(std::uint64_t now);
  void kill(Sock& s, int err);

  Shared& sh_;
  const Options& o_;
  Slot& slot_;
  Poller& poller_;
  Ticker& ticker_;
  const Wire& wire_;
  const std::uint64_t pipeline_;
  std::vector<Sock> socks_;
  std::vector<Flight> flight_arena_;
  std::vector<std::byte> out_, in_;
  std::uint64_t outstanding_ = 0, issued_ = 0;
  std::size_t live_ = 0;  // sockets not failed
  bool stopping_ = false;
};

void UdpLoop::kill(Sock& s, int err) {
  if (s.dead) return;
  s.dead = true;
  --live_;
  count_io_error(err, slot_.report.errors);
  // ICMP port unreachable: nothing listens there. Kept so that a run where no datagram was
  // ever answered can say "refused" instead of reporting zeros (engine.cpp).
  if (err == ECONNREFUSED && !slot_.connect_error) slot_.connect_error = sys_error(err);
  (void)poller_.remove(s.fd);
  for (std::uint64_t j = 0; j < pipeline_; ++j) {
    if (s.flights[j].active) --outstanding_;
    s.flights[j].active = false;
  }
}

void UdpLoop::send_one(Sock& s, std::uint64_t j, std::uint64_t now) {
  Flight& f = s.flights[j];
  f.seq = s.generation++ * pipeline_ + j;
  f.stamp = now;
  wire_.build(out_.data(), f.seq, s.id);
  const bool measured = now >= sh_.measure_ns;
  if (measured) {
    ++issued_;
    ++slot_.report.requests;
    if (slot_.first_ns == 0) slot_.first_ns = now;
  }
  const ssize_t n =
      stream_io::transmit(s.fd, {reinterpret_cast<const char*>(out_.data()), out_.size()});
  if (n < 0 && !stream_io::would_block(n) && n != -ENOBUFS) {
    kill(s, static_cast<int>(-n));
    return;
  }
  // A datagram the kernel dropped on send stays in flight and expires as lost.
  f.active = true;
  ++outstanding_;
  if (measured && n > 0) slot_.report.bytes_sent += static_cast<std::size_t>(n);
}

void UdpLoop::on_readable(Sock& s) {
  for (int round = 0; round < 64 && !s.dead; ++round) {  // bounded batch per wakeup
    const ssize_t n = stream_io::receive(s.fd, in_);
    if (n < 0) {
      if (stream_io::would_block(n)) return;
      kill(s, static_cast<int>(-n));  // e.g. ECONNREFUSED: nothing listens on the port
      return;
    }
    const std::uint64_t now = now_ns();
    const auto got = static_cast<std::size_t>(n);
    std::uint64_t seq = 0;
    if (got >= sizeof seq) std::memcpy(&seq, in_.data(), sizeof seq);
    Flight& f = s.flights[seq % pipeline_];
    if (got < sizeof seq || !f.active || f.seq != seq) {
      ++slot_.report.late;  // answered after it was counted lost, or not ours
      continue;
    }
    if (got != wire_.response.size() ||
        (o_.verify && !wire_.check(in_.data(), 0, got, seq, s.id))) {
      ++slot_.report.errors.mismatch;
      f.active = false;
      --outstanding_;
    } else {
      f.active = false;
      --outstanding_;
      if (f.stamp >= sh_.measure_ns) {
        slot_.report.bytes_received += got;
        record_answer(slot_, f.stamp, now, o_.verify);
      }
    }
    if (may_issue(now)) send_one(s, seq % pipeline_, now);
  }
}

void UdpLoop::expire(std::uint64_t now) {
  const auto timeout = static_cast<std::uint64_t>(o_.udp_timeout.count());
  for (Sock& s : socks_) {
    if (s.dead) continue;
    for (std::uint64_t j = 0; j < pipeline_; ++j) {
      Flight& f = s.flights[j];
      if (!f.active || now < f.stamp + timeout) continue;
      f.active = false;
      --outstanding_;
      if (f.stamp >= sh_.measure_ns) ++slot_.report.errors.lost;
      if (may_issue(now)) send_one(s, j, now);
    }
  }
}

void UdpLoop::run() {
  socks_.resize(slot_.fds.size());
  live_ = socks_.size();
  flight_arena_.resize(socks_.size() * pipeline_);
  out_.resize(wire_.request.size());
  in_.resize(65536);
  const std::uint64_t start = now_ns();
  for (std::size_t i = 0; i < socks_.size(); ++i) {
    Sock& s = socks_[i];
    s.fd = slot_.fds[i].get();
    s.id = slot_.first_id + static_cast<std::uint32_t>(i);
    s.flights = flight_arena_.data() + i * pipeline_;
    if (!poller_.add(s.fd, kPollRead, &s)) {
      kill(s, EBADF);
      continue;
    }
    for (std::uint64_t j = 0; j < pipeline_ && !s.dead && may_issue(start); ++j)
      send_one(s, j, start);
  }
  std::uint64_t next_expiry = start;
  PollEvent events[256];
  for (;;) {
    const std::uint64_t now = now_ns();
    if (!stopping_ && sh_.end_ns != 0 && now >= sh_.end_ns) stopping_ = true;
    if (!stopping_ && sh_.end_ns == 0 && issued_ >= slot_.quota) stopping_ = true;
    if (live_ == 0) stopping_ = true;
    if (now >= next_expiry) {
      expire(now);  // also bounds the drain: everything in flight expires within udp_timeout
      next_expiry = now + 10'000'000;
    }
    if (stopping_ && outstanding_ == 0) break;
    ticker_.tick(now, slot_.report.responses);
    auto n = poller_.wait(events, 10);
    if (!n) break;
    for (std::size_t i = 0; i < *n; ++i)
      on_readable(*static_cast<Sock*>(events[i].token));
  }
}

}  // namespace

void run_udp(Shared& shared, Slot& slot, Poller& poller, Ticker& ticker) {
  UdpLoop loop(shared, slot, poller, ticker);
  loop.run();
}

}  // namespace sockit::bench::detail
