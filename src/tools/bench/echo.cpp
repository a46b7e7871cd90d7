// The echo / request-response loop: many TCP connections, `pipeline` requests in flight on each,
// closed loop or open loop (RateSchedule), every answer verified and timed.
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "internal.hpp"
#include "sockit/tools/rate.hpp"
#include "sys/stream_io.hpp"

namespace sockit::bench::detail {
namespace {

struct Conn {
  int fd = -1;
  TlsLink* tls = nullptr;  // --ssl: the connection's session
  std::uint32_t id = 0;
  bool dead = false;
  bool want_write = false;          // registered for kPollWrite: output is waiting
  std::uint64_t next_seq = 0;       // stamped on the next request built
  std::uint64_t recv_seq = 0;       // the request whose answer is being received
  std::size_t recv_pos = 0;         // bytes of that answer received so far
  std::uint64_t* stamps = nullptr;  // ring (capacity = pipeline) of send times in flight
  std::uint32_t head = 0, inflight = 0;
  std::byte* out = nullptr;  // unsent request bytes live in out[begin, end)
  std::size_t begin = 0, end = 0;
  std::uint64_t backlog = 0;        // open loop: requests due but not yet sendable
  std::uint64_t backlog_event = 0;  // schedule index of the first of them
};

class EchoLoop {
 public:
  EchoLoop(Shared& shared, Slot& slot, Poller& poller, Ticker& ticker)
      : sh_(shared),
        o_(*shared.options),
        slot_(slot),
        poller_(poller),
        ticker_(ticker),
        wire_(shared.wire),
        pipeline_(static_cast<std::uint32_t>(o_.pipeline)),
        schedule_(slot.rate > 0 ? slot.rate : 1.0, shared.start_ns,
                  // Threads start their schedules staggered, so that their sends interleave.
                  slot.rate > 0 ? static_cast<std::uint64_t>(1e9 / o_.rate) *
                                      static_cast<std::uint64_t>(slot.index)
                                : 0) {}

  void run();

 private:
  bool setup();
  bool open_loop() const { return slot_.rate > 0; }
  bool measured(std::uint64_t stamp) const { return stamp >= sh_.measure_ns; }
  bool may_issue_closed(std::uint64_t now);
  void issue(Conn& c, std::uint64_t stamp);
  void flush(Conn& c);
  void on_readable(Conn& c);
  void answered(Conn& c, std::uint64_t n, std::uint64_t now);
  void dispatch_due(std::uint64_t now);
  void kill(Conn& c, std::uint64_t ErrorCounts::*kind);
  int wait_timeout(std::uint64_t now);

  Shared& sh_;
  const Options& o_;
  Slot& slot_;
  Poller& poller_;
  Ticker& ticker_;
  const Wire& wire_;
  const std::uint32_t pipeline_;
  RateSchedule schedule_;
  SendTimer timer_;  // open loop only: wakes the loop at the next intended send time
  std::vector<Conn> conns_;
  std::vector<std::uint64_t> stamp_arena_;
  std::vector<std::byte> out_arena_;
  std::vector<std::byte> in_;
  std::uint64_t outstanding_ = 0;  // requests sent or due and not yet answered, all conns
  std::uint64_t issued_ = 0;       // measured requests issued (quota)
  bool stopping_ = false;
  std::size_t live_ = 0;           // connections not failed
  std::uint64_t last_answer_ = 0;  // time of the last answer (or of the start)  // past the warmup
                                   // (updated once per loop turn)
};

bool EchoLoop::setup() {
  const std::size_t n = slot_.fds.size();
  const std::size_t out_cap = pipeline_ * wire_.request.size();
  conns_.resize(n);
  live_ = n;
  stamp_arena_.resize(n * pipeline_);
  out_arena_.resize(n * out_cap);
  in_.resize(std::max<std::size_t>(64 * 1024, 4 * wire_.response.size()));
  for (std::size_t i = 0; i < n; ++i) {
    Conn& c = conns_[i];
    c.fd = slot_.fds[i].get();
    if (!slot_.links.empty()) c.tls = &slot_.links[i];
    c.id = slot_.first_id + static_cast<std::uint32_t>(i);
    c.stamps = stamp_arena_.data() + i * pipeline_;
    c.out = out_arena_.data() + i * out_cap;
    if (!poller_.add(c.fd, kPollRead, &c)) {
      kill(c, &ErrorCounts::io);
    }
  }
  if (open_loop()) {
    if (auto opened = timer_.open(poller_, &timer_); !opened) {
      slot_.fatal = opened.error();
      return false;
    }
  }
  return true;
}

// Appends one request to c's output and remembers its send (or intended send) time.
void EchoLoop::issue(Conn& c, std::uint64_t stamp) {
  const std::size_t sz = wire_.request.size();
  if (c.end + sz > pipeline_ * sz) {  // slide the unsent bytes to the front
    std::memmove(c.out, c.out + c.begin, c.end - c.begin);
    c.end -= c.begin;
    c.begin = 0;
  }
  wire_.build(c.out + c.end, c.next_seq++, c.id);
  c.end += sz;
  c.stamps[(c.head + c.inflight) % pipeline_] = stamp;
  ++c.inflight;
  if (measured(stamp)) slot_.report.bytes_sent += sz;  // bytes of measured requests only
  if (!open_loop()) {
    ++outstanding_;
    if (measured(stamp)) {
      ++issued_;
      ++slot_.report.requests;
      if (slot_.first_ns == 0) slot_.first_ns = stamp;
    }
  }
}

void EchoLoop::flush(Conn& c) {
  if (c.dead) return;
  while (c.begin < c.end) {
    const std::size_t len = c.end - c.begin;
    const ssize_t n =
        c.tls != nullptr
            ? c.tls->send(c.fd, c.out + c.begin, len)
            : stream_io::transmit(c.fd, {reinterpret_cast<const char*>(c.out + c.begin), len});
    if (n < 0) {
      if (stream_io::would_block(n)) break;
      count_io_error(static_cast<int>(-n), slot_.report.errors);
      kill(c, nullptr);
      return;
    }
    c.begin += static_cast<std::size_t>(n);
  }
  if (c.tls != nullptr && c.begin == c.end) {
    if (const int e = c.tls->flush(c.fd); e < 0) {
      count_io_error(-e, slot_.report.errors);
      kill(c, nullptr);
      return;
    }
  }
  // With TLS, ciphertext the socket did not take yet also needs the socket to become writable.
  const bool pending = c.begin < c.end || (c.tls != nullptr && c.tls->has_output());
  if (!pending) c.begin = c.end = 0;
  if (pending != c.want_write) {
    c.want_write = pending;
    if (!poller_.modify(c.fd, kPollRead | (pending ? kPollWrite : 0), &c))
      kill(c, &ErrorCounts::io);
  }
}

bool EchoLoop::may_issue_closed(std::uint64_t now) {
  if (stopping_) return false;
  if (now < sh_.measure_ns) return true;  // warmup
  return slot_.quota == 0 || issued_ < slot_.quota;
}

void EchoLoop::on_readable(Conn& c) {
  // Bounded: stay fair to other conns. A TLS session may hold decrypted bytes the socket no
  // longer signals, so with TLS the loop goes on until a read comes back short.
  const int rounds = c.tls != nullptr ? 1024 : 4;
  for (int round = 0; round < rounds && !c.dead; ++round) {
    const ssize_t n = c.tls != nullptr ? c.tls->recv(c.fd, in_.data(), in_.size())
                                       : stream_io::receive(c.fd, in_);
    if (n < 0) {
      if (stream_io::would_block(n)) return;
      count_io_error(static_cast<int>(-n), slot_.report.errors);
      kill(c, nullptr);
      return;
    }
    if (n == 0) {
      kill(c, &ErrorCounts::closed);
      return;
    }
    const std::uint64_t now = now_ns();
    const auto got = static_cast<std::size_t>(n);
    const std::size_t rsz = wire_.response.size();
    std::uint64_t done = 0;
    for (std::size_t pos = 0; pos < got;) {
      if (c.inflight == 0) {
        kill(c, &ErrorCounts::unexpected);
        return;
      }
      const std::size_t take = std::min(got - pos, rsz - c.recv_pos);
      if (o_.verify && !wire_.check(in_.data() + pos, c.recv_pos, take, c.recv_seq, c.id)) {
        kill(c, &ErrorCounts::mismatch);
        return;
      }
      pos += take;
      c.recv_pos += take;
      if (c.recv_pos == rsz) {
        c.recv_pos = 0;
        ++c.recv_seq;
        const std::uint64_t stamp = c.stamps[c.head];
        c.head = (c.head + 1) % pipeline_;
        --c.inflight;
        --outstanding_;
        ++done;
        if (measured(stamp)) {
          record_answer(slot_, stamp, now, o_.verify);
          slot_.report.bytes_received += rsz;  // bytes of measured answers only
        }
      }
    }
    if (done > 0) {
      last_answer_ = now;
      answered(c, done, now);
    }
    if (got < in_.size()) return;  // drained: no need for another recv
  }
}

// Refills the pipeline after `n` answers: closed loop sends n new requests, open loop sends
// requests that were due and waiting for a free slot.
void EchoLoop::answered(Conn& c, std::uint64_t n, std::uint64_t now) {
  if (open_loop()) {
    while (c.backlog > 0 && c.inflight < pipeline_) {
      issue(c, schedule_.at(c.backlog_event));
      c.backlog_event += conns_.size();
      --c.backlog;
    }
  } else {
    for (std::uint64_t i = 0; i < n && may_issue_closed(now); ++i)
      issue(c, now);
  }
  flush(c);
}

// Open loop: takes every schedule event due by `now`, round-robin over the connections.
void EchoLoop::dispatch_due(std::uint64_t now) {
  const std::uint64_t due = schedule_.due(now);
  const std::size_t nconns = conns_.size();
  for (std::uint64_t i = 0; i < due; ++i) {
    const std::uint64_t k = schedule_.next_index();
    const std::uint64_t t = schedule_.next_time();
    if (sh_.end_ns != 0 && t >= sh_.end_ns) {
      stopping_ = true;
      return;
    }
    if (sh_.end_ns == 0 && measured(t) && issued_ >= slot_.quota) {
      stopping_ = true;
      return;
    }
    schedule_.take();
    Conn& c = conns_[k % nconns];
    if (c.dead) {
      if (measured(t)) ++slot_.report.errors.closed;  // due on a failed connection: unsent
      continue;
    }
    if (measured(t)) {
      ++issued_;
      ++slot_.report.requests;
      if (slot_.first_ns == 0) slot_.first_ns = t;
    }
    ++outstanding_;
    if (c.backlog == 0 && c.inflight < pipeline_) {
      issue(c, t);
      flush(c);
    } else {
      if (c.backlog == 0) c.backlog_event = k;
      ++c.backlog;
    }
  }
}

void EchoLoop::kill(Conn& c, std::uint64_t ErrorCounts::*kind) {
  if (c.dead) return;
  c.dead = true;
  --live_;
  if (kind != nullptr) ++(slot_.report.errors.*kind);
  (void)poller_.remove(c.fd);
  outstanding_ -= c.inflight + c.backlog;
  c.inflight = 0;
  c.backlog = 0;
}

int EchoLoop::wait_timeout(std::uint64_t now) {
  std::uint64_t until = now + 100'000'000;  // wake at least every 100 ms for progress
  // The end of the window, rounded up: the open loop's last sends are timed by the timer.
  if (!stopping_ && sh_.end_ns != 0) until = std::min(until, std::max(now, sh_.end_ns) + 999'999);
  if (open_loop() && !stopping_) {
    const std::uint64_t next = schedule_.next_time();
    if (next <= now) return 0;
    timer_.arm(next);
  }
  return static_cast<int>((until - std::min(until, now)) / 1'000'000);
}

void EchoLoop::run() {
  if (!setup()) return;
  last_answer_ = now_ns();
  if (!open_loop()) {
    const std::uint64_t now = now_ns();
    for (Conn& c : conns_) {
      for (std::uint32_t i = 0; i < pipeline_ && !c.dead && may_issue_closed(now); ++i)
        issue(c, now);
      flush(c);
    }
  }
  std::uint64_t drain_deadline = 0;
  PollEvent events[256];
  for (;;) {
    const std::uint64_t now = now_ns();
    // Open loop: send what fell due up to now first, so that the last events before the end
    // time still leave (dispatch_due stops at the first event at or past the end).
    if (open_loop() && !stopping_) dispatch_due(now);
    if (!stopping_ && sh_.end_ns != 0 && now >= sh_.end_ns) stopping_ = true;
    if (!stopping_ && !open_loop() && sh_.end_ns == 0 && issued_ >= slot_.quota) stopping_ = true;
    // Nothing answered for a long time: give up rather than wait forever (counted as timeouts).
    if (!stopping_ && outstanding_ > 0 && now > last_answer_ + kStallNs) stopping_ = true;
    if (live_ == 0) stopping_ = true;  // every connection failed
    if (stopping_ && drain_deadline == 0)
      drain_deadline = now + static_cast<std::uint64_t>(o_.drain_timeout.count());
    if (stopping_ && (outstanding_ == 0 || now >= drain_deadline)) break;
    ticker_.tick(now, slot_.report.responses);
    auto n = poller_.wait(events, wait_timeout(now));
    if (!n) break;
    for (std::size_t i = 0; i < *n; ++i) {
      if (events[i].token == &timer_) {
        timer_.consume();  // the loop's next turn dispatches what fell due
        continue;
      }
      Conn& c = *static_cast<Conn*>(events[i].token);
      if ((events[i].events & (kPollRead | kPollHangup | kPollError)) != 0) on_readable(c);
      if ((events[i].events & kPollWrite) != 0) flush(c);
    }
  }
  slot_.report.errors.timeout += outstanding_;
}

}  // namespace

void run_echo(Shared& shared, Slot& slot, Poller& poller, Ticker& ticker) {
  EchoLoop loop(shared, slot, poller, ticker);
  loop.run();
}

}  // namespace sockit::bench::detail
