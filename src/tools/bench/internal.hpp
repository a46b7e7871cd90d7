// Pieces shared by the load engine's source files (src/bench/): the per-thread state, the
// request/response templates, the clock, and the connect phase. Not installed.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sockit/async/poller.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/tools/bench.hpp"
#include "sockit/tools/histogram.hpp"
#include "tls_link.hpp"

namespace sockit::bench::detail {

/// With answers outstanding and none arriving for this long, a loop stops and counts the
/// outstanding requests as timeouts (bounds --requests runs against a server that hangs).
inline constexpr std::uint64_t kStallNs = 10'000'000'000;

/// CLOCK_MONOTONIC in nanoseconds (a vDSO call: no syscall).
std::uint64_t now_ns() noexcept;

/// Bytes a request carries and the bytes its answer must be. In echo mode both are the same
/// template and each request's first kHeader bytes are overwritten with its sequence number and
/// connection id, so a reordered, duplicated or cross-connection reply fails verification.
struct Wire {
  static constexpr std::size_t kHeader = 12;
  std::vector<std::byte> request;
  std::vector<std::byte> response;
  std::size_t header = 0;  ///< kHeader in echo mode when size >= kHeader, else 0

  static Wire make(const Options& options);
  /// Writes request bytes for (seq, id) to dst (request.size() bytes).
  void build(std::byte* dst, std::uint64_t seq, std::uint32_t id) const noexcept;
  /// True if data[0..n) equals bytes [pos, pos + n) of the response to (seq, id).
  bool check(const std::byte* data, std::size_t pos, std::size_t n, std::uint64_t seq,
             std::uint32_t id) const noexcept;
};

/// The bulk mode's byte stream: byte i of the stream is pattern[i % kPeriod]. The period is prime
/// so that a shifted or repeated chunk does not line up with the pattern again. `twice` holds
/// the pattern two times so that any window of up to kPeriod bytes is contiguous.
struct Pattern {
  static constexpr std::size_t kPeriod = 65521;
  std::vector<std::byte> twice;
  Pattern();
  const std::byte* at(std::uint64_t offset) const noexcept {
    return twice.data() + offset % kPeriod;
  }
};

/// State shared by every load thread; written before the threads start, except the atomics.
struct Shared {
  const Options* options = nullptr;
  Wire wire;
  std::uint64_t start_ns = 0;    ///< all connections up; warmup begins (set by the barrier)
  std::uint64_t measure_ns = 0;  ///< warmup over: traffic from here on counts
  std::uint64_t end_ns = 0;      ///< measured phase ends (0: ends by request count)
  std::atomic<bool> abort{false};
};

/// One load thread's share of the work and its results. Heap-allocated (holds a Histogram).
struct Slot {
  int index = 0;
  int conns = 0;
  int idle = 0;
  std::uint32_t first_id = 0;  ///< connection ids are global: first_id .. first_id + conns - 1
  std::uint64_t quota = 0;     ///< measured requests to send (0: by duration)
  double rate = 0;             ///< this thread's share of the open-loop rate

  std::vector<UniqueFd> fds;  ///< active connections that came up
  std::vector<UniqueFd> idle_fds;
  std::vector<TlsLink> links;          ///< with TLS: the session of fds[i] (else empty)
  std::vector<std::byte> tls_scratch;  ///< ciphertext read buffer shared by the links
  Report report;                       ///< counters; latency goes to report.latency_ns
  std::uint64_t first_ns = 0;          ///< first measured send
  std::uint64_t last_ns = 0;           ///< last measured answer
  std::error_code fatal;               ///< set if the thread could not run at all
  std::error_code connect_error;       ///< the first connect failure, if any

  // Progress, read by thread 0 while this thread runs.
  alignas(64) std::atomic<std::uint64_t> live_count{0};  ///< responses (bytes in bulk)
  std::atomic<std::uint64_t> live_p99{0};
};

/// Publishes progress and, on the calling thread (slot 0), reports it about once a second.
class Ticker {
 public:
  Ticker(Shared& shared, Slot& slot, std::span<Slot* const> all, const ProgressFn* fn)
      : shared_(shared), slot_(slot), all_(all), fn_(fn) {}
  /// Cheap when not due; call once per loop turn with the turn's time.
  void tick(std::uint64_t now, std::uint64_t count) noexcept;

 private:
  void report(std::uint64_t now);
  Shared& shared_;
  Slot& slot_;
  std::span<Slot* const> all_;
  const ProgressFn* fn_;
  std::uint64_t next_publish_ = 0, next_report_ = 0;
  std::uint64_t last_report_ns_ = 0, last_total_ = 0;
};

/// A timerfd on the loop's Poller that fires at an absolute CLOCK_MONOTONIC time (timer.cpp).
class SendTimer {
 public:
  /// Creates the timer and registers it with `poller` under `token`.
  Status open(Poller& poller, void* token);
  /// Fires once at `at_ns` (re-arming for the time already armed costs nothing).
  void arm(std::uint64_t at_ns) noexcept;
  /// Reads the expiration after the poller reported the timer readable.
  void consume() noexcept;

 private:
  UniqueFd fd_;
  std::uint64_t armed_ = 0;
};

/// Opens `count` connections to `to` (SOCK_STREAM with TCP_NODELAY, or connected SOCK_DGRAM),
/// at most a few hundred handshakes at a time so that the server's listen backlog is not
/// overrun. Failures are counted in errors.connect; the survivors are returned.
std::vector<UniqueFd> open_connections(const SockAddr& to, int type, int count,
                                       std::uint64_t deadline_ns, ErrorCounts& errors,
                                       std::error_code& first_error);

/// Classifies a failed send/recv errno into `errors`.
void count_io_error(int err, ErrorCounts& errors) noexcept;

/// The per-mode loops. Each runs until its measured phase is over and the answers in flight have
/// drained (or drain_timeout passed); they never allocate after setup.
void run_echo(Shared& shared, Slot& slot, Poller& poller, Ticker& ticker);
void run_bulk(Shared& shared, Slot& slot, Poller& poller, Ticker& ticker);
void run_udp(Shared& shared, Slot& slot, Poller& poller, Ticker& ticker);

/// Records a measured answer.
inline void record_answer(Slot& slot, std::uint64_t stamp, std::uint64_t now, bool verified) {
  slot.report.latency_ns->record(now > stamp ? now - stamp : 0);
  ++slot.report.responses;
  if (verified) ++slot.report.responses_verified;
  slot.last_ns = now;
}

}  // namespace sockit::bench::detail
