// RateSchedule: the intended send times of an open-loop load at a fixed arrival rate.
//
// A closed-loop generator sends the next request only after a response, so when the server
// stalls it simply sends less and the stall barely shows in the latencies ("coordinated
// omission"). An open-loop generator decides up front when each request should leave: event k
// is due at start + phase + k / rate, whatever happened before. Measuring latency from that
// intended time (not from when the request really left) charges every stall to every request
// it delayed, as wrk2 does.
//
// Times are nanoseconds on any monotonic clock the caller chooses. Event k's time is computed
// from k directly (not by summing periods), so there is no drift over millions of events.
// Thread-safety: none; one schedule per connection or per thread.
#pragma once

#include <cstdint>

namespace sockit {

class RateSchedule {
 public:
  /// `rate_per_sec` > 0 events per second; the first event is due at start_ns + phase_ns.
  RateSchedule(double rate_per_sec, std::uint64_t start_ns, std::uint64_t phase_ns = 0) noexcept;

  /// Intended time of event `k` (0-based).
  std::uint64_t at(std::uint64_t k) const noexcept;
  /// Intended time of the next event not yet taken.
  std::uint64_t next_time() const noexcept { return at(next_); }
  /// Index of the next event not yet taken.
  std::uint64_t next_index() const noexcept { return next_; }
  /// How many events not yet taken are due at `now_ns` (intended time <= now).
  std::uint64_t due(std::uint64_t now_ns) const noexcept;
  /// Takes the next event and returns its intended time.
  std::uint64_t take() noexcept { return at(next_++); }

  double rate() const noexcept { return rate_; }
  /// The interval between two events, in nanoseconds (rounded).
  std::uint64_t period_ns() const noexcept;

 private:
  double rate_;
  long double ns_per_event_;
  std::uint64_t origin_;  // start + phase
  std::uint64_t next_ = 0;
};

}  // namespace sockit
