#include "sockit/core/deadline.hpp"

namespace sockit {

int Deadline::poll_timeout_ms() const noexcept {
  if (is_never()) return -1;
  auto left = at_ - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  auto ms = std::chrono::ceil<Millis>(left).count();
  return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms);
}

}  // namespace sockit
