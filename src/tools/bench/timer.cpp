// SendTimer: wakes the open-loop sender at a send's intended time with nanosecond resolution.
// epoll_wait's timeout is in whole milliseconds; sleeping to the millisecond and spinning the
// rest works on an idle core but, on a busy machine, a spinning thread is preempted for whole
// scheduler slices, and every late send is charged to latency. A timerfd armed at the absolute
// intended time (with the thread's timer slack cut to 1 us) wakes the loop through the same
// Poller, on time, without spinning.
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "internal.hpp"

namespace sockit::bench::detail {

Status SendTimer::open(Poller& poller, void* token) {
  UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!fd) return fail(sys_error());
  if (auto added = poller.add(fd.get(), kPollRead, token); !added) return added;
  ::prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);  // this (load) thread only
  fd_ = std::move(fd);
  return {};
}

void SendTimer::arm(std::uint64_t at_ns) noexcept {
  if (!fd_ || at_ns == armed_) return;
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(at_ns / 1'000'000'000u);
  spec.it_value.tv_nsec = static_cast<long>(at_ns % 1'000'000'000u);
  if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  if (::timerfd_settime(fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) == 0) armed_ = at_ns;
}

void SendTimer::consume() noexcept {
  std::uint64_t expirations = 0;
  if (::read(fd_.get(), &expirations, sizeof expirations) < 0) return;  // EAGAIN: nothing new
  armed_ = 0;  // fired: the next arm() must reprogram even for the same time
}

}  // namespace sockit::bench::detail
