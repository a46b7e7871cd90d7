// The asyncio-like coroutine API: AsyncStream (co_await connect, read_some, write_some,
// send_all, recv_exact, recv_until, shutdown), sleep(), co_spawn() and run_until_complete().
// AsyncStream models stream/stream.hpp's AsyncByteStream; send_all / recv_exact / recv_until
// have the names, results and limits of the blocking forms in stream/io.hpp.
//
//   Task<void> echo(AsyncStream s) {
//     std::array<std::byte, 4096> buf;
//     for (;;) {
//       auto n = co_await s.read_some(buf, Deadline::after(30s));
//       if (!n || *n == 0) co_return;
//       if (!co_await s.send_all(std::span(buf).first(*n))) co_return;
//     }
//   }
//
// Thread rule: everything here is "loop thread only": an AsyncStream belongs to the EventLoop
// it was made on, and its operations may be started and awaited only by tasks running on that
// loop's thread. (co_spawn() alone is thread-safe.) Streams and pending operations must be
// destroyed before their loop; tasks given to co_spawn(loop, task) are, by the loop itself.
//
// Allocation: none per read, write or sleep, deadlines included. Each operation is an awaiter
// that lives in the awaiting coroutine's frame and queues itself on the stream through
// intrusive links; readiness comes through the loop's Handler interface (EventLoop::watch/
// rewatch, one virtual call, no std::function); deadlines use one EventLoop::TimerEntry
// embedded in the stream's state (no descriptor, no system call; arming is a sift in the
// loop's heap), and sleep()'s awaiter is itself a TimerEntry. Per connection there is one
// allocation for the stream's state and, for recv_until, its input Buffer.
//
// Deadlines and cancellation: every operation takes a Deadline (default: never) and fails with
// std::errc::timed_out when it passes first. Destroying the awaiting task cancels the operation:
// the awaiter's destructor withdraws it from the stream. Closing or destroying a stream
// completes the operations other tasks still have pending on it with Errc::cancelled.
//
// Results: Result<T> with the OS's error codes (ECONNREFUSED, EPIPE, ECONNRESET, ...),
// Errc::end_of_stream when the peer ends the stream cleanly before recv_exact / recv_until get
// a first byte, Errc::closed_early when it ends in the middle, and Errc::line_too_long when
// recv_until's limit is reached without the delimiter.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "sockit/async/loop.hpp"
#include "sockit/async/task.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {

namespace detail {

class IoCore;  // a stream's state: fd, wait queues, timer, input buffer (src/io_core.hpp)

/// One pending operation, linked into its stream's read or write queue. The base of every
/// awaiter below; lives in the awaiting coroutine's frame.
class IoWaiter {
 public:
  enum class Dir : std::uint8_t { read, write };
  IoWaiter(const IoWaiter&) = delete;
  IoWaiter& operator=(const IoWaiter&) = delete;

 protected:
  /// Makes as much progress as possible without blocking; true once finished (successfully or
  /// with `error_` set), false if the descriptor has to become ready first.
  using Attempt = bool (*)(IoWaiter& self, IoCore& core);
  IoWaiter(IoCore* core, Dir dir, Attempt attempt, Deadline deadline) noexcept
      : core_(core), attempt_(attempt), deadline_(deadline), dir_(dir) {}
  ~IoWaiter() { withdraw(); }

  /// await_ready: tries at once unless other operations are queued ahead in this direction.
  bool begin() noexcept;
  /// await_suspend: queues the operation; false (resume at once) if it failed to queue, e.g.
  /// because the deadline has already passed.
  bool suspend(std::coroutine_handle<> h) noexcept;
  /// Unlinks a pending operation (from a destructor: the task was destroyed).
  void withdraw() noexcept;

  IoCore* core_;
  std::error_code error_;

 private:
  friend class IoCore;
  Attempt attempt_;
  Deadline deadline_;
  std::coroutine_handle<> handle_;
  IoWaiter* prev_ = nullptr;
  IoWaiter* next_ = nullptr;
  Dir dir_;
  // waiting: in the read or write queue; ready: finished, about to be resumed.
  enum class Where : std::uint8_t { none, waiting, ready } where_ = Where::none;
};

}  // namespace detail

class AsyncStream;

/// `co_await stream.read_some(buf)`: one read of at most buf.size() bytes (buffered bytes first).
/// Result: bytes read, 0 = the peer closed its side (EOF).
class [[nodiscard]] ReadSomeOp : detail::IoWaiter {
 public:
  ReadSomeOp(detail::IoCore* core, std::span<std::byte> buffer, Deadline deadline) noexcept
      : IoWaiter(core, Dir::read, &attempt, deadline), buffer_(buffer) {}
  bool await_ready() noexcept { return begin(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return suspend(h); }
  [[nodiscard]] Result<std::size_t> await_resume() const noexcept {
    if (error_) return fail(error_);
    return done_;
  }

 private:
  static bool attempt(IoWaiter& self, detail::IoCore& core);
  std::span<std::byte> buffer_;
  std::size_t done_ = 0;
};

/// `co_await stream.write_some(bytes)`: one send of at most bytes.size() bytes (MSG_NOSIGNAL),
/// waiting until the socket takes some. Result: bytes sent (>= 1 unless bytes is empty).
class [[nodiscard]] WriteSomeOp : detail::IoWaiter {
 public:
  WriteSomeOp(detail::IoCore* core, std::span<const std::byte> data, Deadline deadline) noexcept
      : IoWaiter(core, Dir::write, &attempt, deadline), data_(data) {}
  bool await_ready() noexcept { return begin(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return suspend(h); }
  [[nodiscard]] Result<std::size_t> await_resume() const noexcept {
    if (error_) return fail(error_);
    return done_;
  }

 private:
  static bool attempt(IoWaiter& self, detail::IoCore& core);
  std::span<const std::byte> data_;
  std::size_t done_ = 0;
};

/// `co_await stream.recv_exact(buf)`: fills all of buf. End of stream before the first byte is
/// Errc::end_of_stream, after some bytes Errc::closed_early (the bytes that did arrive are in
/// buf; `received`, if given, is set to their count on success and failure alike).
class [[nodiscard]] RecvExactOp : detail::IoWaiter {
 public:
  RecvExactOp(detail::IoCore* core, std::span<std::byte> buffer, Deadline deadline,
              std::size_t* received) noexcept
      : IoWaiter(core, Dir::read, &attempt, deadline), buffer_(buffer), received_(received) {}
  bool await_ready() noexcept { return begin(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return suspend(h); }
  [[nodiscard]] Status await_resume() const noexcept {
    if (received_ != nullptr) *received_ = done_;
    if (error_) return fail(error_);
    return {};
  }

 private:
  static bool attempt(IoWaiter& self, detail::IoCore& core);
  std::span<std::byte> buffer_;
  std::size_t* received_;
  std::size_t done_ = 0;
};

/// `co_await stream.recv_until("\n", 1024)`: the next line WITHOUT its delimiter, as a view into
/// the stream's input buffer that stays valid until the next read on (or the closing of) this
/// stream; the delimiter is consumed. `max` bounds the line without its delimiter. End of stream
/// with nothing buffered is Errc::end_of_stream, in the middle of a line Errc::closed_early;
/// too long is Errc::line_too_long. The same rules as stream/io.hpp's recv_until (both split
/// with codec/line.hpp's split_delimited).
class [[nodiscard]] RecvUntilOp : detail::IoWaiter {
 public:
  RecvUntilOp(detail::IoCore* core, std::string_view delimiter, std::size_t max,
              Deadline deadline) noexcept
      : IoWaiter(core, Dir::read, &attempt, deadline), delimiter_(delimiter), max_(max) {}
  bool await_ready() noexcept { return begin(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return suspend(h); }
  [[nodiscard]] Result<std::string_view> await_resume() const noexcept {
    if (error_) return fail(error_);
    return line_;
  }

 private:
  static bool attempt(IoWaiter& self, detail::IoCore& core);
  std::string_view delimiter_;
  std::size_t max_;
  std::size_t scanned_ = 0;  // bytes already searched, so a long line is not rescanned
  std::string_view line_;
};

/// `co_await stream.send_all(bytes)`: sends every byte (MSG_NOSIGNAL). Concurrent senders on one
/// stream are served in order, each message whole. EPIPE / ECONNRESET if the peer is gone.
/// `sent`, if given, is set to the bytes handed to the kernel, on success and failure alike.
class [[nodiscard]] SendAllOp : detail::IoWaiter {
 public:
  SendAllOp(detail::IoCore* core, std::span<const std::byte> data, Deadline deadline,
            std::size_t* sent) noexcept
      : IoWaiter(core, Dir::write, &attempt, deadline), data_(data), sent_(sent) {}
  bool await_ready() noexcept { return begin(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return suspend(h); }
  [[nodiscard]] Status await_resume() const noexcept {
    if (sent_ != nullptr) *sent_ = done_;
    if (error_) return fail(error_);
    return {};
  }

 private:
  static bool attempt(IoWaiter& self, detail::IoCore& core);
  std::span<const std::byte> data_;
  std::size_t* sent_;
  std::size_t done_ = 0;
};

/// `co_await stream.shutdown(ShutdownHow::write)`: for a socket this completes at once (the
/// kernel queues the FIN); awaitable so that a stream that must send first to shut down (TLS's
/// close_notify) has the same shape. See stream/stream.hpp.
class [[nodiscard]] ShutdownOp {
 public:
  explicit ShutdownOp(Status result) noexcept : result_(std::move(result)) {}
  bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  [[nodiscard]] Status await_resume() const noexcept { return result_; }

 private:
  Status result_;
};

/// `co_await AsyncStream::connect(loop, endpoint, deadline)`: a connected stream, or the
/// connect error (ECONNREFUSED when nothing listens, std::errc::timed_out at the deadline).
class [[nodiscard]] ConnectOp : detail::IoWaiter {
 public:
  ConnectOp(EventLoop& loop, const Endpoint& to, Deadline deadline) noexcept;
  ~ConnectOp();
  bool await_ready() noexcept;
  bool await_suspend(std::coroutine_handle<> h) noexcept { return suspend(h); }
  [[nodiscard]] Result<AsyncStream> await_resume() noexcept;

 private:
  static bool attempt(IoWaiter& self, detail::IoCore& core);
  EventLoop& loop_;
  Result<SockAddr> to_;
  int domain_;
  detail::IoCore* owned_ = nullptr;  // the stream being connected, until await_resume
};

/// A connected, non-blocking stream socket bound to one EventLoop. Move-only; the destructor
/// closes. Loop thread only (see the top of this file).
class AsyncStream {
 public:
  AsyncStream() noexcept = default;  ///< empty; a target for move-assignment
  AsyncStream(AsyncStream&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}
  AsyncStream& operator=(AsyncStream&& other) noexcept;
  AsyncStream(const AsyncStream&) = delete;
  AsyncStream& operator=(const AsyncStream&) = delete;
  ~AsyncStream() { close(); }

  /// Takes a connected socket (e.g. from accept) and binds it to `loop`: makes it O_NONBLOCK.
  [[nodiscard]] static Result<AsyncStream> adopt(EventLoop& loop, UniqueFd fd);
  /// Connects to `to` (IP or Unix endpoint). See ConnectOp.
  static ConnectOp connect(EventLoop& loop, const Endpoint& to, Deadline deadline = {}) noexcept {
    return ConnectOp(loop, to, deadline);
  }

  ReadSomeOp read_some(std::span<std::byte> buffer, Deadline deadline = {}) noexcept {
    return ReadSomeOp(core_, buffer, deadline);
  }
  WriteSomeOp write_some(std::span<const std::byte> data, Deadline deadline = {}) noexcept {
    return WriteSomeOp(core_, data, deadline);
  }
  RecvExactOp recv_exact(std::span<std::byte> buffer, Deadline deadline = {},
                         std::size_t* received = nullptr) noexcept {
    return RecvExactOp(core_, buffer, deadline, received);
  }
  /// `delimiter` must stay alive until the operation completes (string literals do).
  RecvUntilOp recv_until(std::string_view delimiter, std::size_t max,
                         Deadline deadline = {}) noexcept {
    return RecvUntilOp(core_, delimiter, max, deadline);
  }
  SendAllOp send_all(std::span<const std::byte> data, Deadline deadline = {},
                     std::size_t* sent = nullptr) noexcept {
    return SendAllOp(core_, data, deadline, sent);
  }
  SendAllOp send_all(std::string_view text, Deadline deadline = {},
                     std::size_t* sent = nullptr) noexcept {
    return SendAllOp(core_, std::as_bytes(std::span(text)), deadline, sent);
  }

  /// shutdown(write) sends FIN: the peer reads EOF after the bytes already sent. The Deadline
  /// is for streams that must send to shut down (see ShutdownOp); a socket never waits.
  ShutdownOp shutdown(ShutdownHow how, Deadline deadline = {}) noexcept;
  /// Closes now; operations pending on the stream complete with Errc::cancelled.
  void close() noexcept;

  bool valid() const noexcept;
  int fd() const noexcept;  ///< -1 when empty or closed
  /// Bytes read from the socket but not yet handed out (recv_until reads ahead).
  std::size_t buffered() const noexcept;
  [[nodiscard]] Result<Endpoint> local_endpoint() const;
  [[nodiscard]] Result<Endpoint> peer_endpoint() const;

 private:
  friend class ConnectOp;
  friend class StreamInterrupt;
  explicit AsyncStream(detail::IoCore* core) noexcept : core_(core) {}
  detail::IoCore* core_ = nullptr;
};

/// A handle for interrupting a stream's reads without owning the stream (a draining server asks
/// a handler to finish with it): interrupt(why) completes the reads waiting now with `why`, or,
/// when none waits, the next read that has to wait (a read that finds its bytes already there
/// still gets them), once; reads after that wait as usual. Either side may go first: closing
/// the stream detaches the handle, destroying the handle detaches the stream. Not movable (the
/// stream points to it). Loop thread only.
class StreamInterrupt {
 public:
  StreamInterrupt() noexcept = default;
  StreamInterrupt(const StreamInterrupt&) = delete;
  StreamInterrupt& operator=(const StreamInterrupt&) = delete;
  ~StreamInterrupt() { detach(); }

  /// Binds to `stream` (nothing for an empty or closed one), replacing an earlier binding on
  /// either side.
  void attach(const AsyncStream& stream) noexcept;
  void detach() noexcept;
  /// See above; no effect when detached.
  void interrupt(std::error_code why) noexcept;
  bool attached() const noexcept { return core_ != nullptr; }

 private:
  friend class detail::IoCore;
  detail::IoCore* core_ = nullptr;
};

/// `co_await sleep(loop, 50ms)`: resumes on the loop thread after `duration` (at once for zero
/// or negative durations). Destroying the waiting task cancels the timer. Allocates nothing: the
/// awaiter is the loop's timer entry, living in the awaiting coroutine's frame.
class [[nodiscard]] SleepOp final : EventLoop::TimerEntry {
 public:
  SleepOp(EventLoop& loop, Clock::duration duration) noexcept : loop_(loop), duration_(duration) {}
  ~SleepOp() override {
    if (armed()) (void)loop_.disarm(*this);
  }
  bool await_ready() const noexcept { return duration_ <= Clock::duration::zero(); }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    handle_ = h;
    loop_.arm(*this, Clock::now() + duration_);
  }
  void await_resume() const noexcept {}

 private:
  void on_timer() override { handle_.resume(); }  // disarmed by the loop before this call
  EventLoop& loop_;
  Clock::duration duration_;
  std::coroutine_handle<> handle_;
};

inline SleepOp sleep(EventLoop& loop, Clock::duration duration) noexcept {
  return SleepOp(loop, duration);
}

/// Starts `task` on `loop`, owned by `owner` (which destroys it if it is still suspended when
/// the owner is destroyed or cancel_all() is called). Thread-safe: from the loop thread the task
/// starts at once; from any other thread it starts on the loop thread's next turn, and `owner`
/// must then outlive that turn.
void co_spawn(EventLoop& loop, TaskSet& owner, Task<void> task);

/// Starts `task` on `loop`, owned by the loop itself (asyncio's create_task): a task set made on
/// the first such call and destroyed at the start of ~EventLoop, which destroys the tasks still
/// suspended then (cancelling their operations) while the loop still works. Thread-safe, like
/// the overload above; a task posted from another thread to a loop that never runs again is
/// destroyed unstarted with the loop. Not for use from the loop's own at_destroy hooks.
void co_spawn(EventLoop& loop, Task<void> task);

/// Runs `loop` until `task` finishes and returns its value, like asyncio.run(). Returns nullopt
/// if the loop stopped first (someone called stop(), or the poller failed): the task is then
/// destroyed, cancelling whatever it was waiting for. Call on the loop's own thread, with the
/// loop not running.
template <class T>
std::optional<T> run_until_complete(EventLoop& loop, Task<T> task) {
  std::optional<T> out;
  bool running = false;  // stop() only a running loop: a stale stop would end its next run
  TaskSet set;
  set.spawn([](Task<T> t, std::optional<T>& o, EventLoop& l, bool& r) -> Task<void> {
    o.emplace(co_await std::move(t));
    if (r) l.stop();
  }(std::move(task), out, loop, running));
  if (!out) {
    running = true;
    (void)loop.run();
  }
  return out;
}
/// For Task<void>: true if the task finished.
bool run_until_complete(EventLoop& loop, Task<void> task);

}  // namespace sockit
