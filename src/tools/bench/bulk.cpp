// The bulk loop: each connection streams the Pattern as fast as the kernel takes it and reads
// the echo back at the same time; the figure is echoed bytes per second. Every received byte is
// compared with the pattern at its stream offset (unless verify is off).
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "internal.hpp"
#include "sys/stream_io.hpp"

namespace sockit::bench::detail {
namespace {

struct Stream {
  int fd = -1;
  TlsLink* tls = nullptr;  // --ssl: the connection's session
  bool dead = false;
  bool writing = true;     // still sending
  bool paused = false;     // window full: not registered for kPollWrite until the echo catches up
  bool want_write = true;  // registered for kPollWrite
  std::uint64_t sent = 0, received = 0;
};

class BulkLoop {
 public:
  BulkLoop(Shared& shared, Slot& slot, Poller& poller, Ticker& ticker)
      : sh_(shared),
        o_(*shared.options),
        slot_(slot),
        poller_(poller),
        ticker_(ticker),
        chunk_(std::max<std::size_t>(1, o_.size)),
        // --requests N in bulk mode: N * size bytes in all, split like the request quota.
        limit_(o_.requests == 0
                   ? 0
                   : std::max<std::uint64_t>(1, slot.quota * o_.size / slot.fds.size())) {}

  void run();

 private:
  void on_write(Stream& s);
  void on_readable(Stream& s, std::uint64_t now);
  bool on_read(Stream& s, std::uint64_t now);  // true: the buffer filled, read again
  void stop_writing(Stream& s);
  void set_paused(Stream& s, bool paused);
  void update_interest(Stream& s);
  void kill(Stream& s, std::uint64_t ErrorCounts::*kind);

  Shared& sh_;
  const Options& o_;
  Slot& slot_;
  Poller& poller_;
  Ticker& ticker_;
  const std::size_t chunk_;
  const std::uint64_t limit_;  // bytes per stream to send (0: until the end time)
  Pattern pattern_;
  std::vector<Stream> streams_;
  std::vector<std::byte> in_ = std::vector<std::byte>(256 * 1024);
  std::uint64_t total_received_ = 0;
  std::uint64_t last_progress_ = 0;  // time bytes last came back (or the start)
  bool stopping_ = false;
};

void BulkLoop::kill(Stream& s, std::uint64_t ErrorCounts::*kind) {
  if (s.dead) return;
  s.dead = true;
  if (kind != nullptr) ++(slot_.report.errors.*kind);
  (void)poller_.remove(s.fd);
}

void BulkLoop::stop_writing(Stream& s) {
  if (!s.writing || s.dead) return;
  s.writing = false;
  update_interest(s);
}

// Registered for writing while there is something to write: more of the stream, or (TLS)
// ciphertext the socket has not taken yet, which the echo depends on even when paused.
void BulkLoop::update_interest(Stream& s) {
  if (s.dead) return;
  const bool want = (s.writing && !s.paused) || (s.tls != nullptr && s.tls->has_output());
  if (want == s.want_write) return;
  s.want_write = want;
  if (!poller_.modify(s.fd, kPollRead | (want ? kPollWrite : 0), &s)) kill(s, &ErrorCounts::io);
}

// Echo servers bound what they buffer for a slow reader (sockit's --output-limit disconnects
// past 4 MiB). Keeping at most kWindow bytes unanswered keeps the measurement about
// throughput, not about that policy; 2 MiB is far above loopback's bandwidth-delay product.
constexpr std::uint64_t kWindow = 2 << 20;
// Pattern periods per write at most (a write of --size bytes, up to 16 periods ~ 1 MiB).
constexpr std::size_t kMaxIov = 16;

void BulkLoop::set_paused(Stream& s, bool paused) {
  if (s.paused == paused || s.dead) return;
  s.paused = paused;
  update_interest(s);
}

void BulkLoop::on_write(Stream& s) {
  if (s.dead) return;
  if (s.tls != nullptr) {
    if (const int e = s.tls->flush(s.fd); e < 0) {
      count_io_error(-e, slot_.report.errors);
      kill(s, nullptr);
      return;
    }
    update_interest(s);
  }
  if (!s.writing) return;
  if (s.sent - s.received >= kWindow) {
    set_paused(s, true);
    return;
  }
  // One write of up to --size bytes, never past the window: a write larger than a pattern
  // period is several iovecs into the same pattern (no copy, one system call).
  std::uint64_t want = std::min<std::uint64_t>(chunk_, kWindow - (s.sent - s.received));
  if (limit_ != 0) want = std::min<std::uint64_t>(want, limit_ - s.sent);
  std::array<iovec, kMaxIov> iov;
  std::size_t count = 0;
  for (std::uint64_t pos = 0; pos < want && count < iov.size(); ++count) {
    const auto take =
        static_cast<std::size_t>(std::min<std::uint64_t>(want - pos, Pattern::kPeriod));
    iov[count] = iovec{const_cast<std::byte*>(pattern_.at(s.sent + pos)), take};
    pos += take;
  }
  // TLS: one pattern period per call (the session encrypts it into records of 16 KiB).
  const ssize_t n =
      s.tls != nullptr
          ? s.tls->send(s.fd, static_cast<const std::byte*>(iov[0].iov_base), iov[0].iov_len)
          : stream_io::transmitv(s.fd, std::span<const iovec>(iov.data(), count));
  if (n < 0) {
    if (stream_io::would_block(n)) return;
    count_io_error(static_cast<int>(-n), slot_.report.errors);
    kill(s, nullptr);
    return;
  }
  s.sent += static_cast<std::size_t>(n);
  if (limit_ != 0 && s.sent >= limit_) stop_writing(s);
  if (s.tls != nullptr) update_interest(s);
}

// A TLS session may hold decrypted bytes the socket no longer signals: with TLS, read until a
// read comes back short (bounded: the window caps what can be in flight).
void BulkLoop::on_readable(Stream& s, std::uint64_t now) {
  for (int round = 0; round < 64 && !s.dead; ++round) {
    if (!on_read(s, now) || s.tls == nullptr) return;
  }
}

bool BulkLoop::on_read(Stream& s, std::uint64_t now) {
  const ssize_t n =
      s.tls != nullptr ? s.tls->recv(s.fd, in_.data(), in_.size()) : stream_io::receive(s.fd, in_);
  if (n < 0) {
    if (stream_io::would_block(n)) return false;
    count_io_error(static_cast<int>(-n), slot_.report.errors);
    kill(s, nullptr);
    return false;
  }
  if (n == 0) {
    kill(s, &ErrorCounts::closed);
    return false;
  }
  const auto got = static_cast<std::size_t>(n);
  if (s.received + got > s.sent) {
    kill(s, &ErrorCounts::unexpected);  // more came back than was sent
    return false;
  }
  if (o_.verify) {
    for (std::size_t pos = 0; pos < got;) {  // compare in windows of at most one period
      const std::size_t take = std::min(got - pos, Pattern::kPeriod);
      if (std::memcmp(in_.data() + pos, pattern_.at(s.received + pos), take) != 0) {
        kill(s, &ErrorCounts::mismatch);
        return false;
      }
      pos += take;
    }
  }
  s.received += got;
  total_received_ += got;
  if (s.paused && s.writing && s.sent - s.received <= kWindow / 2) set_paused(s, false);
  last_progress_ = now;
  if (now >= sh_.measure_ns && (sh_.end_ns == 0 || now <= sh_.end_ns)) {
    slot_.report.bytes_received += got;
    slot_.last_ns = now;
    if (slot_.first_ns == 0) slot_.first_ns = now;
  }
  if (s.tls != nullptr && s.tls->has_output()) update_interest(s);
  return got == in_.size();
}

void BulkLoop::run() {
  streams_.resize(slot_.fds.size());
  for (std::size_t i = 0; i < streams_.size(); ++i) {
    streams_[i].fd = slot_.fds[i].get();
    if (!slot_.links.empty()) streams_[i].tls = &slot_.links[i];
    if (!poller_.add(streams_[i].fd, kPollRead | kPollWrite, &streams_[i])) {
      kill(streams_[i], &ErrorCounts::io);
    }
  }
  std::uint64_t drain_deadline = 0;
  last_progress_ = now_ns();
  PollEvent events[64];
  for (;;) {
    const std::uint64_t now = now_ns();
    if (!stopping_ && sh_.end_ns != 0 && now >= sh_.end_ns) {
      stopping_ = true;
      for (Stream& s : streams_)
        stop_writing(s);
    }
    bool busy = false, writing = false;
    for (const Stream& s : streams_) {
      busy = busy || (!s.dead && (s.writing || s.received < s.sent));
      writing = writing || (!s.dead && s.writing);
    }
    if (!busy) break;
    if (!writing) stopping_ = true;  // --requests: every byte is out; drain the echo
    if (!stopping_ && now > last_progress_ + kStallNs) stopping_ = true;
    if (stopping_ && drain_deadline == 0) {
      drain_deadline = now + static_cast<std::uint64_t>(o_.drain_timeout.count());
    }
    if (stopping_ && now >= drain_deadline) {
      slot_.report.errors.timeout += 1;
      break;
    }
    ticker_.tick(now, total_received_);
    auto n = poller_.wait(events, 50);
    if (!n) break;
    const std::uint64_t after = now_ns();
    for (std::size_t i = 0; i < *n; ++i) {
      Stream& s = *static_cast<Stream*>(events[i].token);
      if ((events[i].events & (kPollRead | kPollHangup | kPollError)) != 0) on_readable(s, after);
      if ((events[i].events & kPollWrite) != 0) on_write(s);
    }
  }
  for (const Stream& s : streams_)
    slot_.report.bytes_sent += s.sent;
}

}  // namespace

void run_bulk(Shared& shared, Slot& slot, Poller& poller, Ticker& ticker) {
  BulkLoop loop(shared, slot, poller, ticker);
  loop.run();
}

}  // namespace sockit::bench::detail
