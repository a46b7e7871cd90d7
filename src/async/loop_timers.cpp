// EventLoop timers: run_after/run_every (owned by the loop, found by id) and TimerEntry (owned
// by the caller, no allocation). Two min-heaps; fire_timers() takes whichever is due first, so
// all timers fire in deadline order.
#include <algorithm>
#include <cassert>

#include "sockit/async/loop.hpp"

namespace sockit {

// ---- timers owned by the loop ----------------------------------------------------------------

void EventLoop::schedule(TimerId id, Clock::time_point when) {
  due_.push_back(Due{when, id});
  std::push_heap(due_.begin(), due_.end());
}

EventLoop::TimerId EventLoop::run_after(Clock::duration delay, Task task) {
  assert_loop_thread();
  const TimerId id = next_timer_id_++;
  timers_.emplace(id, Timer{std::move(task), Clock::duration::zero()});
  schedule(id, Clock::now() + delay);
  return id;
}

EventLoop::TimerId EventLoop::run_every(Clock::duration period, Task task) {
  assert_loop_thread();
  // A zero period would fire on every turn forever; one tick is the shortest sensible period.
  if (period <= Clock::duration::zero()) period = Clock::duration(1);
  const TimerId id = next_timer_id_++;
  timers_.emplace(id, Timer{std::move(task), period});
  schedule(id, Clock::now() + period);
  return id;
}

bool EventLoop::cancel(TimerId id) {
  assert_loop_thread();
  if (id != 0 && id == firing_) {
    const bool was = !firing_cancelled_;
    firing_cancelled_ = true;
    return was;
  }
  // The heap entry stays behind and is skipped when it comes due: cancelling is O(1).
  return timers_.erase(id) > 0;
}

bool EventLoop::fire_one_due(Clock::time_point now) {
  std::pop_heap(due_.begin(), due_.end());
  const Due due = due_.back();
  due_.pop_back();
  auto it = timers_.find(due.id);
  if (it == timers_.end()) return false;  // cancelled
  // Take the timer out while its callback runs, so that the callback may cancel it, or add
  // timers (which can rehash the map), without destroying the function that is executing.
  Timer timer = std::move(it->second);
  timers_.erase(it);
  firing_ = due.id;
  firing_cancelled_ = false;
  timer.task();
  firing_ = 0;
  if (timer.period > Clock::duration::zero() && !firing_cancelled_) {
    // Scheduled from the planned time, not from now, so a periodic timer does not drift; a
    // loop that fell far behind skips the missed ticks instead of firing them in a burst.
    auto next = due.when + timer.period;
    if (next <= now) next = now + timer.period;
    timers_.emplace(due.id, std::move(timer));
    schedule(due.id, next);
  }
  return true;
}

// ---- timers owned by the caller --------------------------------------------------------------

void EventLoop::place(std::size_t i, TimerEntry* e) noexcept {
  armed_[i] = e;
  e->index_ = i;
}

void EventLoop::sift_up(std::size_t i) noexcept {
  TimerEntry* e = armed_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!earlier(e, armed_[parent])) break;
    place(i, armed_[parent]);
    i = parent;
  }
  place(i, e);
}

void EventLoop::sift_down(std::size_t i) noexcept {
  TimerEntry* e = armed_[i];
  const std::size_t n = armed_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && earlier(armed_[child + 1], armed_[child])) ++child;
    if (!earlier(armed_[child], e)) break;
    place(i, armed_[child]);
    i = child;
  }
  place(i, e);
}

void EventLoop::remove_armed(std::size_t i) noexcept {
  TimerEntry* gone = armed_[i];
  TimerEntry* last = armed_.back();
  armed_.pop_back();
  gone->index_ = TimerEntry::kNotArmed;
  if (gone == last) return;
  place(i, last);
  sift_down(i);
  sift_up(last->index_);
}

void EventLoop::arm(TimerEntry& entry, Clock::time_point when) {
  assert_loop_thread();
  if (entry.armed()) remove_armed(entry.index_);
  entry.when_ = when;
  entry.seq_ = arm_seq_++;
  armed_.push_back(&entry);
  entry.index_ = armed_.size() - 1;
  sift_up(entry.index_);
}

bool EventLoop::disarm(TimerEntry& entry) noexcept {
  assert_loop_thread();
  if (!entry.armed()) return false;
  remove_armed(entry.index_);
  return true;
}

bool EventLoop::fire_one_armed(Clock::time_point) {
  TimerEntry* e = armed_.front();
  remove_armed(0);
  e->on_timer();
  return true;
}

void EventLoop::fire_timers() {
  const auto now = Clock::now();
  for (;;) {
    const bool due = !due_.empty() && due_.front().when <= now;
    const bool armed = !armed_.empty() && armed_.front()->when_ <= now;
    if (!due && !armed) return;
    if (due && (!armed || due_.front().when <= armed_.front()->when_)) {
      fire_one_due(now);
    } else {
      fire_one_armed(now);
    }
  }
}

}  // namespace sockit
