#include "sockit/async/loop.hpp"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <climits>

namespace sockit {

// Each turn can report up to this many descriptors: large, so that 1,000 busy connections are
// served by one epoll_wait rather than several.
constexpr std::size_t kMaxEventsPerTurn = 1024;

// Reads the eventfd so that level-triggered readiness clears; the posted work itself is run at
// the end of the turn by run_posted().
class EventLoop::Waker final : public EventLoop::Handler {
 public:
  explicit Waker(int fd) : fd_(fd) {}
  void on_ready(std::uint32_t) override {
    std::uint64_t count = 0;
    while (::read(fd_, &count, sizeof count) < 0 && errno == EINTR) {
    }
  }

 private:
  int fd_;
};

class EventLoop::SignalReader final : public EventLoop::Handler {
 public:
  explicit SignalReader(EventLoop& loop) : loop_(loop) {}
  void on_ready(std::uint32_t) override { loop_.drain_signals(); }

 private:
  EventLoop& loop_;
};

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  auto poller = Poller::create();
  if (!poller) return fail(poller.error());
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake) return fail(sys_error());
  std::unique_ptr<EventLoop> loop(new EventLoop(std::move(*poller), std::move(wake)));
  if (auto st = loop->watch(loop->wake_fd_.get(), kPollRead, *loop->waker_); !st)
    return fail(st.error());
  return loop;
}

EventLoop::EventLoop(std::unique_ptr<Poller> poller, UniqueFd wake_fd)
    : poller_(std::move(poller)),
      wake_fd_(std::move(wake_fd)),
      waker_(std::make_unique<Waker>(wake_fd_.get())),
      signal_reader_(std::make_unique<SignalReader>(*this)),
      owner_(std::this_thread::get_id()),
      now_(Clock::now()),
      events_(kMaxEventsPerTurn) {}

EventLoop::~EventLoop() {
  assert_loop_thread();
  // Hooks may post or touch descriptors: run them while the loop is still whole.
  auto hooks = std::move(at_destroy_);
  for (auto& hook : hooks)
    hook();
  std::lock_guard wait_for_wakers(posted_mutex_);  // see wake()
}

void EventLoop::at_destroy(Task hook) {
  assert_loop_thread();
  at_destroy_.push_back(std::move(hook));
}

void EventLoop::assert_loop_thread() const noexcept {
  assert(in_loop_thread() && "EventLoop member called off its loop thread");
}

Status EventLoop::run() {
  // The thread that set the loop up gets it back afterwards (typically to destroy it after
  // joining the thread that ran it).
  const auto previous_owner = owner_.exchange(std::this_thread::get_id());
  struct Restore {
    std::atomic<std::thread::id>& owner;
    std::thread::id previous;
    ~Restore() { owner.store(previous); }
  } restore{owner_, previous_owner};
  while (!stop_.load(std::memory_order_acquire)) {
    auto n = poller_->wait(events_, next_timeout_ms());
    if (!n) return fail(n.error());
    now_ = Clock::now();
    batch_size_ = *n;
    for (batch_next_ = 0; batch_next_ < batch_size_;) {
      const PollEvent& ev = events_[batch_next_++];
      if (ev.token != nullptr) static_cast<Handler*>(ev.token)->on_ready(ev.events);
    }
    batch_size_ = 0;
    if (!due_.empty() || !armed_.empty()) fire_timers();
    run_posted();
  }
  stop_.store(false);  // the loop can be run again
  return {};
}

// stop() and post() wake the loop while holding posted_mutex_, and the destructor takes the
// same mutex before the eventfd closes: the loop may see the flag or the task, return from
// run() and be destroyed by its owner while another thread is still inside stop() or post(),
// and the wake-up must not land on a closed (or already reused) descriptor.
void EventLoop::wake() {
  const std::uint64_t one = 1;
  while (::write(wake_fd_.get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void EventLoop::stop() {
  std::lock_guard lock(posted_mutex_);
  stop_.store(true, std::memory_order_release);
  if (!in_loop_thread()) wake();
}

void EventLoop::post(Task task) {
  std::lock_guard lock(posted_mutex_);
  const bool was_empty = posted_.empty();
  posted_.push_back(std::move(task));
  // The loop thread checks the queue before it blocks, so it needs no wake-up; another thread
  // wakes it once per burst (a non-empty queue means a wake-up is already on its way).
  if (was_empty && !in_loop_thread()) wake();
}

void EventLoop::run_posted() {
  {
    std::lock_guard lock(posted_mutex_);
    if (posted_.empty()) return;
    running_.swap(posted_);
  }
  // Tasks posted while these run land in posted_ and make the next wait non-blocking.
  for (auto& task : running_)
    task();
  running_.clear();
}

int EventLoop::next_timeout_ms() const {
  {
    std::lock_guard lock(posted_mutex_);
    if (!posted_.empty()) return 0;
  }
  if (due_.empty() && armed_.empty()) return -1;
  Clock::time_point next = Clock::time_point::max();
  if (!due_.empty()) next = due_.front().when;
  if (!armed_.empty()) next = std::min(next, armed_.front()->when_);
  const auto left = next - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  // Round up: waking a little late is harmless, waking early would spin until the deadline.
  const auto ms = std::chrono::ceil<Millis>(left).count();
  return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

Status EventLoop::watch(int fd, std::uint32_t interest, Handler& handler) {
  assert_loop_thread();
  return poller_->add(fd, interest, &handler);
}

Status EventLoop::rewatch(int fd, std::uint32_t interest, Handler& handler) {
  assert_loop_thread();
  return poller_->modify(fd, interest, &handler);
}

Status EventLoop::unwatch(int fd) {
  assert_loop_thread();
  return poller_->remove(fd);
}

void EventLoop::forget(Handler& handler) noexcept {
  assert_loop_thread();
  for (std::size_t i = batch_next_; i < batch_size_; ++i) {
    if (events_[i].token == &handler) events_[i].token = nullptr;
  }
}

Clock::time_point EventLoop::now() const noexcept {
  assert_loop_thread();
  return now_;
}

// ---- signals ---------------------------------------------------------------------------------

Status EventLoop::on_signal(int signo, SignalHandler handler) {
  assert_loop_thread();
  sigset_t mask;
  sigemptyset(&mask);
  for (const auto& [known, unused] : signal_handlers_)
    sigaddset(&mask, known);
  sigaddset(&mask, signo);
  if (int rc = ::pthread_sigmask(SIG_BLOCK, &mask, nullptr); rc != 0) return fail(sys_error(rc));
  const bool first = !signal_fd_;
  const int fd = ::signalfd(first ? -1 : signal_fd_.get(), &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return fail(sys_error());
  if (first) {
    signal_fd_.reset(fd);
    if (auto st = watch(fd, kPollRead, *signal_reader_); !st) return st;
  }
  signal_handlers_[signo] = std::move(handler);
  return {};
}

void EventLoop::drain_signals() {
  signalfd_siginfo info{};
  while (::read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    const int signo = static_cast<int>(info.ssi_signo);
    if (auto it = signal_handlers_.find(signo); it != signal_handlers_.end()) it->second(signo);
  }
}

}  // namespace sockit
