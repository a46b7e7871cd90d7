// IoCore: the state behind an AsyncStream (private to src/). One per connection, allocated once.
//
//   readers_: IoWaiter <-> IoWaiter <-> ...   FIFO of pending reads (head is served first)
//   writers_: IoWaiter <-> IoWaiter <-> ...   FIFO of pending writes
//   ready_:   finished operations, resumed in order after the queues have been updated
//
// Every IoWaiter lives in its coroutine's frame, so queueing costs no allocation. The loop
// watches fd_ with exactly the directions somebody waits for (level-triggered): interest is
// added when an operation suspends and dropped lazily, on the first event nobody waited for,
// which saves an epoll_ctl per message in request/response traffic. Deadlines share one
// EventLoop::TimerEntry embedded in the core (no descriptor, no system call, no allocation),
// armed for the earliest pending deadline and, like interest, left armed when an operation
// finishes early: the expiry finds nothing due and re-arms for whatever is still pending.
//
// Lifetime: destroy() closes and frees at once, after EventLoop::forget() has dropped the events
// of the current batch not yet delivered to the core. Only when a task resumed by the core's own
// callback destroys it (an echo handler returning on EOF) is freeing left to the end of that
// callback, which must not touch a freed object on its way out.
// Loop thread only.
#pragma once

#include <cstdint>

#include "sockit/async/async.hpp"
#include "sockit/async/loop.hpp"
#include "sockit/core/buffer.hpp"

namespace sockit::detail {

class IoCore final : public EventLoop::Handler, private EventLoop::TimerEntry {
 public:
  IoCore(EventLoop& loop, UniqueFd fd) noexcept;
  IoCore(const IoCore&) = delete;
  IoCore& operator=(const IoCore&) = delete;
  ~IoCore() override { bind(nullptr); }

  /// Closes and frees (see Lifetime above).
  static void destroy(IoCore* core) noexcept;

  EventLoop& loop() const noexcept { return loop_; }
  int fd() const noexcept { return fd_.get(); }
  bool closed() const noexcept { return closed_; }

  /// Read-ahead bytes (read_until); the first pending_consume_ of them were already handed out
  /// as a view and are dropped at the start of the next read.
  Buffer& input() noexcept { return input_; }
  void consume_pending() noexcept;
  void hand_out(std::size_t n) noexcept { pending_consume_ = n; }

  bool begin(IoWaiter& w) noexcept;
  bool suspend(IoWaiter& w, std::coroutine_handle<> h) noexcept;
  void withdraw(IoWaiter& w) noexcept;
  /// Unwatches and closes the descriptor, completes pending operations with Errc::cancelled.
  void close() noexcept;
  /// StreamInterrupt's side: the binding (null: none) and the interrupt itself.
  void bind(StreamInterrupt* handle) noexcept;
  void interrupt_reads(std::error_code why) noexcept;

  void on_ready(std::uint32_t events) override;

 private:
  struct List {
    IoWaiter* head = nullptr;
    IoWaiter* tail = nullptr;
    void push_back(IoWaiter* w) noexcept;
    void unlink(IoWaiter* w) noexcept;
  };
  List& queue(const IoWaiter& w) noexcept;
  Status want(std::uint32_t interest) noexcept;
  void arm(Clock::time_point at) noexcept;
  void progress(List& list) noexcept;
  void expire(List& list, Clock::time_point now) noexcept;
  void on_timer() override;
  void resume_ready() noexcept;
  void end_callback() noexcept;

  EventLoop& loop_;
  UniqueFd fd_;
  Clock::time_point armed_at_ = Clock::time_point::max();  // max: the timer is not armed
  List readers_, writers_, ready_;
  Buffer input_{0};  // allocated on first use: read_some/read_exact/write_all never need it
  std::size_t pending_consume_ = 0;
  StreamInterrupt* interrupt_ = nullptr;  // the handle bound to this stream, if any
  std::error_code read_interrupt_;        // for the next read that has to wait (once)
  std::uint32_t interest_ = 0;
  bool registered_ = false;
  bool closed_ = false;
  bool in_callback_ = false;  // on_ready/on_timer is on the stack
  bool doomed_ = false;       // destroyed inside that callback: free on the way out
};

}  // namespace sockit::detail
