#include "sockit/tools/rate.hpp"

#include <cmath>

namespace sockit {

namespace {
constexpr long double kNanosPerSecond = 1e9L;
// A rate this low means "one event, then effectively never again" and keeps at() finite.
constexpr double kMinRate = 1e-6;
}  // namespace

RateSchedule::RateSchedule(double rate_per_sec, std::uint64_t start_ns,
                           std::uint64_t phase_ns) noexcept
    : rate_(rate_per_sec > kMinRate ? rate_per_sec : kMinRate),
      ns_per_event_(kNanosPerSecond / static_cast<long double>(rate_)),
      origin_(start_ns + phase_ns) {}

std::uint64_t RateSchedule::at(std::uint64_t k) const noexcept {
  // long double keeps k * period exact to well under a nanosecond for any k we will reach.
  const long double offset = static_cast<long double>(k) * ns_per_event_;
  return origin_ + static_cast<std::uint64_t>(std::floor(offset));
}

std::uint64_t RateSchedule::due(std::uint64_t now_ns) const noexcept {
  if (now_ns < next_time()) return 0;
  // Events with at(k) <= now: k <= (now - origin) / period. Compute the candidate, then fix
  // rounding at the edge so due() agrees exactly with at().
  const long double span = static_cast<long double>(now_ns - origin_);
  auto last = static_cast<std::uint64_t>(std::floor(span / ns_per_event_));
  // Floating-point rounding is off by at most one event either way.
  for (int i = 0; i < 2 && last > next_ && at(last) > now_ns; ++i)
    --last;
  for (int i = 0; i < 2 && at(last + 1) <= now_ns; ++i)
    ++last;
  return last + 1 - next_;
}

std::uint64_t RateSchedule::period_ns() const noexcept {
  return static_cast<std::uint64_t>(std::llround(ns_per_event_));
}

}  // namespace sockit
