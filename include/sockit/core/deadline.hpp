// Deadlines for blocking calls: an absolute point on the steady clock, or never.
#pragma once

#include <chrono>

namespace sockit {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

class Deadline {
 public:
  /// A deadline that never expires.
  constexpr Deadline() noexcept = default;
  constexpr explicit Deadline(Clock::time_point at) noexcept : at_(at) {}

  static constexpr Deadline never() noexcept { return Deadline{}; }
  /// `timeout` from now; a zero or negative timeout means "already expired".
  static Deadline after(Clock::duration timeout) noexcept {
    return Deadline(Clock::now() + timeout);
  }
  /// Like after(), but a zero timeout means never (the CLI convention: -w 0 = no timeout).
  static Deadline after_or_never(Clock::duration timeout) noexcept {
    return timeout.count() == 0 ? never() : after(timeout);
  }

  bool is_never() const noexcept { return at_ == Clock::time_point::max(); }
  Clock::time_point at() const noexcept { return at_; }
  bool expired() const noexcept { return !is_never() && Clock::now() >= at_; }

  /// Milliseconds left, rounded up, for poll(): -1 for never, 0 once expired.
  int poll_timeout_ms() const noexcept;

  /// The earlier of two deadlines.
  friend Deadline earliest(Deadline a, Deadline b) noexcept { return a.at_ <= b.at_ ? a : b; }

 private:
  Clock::time_point at_ = Clock::time_point::max();
};

}  // namespace sockit
