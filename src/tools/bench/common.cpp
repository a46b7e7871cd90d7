// Shared helpers of the load engine: clock, templates, progress, the connect phase.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "internal.hpp"

namespace sockit::bench {

void ErrorCounts::add(const ErrorCounts& o) noexcept {
  connect += o.connect;
  reset += o.reset;
  closed += o.closed;
  mismatch += o.mismatch;
  unexpected += o.unexpected;
  timeout += o.timeout;
  lost += o.lost;
  io += o.io;
}

namespace detail {

std::uint64_t now_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

namespace {

// Filler bytes that differ from their neighbours, so a shifted reply cannot pass as correct.
std::byte filler(std::size_t i) noexcept {
  return static_cast<std::byte>((i * 131 + 17) & 0xff);
}

std::vector<std::byte> bytes_of(const std::string& s) {
  std::vector<std::byte> out(s.size());
  std::memcpy(out.data(), s.data(), s.size());
  return out;
}

}  // namespace

Wire Wire::make(const Options& options) {
  Wire w;
  if (!options.request.empty()) {
    w.request = bytes_of(options.request);
    w.response = bytes_of(options.expect);
    return w;
  }
  w.request.resize(options.size);
  for (std::size_t i = 0; i < options.size; ++i)
    w.request[i] = filler(i);
  w.response = w.request;
  w.header = options.size >= kHeader ? kHeader : 0;
  return w;
}

void Wire::build(std::byte* dst, std::uint64_t seq, std::uint32_t id) const noexcept {
  std::memcpy(dst, request.data(), request.size());
  if (header != 0) {
    std::memcpy(dst, &seq, sizeof seq);
    std::memcpy(dst + sizeof seq, &id, sizeof id);
  }
}

bool Wire::check(const std::byte* data, std::size_t pos, std::size_t n, std::uint64_t seq,
                 std::uint32_t id) const noexcept {
  std::size_t done = 0;
  if (pos < header) {
    std::byte head[kHeader];
    std::memcpy(head, &seq, sizeof seq);
    std::memcpy(head + sizeof seq, &id, sizeof id);
    done = std::min(n, header - pos);
    if (std::memcmp(data, head + pos, done) != 0) return false;
  }
  return std::memcmp(data + done, response.data() + pos + done, n - done) == 0;
}

Pattern::Pattern() : twice(2 * kPeriod) {
  // A simple LCG: cheap, and no period of the byte sequence shorter than kPeriod.
  std::uint32_t x = 12345;
  for (std::size_t i = 0; i < kPeriod; ++i) {
    x = x * 1103515245u + 12345u;
    twice[i] = twice[i + kPeriod] = static_cast<std::byte>(x >> 24);
  }
}

void Ticker::tick(std::uint64_t now, std::uint64_t count) noexcept {
  if (now < next_publish_) return;
  next_publish_ = now + 200'000'000;  // 5 times a second: p99 costs one histogram scan
  slot_.live_count.store(count, std::memory_order_relaxed);
  slot_.live_p99.store(slot_.report.latency_ns->percentile(99.0), std::memory_order_relaxed);
  if (fn_ == nullptr || !*fn_ || now < next_report_) return;
  next_report_ = now + 1'000'000'000;
  report(now);
}

void Ticker::report(std::uint64_t now) {
  std::uint64_t total = 0, p99 = 0;
  for (const Slot* s : all_) {
    total += s->live_count.load(std::memory_order_relaxed);
    p99 = std::max(p99, s->live_p99.load(std::memory_order_relaxed));
  }
  Progress p;
  p.elapsed_sec = static_cast<double>(now - shared_.start_ns) / 1e9;
  p.warming_up = now < shared_.measure_ns;
  p.responses = total;
  if (last_report_ns_ != 0 && now > last_report_ns_) {
    p.current_rate = static_cast<double>(total - std::min(total, last_total_)) * 1e9 /
                     static_cast<double>(now - last_report_ns_);
  }
  p.p99_ns = p99;  // the worst thread's p99: an upper bound of the merged one
  last_report_ns_ = now;
  last_total_ = total;
  (*fn_)(p);
}

void count_io_error(int err, ErrorCounts& errors) noexcept {
  if (err == ECONNREFUSED) {
    ++errors.connect;  // UDP: ICMP port unreachable, the datagram form of a refused connect
  } else if (err == ECONNRESET || err == EPIPE) {
    ++errors.reset;
  } else {
    ++errors.io;
  }
}

namespace {

constexpr int kConnectBatch = 256;  // handshakes in flight at once

struct Pending {
  UniqueFd fd;
  bool done = false;
};

UniqueFd start_one(const SockAddr& to, int type, ErrorCounts& errors, bool& in_progress,
                   std::error_code& first_error) {
  UniqueFd fd(::socket(to.get()->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  in_progress = false;
  if (!fd) {
    ++errors.connect;
    if (!first_error) first_error = sys_error();
    return fd;
  }
  if (type == SOCK_STREAM) {
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (::connect(fd.get(), to.get(), to.len) == 0) return fd;
  if (errno == EINPROGRESS) {
    in_progress = true;
    return fd;
  }
  ++errors.connect;
  if (!first_error) first_error = sys_error();
  return UniqueFd{};
}

// Waits for the in-progress connects of one batch through a Poller.
void finish_batch(std::vector<Pending>& batch, std::uint64_t deadline_ns, ErrorCounts& errors,
                  std::vector<UniqueFd>& out, std::error_code& first_error) {
  auto poller = Poller::create();
  std::size_t waiting = 0;
  for (auto& p : batch) {
    if (p.done) continue;
    if (!poller || !(*poller)->add(p.fd.get(), kPollWrite, &p)) {
      ++errors.connect;
      p.done = true;
      continue;
    }
    ++waiting;
  }
  PollEvent events[64];
  while (waiting > 0) {
    const std::uint64_t now = now_ns();
    if (now >= deadline_ns) break;
    const auto ms =
        static_cast<int>(std::min<std::uint64_t>((deadline_ns - now) / 1'000'000 + 1, 100));
    auto n = (*poller)->wait(events, ms);
    if (!n) break;
    for (std::size_t i = 0; i < *n; ++i) {
      auto* p = static_cast<Pending*>(events[i].token);
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(p->fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      (void)(*poller)->remove(p->fd.get());
      p->done = true;
      --waiting;
      if (err == 0) {
        out.push_back(std::move(p->fd));
      } else {
        ++errors.connect;
        if (!first_error) first_error = sys_error(err);
      }
    }
  }
  errors.connect += waiting;  // timed out
  if (waiting > 0 && !first_error) first_error = sys_error(ETIMEDOUT);
}

}  // namespace

std::vector<UniqueFd> open_connections(const SockAddr& to, int type, int count,
                                       std::uint64_t deadline_ns, ErrorCounts& errors,
                                       std::error_code& first_error) {
  std::vector<UniqueFd> out;
  out.reserve(static_cast<std::size_t>(count));
  std::vector<Pending> batch;
  batch.reserve(kConnectBatch);
  for (int first = 0; first < count; first += kConnectBatch) {
    batch.clear();
    const int n = std::min(kConnectBatch, count - first);
    for (int i = 0; i < n; ++i) {
      bool in_progress = false;
      UniqueFd fd = start_one(to, type, errors, in_progress, first_error);
      if (!fd) continue;
      if (in_progress) {
        batch.push_back(Pending{std::move(fd), false});
      } else {
        out.push_back(std::move(fd));
      }
    }
    if (!batch.empty()) finish_batch(batch, deadline_ns, errors, out, first_error);
  }
  return out;
}

}  // namespace detail

std::string validate(const Options& o) {
  if (o.conns < 1) return "--conns must be at least 1";
  if (o.threads < 1) return "--threads must be at least 1";
  if (o.threads > o.conns) return "--threads must not exceed --conns";
  if (o.idle < 0) return "--idle must not be negative";
  if (o.pipeline < 1 || o.pipeline > 4096) return "--pipeline must be 1..4096";
  if (o.request.empty() != o.expect.empty()) return "--send and --expect go together";
  if (o.request.empty() && (o.size < 1 || o.size > (std::size_t{1} << 20))) {
    return "--size must be 1..1048576";
  }
  if (o.mode == Mode::udp && o.request.empty() && o.size < detail::Wire::kHeader) {
    return "UDP mode needs --size of at least 12 (sequence number and connection id)";
  }
  if (o.mode == Mode::udp && o.size > 65507) return "UDP --size must be at most 65507";
  if (o.mode != Mode::echo && !o.request.empty()) return "--send/--expect need the echo mode";
  if (o.mode != Mode::echo && o.rate > 0) return "--rate applies to the TCP echo mode only";
  if (o.duration.count() <= 0 && o.requests == 0) return "give --duration or --requests";
  if (o.rate < 0) return "--rate must not be negative";
  if (o.rate > 0 && o.requests == 0 && o.duration.count() <= 0) return "--rate needs --duration";
  if (o.target.len == 0) return "no target address";
  if (o.tls && o.mode == Mode::udp) return "--ssl is for TCP; UDP has no TLS (no DTLS)";
  return {};
}

}  // namespace sockit::bench
