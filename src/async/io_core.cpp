#include "async/io_core.hpp"

#include <cassert>
#include <cerrno>
#include <chrono>
#include <utility>

namespace sockit::detail {

// ---- IoWaiter: the awaiter side ---------------------------------------------------------------

bool IoWaiter::begin() noexcept {
  if (core_ == nullptr) {  // an empty (default-constructed or moved-from) stream
    error_ = sys_error(EBADF);
    return true;
  }
  return core_->begin(*this);
}

bool IoWaiter::suspend(std::coroutine_handle<> h) noexcept {
  return core_->suspend(*this, h);
}

void IoWaiter::withdraw() noexcept {
  if (where_ != Where::none && core_ != nullptr) core_->withdraw(*this);
}

// ---- IoCore -----------------------------------------------------------------------------------

void IoCore::List::push_back(IoWaiter* w) noexcept {
  w->prev_ = tail;
  w->next_ = nullptr;
  if (tail != nullptr) {
    tail->next_ = w;
  } else {
    head = w;
  }
  tail = w;
}

void IoCore::List::unlink(IoWaiter* w) noexcept {
  if (w->prev_ != nullptr) {
    w->prev_->next_ = w->next_;
  } else {
    head = w->next_;
  }
  if (w->next_ != nullptr) {
    w->next_->prev_ = w->prev_;
  } else {
    tail = w->prev_;
  }
  w->prev_ = w->next_ = nullptr;
}

IoCore::IoCore(EventLoop& loop, UniqueFd fd) noexcept : loop_(loop), fd_(std::move(fd)) {}

void IoCore::destroy(IoCore* core) noexcept {
  core->close();
  if (core->in_callback_) {
    core->doomed_ = true;
    return;
  }
  core->loop_.forget(*core);
  delete core;
}

void IoCore::end_callback() noexcept {
  in_callback_ = false;
  if (doomed_) delete this;
}

void IoCore::consume_pending() noexcept {
  if (pending_consume_ != 0) {
    input_.consume(pending_consume_);
    pending_consume_ = 0;
  }
}

IoCore::List& IoCore::queue(const IoWaiter& w) noexcept {
  if (w.where_ == IoWaiter::Where::ready) return ready_;
  return w.dir_ == IoWaiter::Dir::read ? readers_ : writers_;
}

bool IoCore::begin(IoWaiter& w) noexcept {
  assert(loop_.in_loop_thread() && "AsyncStream operations are loop thread only");
  if (closed_) {
    w.error_ = sys_error(EBADF);
    return true;
  }
  // Operations queued ahead in the same direction go first: writes stay whole and in order.
  if (queue(w).head != nullptr) return false;
  return w.attempt_(w, *this);
}

bool IoCore::suspend(IoWaiter& w, std::coroutine_handle<> h) noexcept {
  assert(loop_.in_loop_thread() && "AsyncStream operations are loop thread only");
  if (closed_) {
    w.error_ = sys_error(EBADF);
    return false;
  }
  if (w.deadline_.expired()) {
    w.error_ = make_error_code(Errc::deadline_passed);
    return false;
  }
  if (w.dir_ == IoWaiter::Dir::read && read_interrupt_) {  // StreamInterrupt, delivered once
    w.error_ = std::exchange(read_interrupt_, {});
    return false;
  }
  const std::uint32_t bit = w.dir_ == IoWaiter::Dir::read ? kPollRead : kPollWrite;
  if (Status st = want(interest_ | bit); !st) {
    w.error_ = st.error();
    return false;
  }
  if (!w.deadline_.is_never()) arm(w.deadline_.at());
  w.handle_ = h;
  w.where_ = IoWaiter::Where::waiting;
  queue(w).push_back(&w);
  return true;
}

void IoCore::withdraw(IoWaiter& w) noexcept {
  queue(w).unlink(&w);
  w.where_ = IoWaiter::Where::none;
  // Interest and timer are left as they are: the next event or expiry finds nobody waiting
  // and drops them, which is cheaper than an epoll_ctl per cancelled operation.
}

Status IoCore::want(std::uint32_t interest) noexcept {
  if (interest == interest_ && registered_) return {};
  if (!registered_) {
    if (interest == 0) return {};
    if (auto st = loop_.watch(fd_.get(), interest, *this); !st) return st;
    registered_ = true;
  } else if (auto st = loop_.rewatch(fd_.get(), interest, *this); !st) {
    return st;
  }
  interest_ = interest;
  return {};
}

void IoCore::arm(Clock::time_point at) noexcept {
  if (at >= armed_at_) return;  // already set to fire earlier; that expiry re-arms
  loop_.arm(*this, at);
  armed_at_ = at;
}

void IoCore::progress(List& list) noexcept {
  while (IoWaiter* w = list.head) {
    if (!w->attempt_(*w, *this)) break;
    list.unlink(w);
    w->where_ = IoWaiter::Where::ready;
    ready_.push_back(w);
  }
}

void IoCore::on_ready(std::uint32_t events) {
  if (closed_) return;  // (cannot happen: a closed core is freed or forgotten; kept as a guard)
  in_callback_ = true;
  const bool fault = (events & (kPollError | kPollHangup)) != 0;
  if ((events & kPollWrite) != 0 || fault) progress(writers_);
  if ((events & kPollRead) != 0 || fault) progress(readers_);
  const std::uint32_t wanted =
      (readers_.head != nullptr ? kPollRead : 0) | (writers_.head != nullptr ? kPollWrite : 0);
  if (fault && wanted == 0) {
    // Error and hang-up are reported even with no interest, on every turn (level-triggered):
    // stop watching until somebody waits again, which re-registers.
    (void)loop_.unwatch(fd_.get());
    registered_ = false;
    interest_ = 0;
  } else if (wanted != interest_) {
    (void)want(wanted);  // drop directions nobody waits for
  }
  resume_ready();
  end_callback();
}

void IoCore::expire(List& list, Clock::time_point now) noexcept {
  IoWaiter* w = list.head;
  while (w != nullptr) {
    IoWaiter* next = w->next_;
    if (!w->deadline_.is_never() && w->deadline_.at() <= now) {
      list.unlink(w);
      w->error_ = make_error_code(Errc::deadline_passed);
      w->where_ = IoWaiter::Where::ready;
      ready_.push_back(w);
    }
    w = next;
  }
}

void IoCore::on_timer() {
  armed_at_ = Clock::time_point::max();  // the loop disarmed the entry before calling us
  if (closed_) return;
  in_callback_ = true;
  const auto now = Clock::now();
  expire(readers_, now);
  expire(writers_, now);
  auto earliest = Clock::time_point::max();
  for (List* list : {&readers_, &writers_}) {
    for (IoWaiter* w = list->head; w != nullptr; w = w->next_) {
      if (!w->deadline_.is_never() && w->deadline_.at() < earliest) earliest = w->deadline_.at();
    }
  }
  if (earliest != Clock::time_point::max()) arm(earliest);
  resume_ready();
  end_callback();
}

void IoCore::resume_ready() noexcept {
  // A resumed task may close this core; close() then resumes what is left itself.
  while (!closed_ && ready_.head != nullptr) {
    IoWaiter* w = ready_.head;
    ready_.unlink(w);
    w->where_ = IoWaiter::Where::none;
    w->handle_.resume();
  }
}

void IoCore::bind(StreamInterrupt* handle) noexcept {
  if (interrupt_ == handle) return;
  if (interrupt_ != nullptr) interrupt_->core_ = nullptr;
  interrupt_ = handle;
  if (handle == nullptr) return;
  if (handle->core_ != nullptr) handle->core_->bind(nullptr);
  handle->core_ = this;
}

void IoCore::interrupt_reads(std::error_code why) noexcept {
  if (closed_) return;
  if (readers_.head == nullptr) {
    read_interrupt_ = why;
    return;
  }
  while (IoWaiter* w = readers_.head) {
    readers_.unlink(w);
    w->error_ = why;
    w->where_ = IoWaiter::Where::ready;
    ready_.push_back(w);
  }
  // Called from this stream's own callback (a task it resumed), the callback resumes them.
  if (in_callback_) return;
  in_callback_ = true;  // a resumed handler may close and destroy this stream
  resume_ready();
  end_callback();
}

void IoCore::close() noexcept {
  if (closed_) return;
  closed_ = true;
  bind(nullptr);
  if (registered_) (void)loop_.unwatch(fd_.get());
  (void)loop_.disarm(*this);  // a TimerEntry must be disarmed before it is destroyed
  armed_at_ = Clock::time_point::max();
  registered_ = false;
  fd_.reset();
  for (List* list : {&readers_, &writers_}) {
    while (IoWaiter* w = list->head) {
      list->unlink(w);
      w->error_ = make_error_code(Errc::cancelled);
      w->where_ = IoWaiter::Where::ready;
      ready_.push_back(w);
    }
  }
  while (IoWaiter* w = ready_.head) {
    ready_.unlink(w);
    w->where_ = IoWaiter::Where::none;
    w->handle_.resume();
  }
}

}  // namespace sockit::detail
