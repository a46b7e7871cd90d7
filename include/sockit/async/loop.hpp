// EventLoop: one thread's reactor. Watches descriptors through a Poller, runs timers, runs
// functions posted from any thread (woken through an eventfd), and turns signals into ordinary
// events (signalfd).
//
// The loop thread is the thread inside run() while it runs, and otherwise the thread that
// created the loop (so a loop can be set up on one thread, run on another, and destroyed by the
// first after joining). Every member below says whether it is "thread-safe" or "loop
// thread only"; loop-thread-only members assert it (in builds with assertions).
//
// One turn of the loop: wait for events (the timeout is the nearest timer, or 0 when posted work
// is pending), dispatch every ready descriptor, fire due timers, then run posted functions.
// A handler destroyed while events are being dispatched could still be named by a later event
// of the same batch: its owner calls forget() first (then destroys it at once), or destroys it
// from a posted function, which runs after the batch.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sockit/async/poller.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/sys/fd.hpp"

namespace sockit {

class EventLoop {
 public:
  using Task = std::move_only_function<void()>;
  using SignalHandler = std::move_only_function<void(int signo)>;
  using TimerId = std::uint64_t;

  /// Something that reacts to a watched descriptor. An interface rather than a std::function so
  /// that dispatching an event costs one virtual call and no allocation.
  class Handler {
   public:
    /// Called on the loop thread with kPoll* bits.
    virtual void on_ready(std::uint32_t events) = 0;

   protected:
    ~Handler() = default;
  };

  /// A loop owned by the calling thread (poller, wake-up eventfd). Errors are the OS's.
  [[nodiscard]] static Result<std::unique_ptr<EventLoop>> create();
  /// Loop thread only, and not while run() is executing.
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // ---- running ----------------------------------------------------------------------------

  /// Runs until stop(). The calling thread is the loop thread until run() returns. Returns an
  /// error only if the poller fails (which leaves the loop unusable).
  [[nodiscard]] Status run();
  /// Makes run() return after the current turn. Thread-safe; may be called before run(), in
  /// which case run() returns after one turn.
  void stop();
  /// Thread-safe.
  bool in_loop_thread() const noexcept { return owner_.load() == std::this_thread::get_id(); }

  /// Queues `task` to run on the loop thread after the events of the current turn, in posting
  /// order. Thread-safe. Wakes the loop only when the queue was empty, so a burst of posts costs
  /// one eventfd write.
  void post(Task task);

  // ---- descriptors (loop thread only) -----------------------------------------------------

  /// Starts calling `handler` when `fd` is ready for `interest` (kPollRead | kPollWrite).
  /// The loop neither owns the descriptor nor the handler. Loop thread only.
  [[nodiscard]] Status watch(int fd, std::uint32_t interest, Handler& handler);
  /// Changes what `fd` is watched for. Loop thread only.
  [[nodiscard]] Status rewatch(int fd, std::uint32_t interest, Handler& handler);
  /// Stops watching `fd` (call before closing it). Loop thread only.
  [[nodiscard]] Status unwatch(int fd);
  /// Drops the events of the current batch not yet delivered to `handler`, so that it may be
  /// destroyed right away (after unwatch) instead of from a posted function. Loop thread only.
  void forget(Handler& handler) noexcept;

  /// Runs `hook` on the loop thread at the start of the destructor, while the loop still works
  /// (e.g. to destroy tasks that unwatch descriptors). Loop thread only.
  void at_destroy(Task hook);

  // ---- timers (loop thread only) ----------------------------------------------------------

  /// Runs `task` once after `delay`. Loop thread only.
  TimerId run_after(Clock::duration delay, Task task);
  /// Runs `task` every `period`, first after one period. Loop thread only.
  TimerId run_every(Clock::duration period, Task task);
  /// Cancels a timer (also from inside its own callback). Returns false if it already fired
  /// (one-shot) or was cancelled. Loop thread only.
  bool cancel(TimerId id);

  /// A timer its owner embeds in its own object (an awaiter, a connection): arming and
  /// disarming allocate nothing, which run_after() cannot promise. The owner must disarm it
  /// before destroying it.
  class TimerEntry {
   public:
    /// Called on the loop thread once the deadline passes; the entry is disarmed by then and
    /// may be re-armed from here.
    virtual void on_timer() = 0;
    bool armed() const noexcept { return index_ != kNotArmed; }

   protected:
    TimerEntry() = default;
    virtual ~TimerEntry() = default;
    TimerEntry(const TimerEntry&) = delete;
    TimerEntry& operator=(const TimerEntry&) = delete;

   private:
    friend class EventLoop;
    static constexpr std::size_t kNotArmed = static_cast<std::size_t>(-1);
    Clock::time_point when_{};
    std::uint64_t seq_ = 0;          // arming order: equal deadlines fire first-armed first
    std::size_t index_ = kNotArmed;  // position in the loop's heap
  };
  /// Arms (or moves) `entry` to fire at `when`. O(log n), no allocation once the heap has
  /// grown to its working size. Loop thread only.
  void arm(TimerEntry& entry, Clock::time_point when);
  /// Disarms `entry`; false if it was not armed. O(log n). Loop thread only.
  bool disarm(TimerEntry& entry) noexcept;

  /// The time at the start of the current turn: cheap, and accurate enough for coarse
  /// deadlines (idle connections). Loop thread only.
  Clock::time_point now() const noexcept;

  // ---- signals (loop thread only) ---------------------------------------------------------

  /// Delivers `signo` as an event: blocks it in the calling thread and adds it to the loop's
  /// signalfd. Call before starting other threads so that they inherit the blocked mask (a
  /// thread that does not block it would receive the signal the classic way). Loop thread only.
  [[nodiscard]] Status on_signal(int signo, SignalHandler handler);

 private:
  struct Timer {
    Task task;
    Clock::duration period{};  // zero for one-shot timers
  };
  struct Due {
    Clock::time_point when;
    TimerId id;
    // std::push_heap builds a max-heap: invert so the earliest (then lowest id) is on top.
    friend bool operator<(const Due& a, const Due& b) noexcept {
      return a.when != b.when ? a.when > b.when : a.id > b.id;
    }
  };
  class Waker;
  class SignalReader;

  EventLoop(std::unique_ptr<Poller> poller, UniqueFd wake_fd);
  void assert_loop_thread() const noexcept;
  void wake();
  int next_timeout_ms() const;
  void fire_timers();
  void run_posted();
  void schedule(TimerId id, Clock::time_point when);
  void drain_signals();
  bool fire_one_due(Clock::time_point now);
  bool fire_one_armed(Clock::time_point now);
  static bool earlier(const TimerEntry* a, const TimerEntry* b) noexcept {
    return a->when_ != b->when_ ? a->when_ < b->when_ : a->seq_ < b->seq_;
  }
  void place(std::size_t i, TimerEntry* e) noexcept;
  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void remove_armed(std::size_t i) noexcept;

  std::unique_ptr<Poller> poller_;
  UniqueFd wake_fd_;
  UniqueFd signal_fd_;
  std::unique_ptr<Waker> waker_;
  std::unique_ptr<SignalReader> signal_reader_;
  std::atomic<std::thread::id> owner_;
  std::atomic<bool> stop_{false};
  Clock::time_point now_;

  mutable std::mutex posted_mutex_;
  std::vector<Task> posted_;   // guarded by posted_mutex_
  std::vector<Task> running_;  // loop thread: the batch being run, swapped with posted_

  std::vector<Due> due_;  // min-heap on (when, id)
  std::unordered_map<TimerId, Timer> timers_;
  TimerId next_timer_id_ = 1;
  TimerId firing_ = 0;  // the timer whose callback is running, 0 if none
  bool firing_cancelled_ = false;

  std::vector<TimerEntry*> armed_;  // min-heap on (when_, seq_); entries know their index
  std::uint64_t arm_seq_ = 0;

  std::unordered_map<int, SignalHandler> signal_handlers_;
  std::vector<PollEvent> events_;
  std::size_t batch_next_ = 0;  // next event of the batch being dispatched
  std::size_t batch_size_ = 0;
  std::vector<Task> at_destroy_;
};

}  // namespace sockit
