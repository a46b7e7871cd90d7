#include "sockit/async/async.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "async/io_core.hpp"
#include "sockit/codec/line.hpp"
#include "sockit/sys/io.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {

namespace {

// Copies read-ahead bytes (left by recv_until) into `out` first.
std::size_t take_buffered(detail::IoCore& core, std::span<std::byte> out) noexcept {
  core.consume_pending();
  Buffer& in = core.input();
  const std::size_t n = std::min(in.readable_bytes(), out.size());
  if (n != 0) {
    std::memcpy(out.data(), in.readable().data(), n);
    in.consume(n);
  }
  return n;
}

// The outcome of one sys-layer call, for an attempt: false = would block (wait for readiness);
// true = done, with `n` set on success or `error` on failure.
bool moved(const Result<std::size_t>& r, std::size_t& n, std::error_code& error) noexcept {
  if (r) {
    n = *r;
    return true;
  }
  if (would_block(r.error())) return false;
  error = r.error();
  return true;
}

}  // namespace

// ---- reads ------------------------------------------------------------------------------------

bool ReadSomeOp::attempt(IoWaiter& self, detail::IoCore& core) {
  auto& op = static_cast<ReadSomeOp&>(self);
  op.done_ = take_buffered(core, op.buffer_);
  if (op.done_ != 0 || op.buffer_.empty()) return true;
  return moved(try_read(core.fd(), op.buffer_), op.done_, op.error_);
}

bool RecvExactOp::attempt(IoWaiter& self, detail::IoCore& core) {
  auto& op = static_cast<RecvExactOp&>(self);
  op.done_ += take_buffered(core, op.buffer_.subspan(op.done_));
  while (op.done_ < op.buffer_.size()) {
    std::size_t n = 0;
    if (!moved(try_read(core.fd(), op.buffer_.subspan(op.done_)), n, op.error_)) return false;
    if (op.error_) return true;
    if (n == 0) {
      op.error_ = make_error_code(op.done_ == 0 ? Errc::end_of_stream : Errc::closed_early);
      return true;
    }
    op.done_ += n;
  }
  return true;
}

bool RecvUntilOp::attempt(IoWaiter& self, detail::IoCore& core) {
  auto& op = static_cast<RecvUntilOp&>(self);
  core.consume_pending();
  Buffer& in = core.input();
  // Bytes are read into the stream's buffer one chunk at a time and searched from where the
  // previous search stopped; split_delimited applies the limits (the blocking form's rules).
  constexpr std::size_t kReadChunk = 4096;
  for (;;) {
    const Decoded d = split_delimited(in.view(), op.delimiter_, op.max_, op.scanned_);
    if (d.is_frame()) {
      op.line_ = d.frame;
      core.hand_out(d.frame.size() + op.delimiter_.size());
      return true;
    }
    if (d.failed()) {
      op.error_ = d.error;
      return true;
    }
    in.ensure_writable(kReadChunk);
    std::size_t n = 0;
    if (!moved(try_read(core.fd(), in.writable()), n, op.error_)) return false;
    if (op.error_) return true;
    if (n == 0) {
      op.error_ = make_error_code(in.empty() ? Errc::end_of_stream : Errc::closed_early);
      return true;
    }
    in.commit(n);
  }
}

// ---- writes -----------------------------------------------------------------------------------

bool WriteSomeOp::attempt(IoWaiter& self, detail::IoCore& core) {
  auto& op = static_cast<WriteSomeOp&>(self);
  if (op.data_.empty()) return true;
  return moved(try_write(core.fd(), op.data_), op.done_, op.error_);
}

bool SendAllOp::attempt(IoWaiter& self, detail::IoCore& core) {
  auto& op = static_cast<SendAllOp&>(self);
  while (op.done_ < op.data_.size()) {
    std::size_t n = 0;
    if (!moved(try_write(core.fd(), op.data_.subspan(op.done_)), n, op.error_)) return false;
    if (op.error_) return true;
    op.done_ += n;
  }
  return true;
}

// ---- connect ----------------------------------------------------------------------------------

ConnectOp::ConnectOp(EventLoop& loop, const Endpoint& to, Deadline deadline) noexcept
    : IoWaiter(nullptr, Dir::write, &attempt, deadline),
      loop_(loop),
      to_(to.to_sockaddr()),
      domain_(to.domain()) {}

ConnectOp::~ConnectOp() {
  withdraw();  // before the core it is queued on goes away
  if (owned_ != nullptr) detail::IoCore::destroy(owned_);
}

bool ConnectOp::await_ready() noexcept {
  if (!to_) {
    error_ = to_.error();
    return true;
  }
  auto fd = open_socket(domain_, SOCK_STREAM);
  if (!fd) {
    error_ = fd.error();
    return true;
  }
  auto started = start_connect(fd->get(), *to_);
  if (!started) {
    error_ = started.error();
    return true;
  }
  owned_ = new detail::IoCore(loop_, std::move(*fd));
  core_ = owned_;
  return *started;  // in progress: wait for writability, then read SO_ERROR
}

bool ConnectOp::attempt(IoWaiter& self, detail::IoCore& core) {
  auto& op = static_cast<ConnectOp&>(self);
  auto pending = pending_error(core.fd());
  if (!pending) {
    op.error_ = pending.error();
  } else if (*pending) {
    op.error_ = *pending;
  }
  return true;
}

Result<AsyncStream> ConnectOp::await_resume() noexcept {
  if (error_) return fail(error_);
  return AsyncStream(std::exchange(owned_, nullptr));
}

// ---- AsyncStream ------------------------------------------------------------------------------

AsyncStream& AsyncStream::operator=(AsyncStream&& other) noexcept {
  if (this != &other) {
    close();
    core_ = std::exchange(other.core_, nullptr);
  }
  return *this;
}

Result<AsyncStream> AsyncStream::adopt(EventLoop& loop, UniqueFd fd) {
  if (!fd) return fail(sys_error(EBADF));
  if (auto st = set_nonblocking(fd.get(), true); !st) return fail(st.error());
  return AsyncStream(new detail::IoCore(loop, std::move(fd)));
}

void StreamInterrupt::attach(const AsyncStream& stream) noexcept {
  detach();
  if (stream.core_ != nullptr && !stream.core_->closed()) stream.core_->bind(this);
}

void StreamInterrupt::detach() noexcept {
  if (core_ != nullptr) core_->bind(nullptr);
}

void StreamInterrupt::interrupt(std::error_code why) noexcept {
  if (core_ != nullptr) core_->interrupt_reads(why);
}

void AsyncStream::close() noexcept {
  if (core_ != nullptr) detail::IoCore::destroy(std::exchange(core_, nullptr));
}

ShutdownOp AsyncStream::shutdown(ShutdownHow how, Deadline /*deadline*/) noexcept {
  if (!valid()) return ShutdownOp(fail(sys_error(EBADF)));
  return ShutdownOp(sockit::shutdown(core_->fd(), how));
}

bool AsyncStream::valid() const noexcept {
  return core_ != nullptr && !core_->closed();
}
int AsyncStream::fd() const noexcept {
  return valid() ? core_->fd() : -1;
}

std::size_t AsyncStream::buffered() const noexcept {
  return core_ != nullptr ? core_->input().readable_bytes() : 0;
}

Result<Endpoint> AsyncStream::local_endpoint() const {
  if (!valid()) return fail(sys_error(EBADF));
  return sockit::local_endpoint(core_->fd());
}

Result<Endpoint> AsyncStream::peer_endpoint() const {
  if (!valid()) return fail(sys_error(EBADF));
  return sockit::peer_endpoint(core_->fd());
}

// ---- running tasks ----------------------------------------------------------------------------

namespace {

// The task sets owned by loops, found by the loop's address. EventLoop has no slot for such
// services, so they live here; each loop's entry is made on its thread and removed by its
// at_destroy hook, so an address reused by a later loop never finds a stale set. The mutex is
// for the map only (different loops run on different threads); a set is used on its loop thread.
std::mutex g_loop_tasks_mutex;
std::unordered_map<const EventLoop*, TaskSet*> g_loop_tasks;

// The loop's own task set, created on first use. Loop thread only.
TaskSet& loop_tasks(EventLoop& loop) {
  {
    std::lock_guard lock(g_loop_tasks_mutex);
    if (auto it = g_loop_tasks.find(&loop); it != g_loop_tasks.end()) return *it->second;
  }
  auto owned = std::make_unique<TaskSet>();
  TaskSet& set = *owned;
  {
    std::lock_guard lock(g_loop_tasks_mutex);
    g_loop_tasks.emplace(&loop, &set);
  }
  loop.at_destroy([&loop, owned = std::move(owned)]() mutable {
    // Destroying a task may close streams (unwatching: the loop still works here) or spawn
    // tasks into this very set: cancel_all() destroys those too.
    owned->cancel_all();
    {
      std::lock_guard lock(g_loop_tasks_mutex);
      g_loop_tasks.erase(&loop);
    }
    owned.reset();
  });
  return set;
}

}  // namespace

void co_spawn(EventLoop& loop, Task<void> task) {
  if (loop.in_loop_thread()) {
    loop_tasks(loop).spawn(std::move(task));
    return;
  }
  loop.post([&loop, t = std::move(task)]() mutable { loop_tasks(loop).spawn(std::move(t)); });
}

void co_spawn(EventLoop& loop, TaskSet& owner, Task<void> task) {
  if (loop.in_loop_thread()) {
    owner.spawn(std::move(task));
    return;
  }
  // If the loop never runs this, destroying the function destroys the unstarted task.
  loop.post([&owner, t = std::move(task)]() mutable { owner.spawn(std::move(t)); });
}

bool run_until_complete(EventLoop& loop, Task<void> task) {
  bool done = false;
  bool running = false;
  TaskSet set;
  set.spawn([](Task<void> t, bool& d, EventLoop& l, bool& r) -> Task<void> {
    co_await std::move(t);
    d = true;
    if (r) l.stop();
  }(std::move(task), done, loop, running));
  if (!done) {
    running = true;
    (void)loop.run();
  }
  return done;
}

}  // namespace sockit
