#include "sockit/async/async.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "async/io_core.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {

namespace {

// One non-blocking recv/send. >= 0: bytes; -1: would block; -2: failed (error in `ec`).
// EINTR is retried here so callers see only the three outcomes.
constexpr long kWouldBlock = -1;
constexpr long kFailed = -2;

long recv_once(int fd, std::byte* data, std::size_t size, std::error_code& ec) noexcept {
  for (;;) {
    const ssize_t n = ::recv(fd, data, size, 0);
    if (n >= 0) return static_cast<long>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
    ec = sys_error();
    return kFailed;
  }
}

long send_once(int fd, const std::byte* data, std::size_t size, std::error_code& ec) noexcept {
  for (;;) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<long>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
    ec = sys_error();
    return kFailed;
  }
}

// Copies read-ahead bytes (left by read_until) into `out` first.
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

}  // namespace

// ---- reads ------------------------------------------------------------------------------------

bool ReadSomeOp::attempt(IoWaiter& self, detail::IoCore& core) {
  auto& op = static_cast<ReadSomeOp&>(self);
  op.done_ = take_buffered(core, op.buffer_);
  if (op.done_ != 0 || op.buffer_.empty()) return true;
  const long n = recv_once(core.fd(), op.buffer_.data(), op.buffer_.size(), op.error_);
  if (n == kWouldBlock) return false;
  if (n > 0) op.done_ = static_cast<std::size_t>(n);
  return true;
}

bool ReadExactOp::attempt(IoWaiter& self, detail::IoCore& core) {
  auto& op = static_cast<ReadExactOp&>(self);
  op.done_ += take_buffered(core, op.buffer_.subspan(op.done_));
  while (op.done_ < op.buffer_.size()) {
    const long n =
        recv_once(core.fd(), op.buffer_.data() + op.done_, op.buffer_.size() - op.done_, op.error_);
    if (n == kWouldBlock) return false;
    if (n == kFailed) return true;
    if (n == 0) {
      op.error_ = make_error_code(Errc::closed_early);
      return true;
    }
    op.done_ += static_cast<std::size_t>(n);
  }
  return true;
}

bool ReadUntilOp::attempt(IoWaiter& self, detail::IoCore& core) {
  auto& op = static_cast<ReadUntilOp&>(self);
  if (op.delimiter_.empty()) {
    op.error_ = sys_error(EINVAL);
    return true;
  }
  core.consume_pending();
  Buffer& in = core.input();
  // Bytes are read into the stream's buffer (never more than the limit plus one read's worth
  // ahead) and searched from where the previous search stopped.
  constexpr std::size_t kReadChunk = 4096;
  for (;;) {
    const std::size_t overlap = op.delimiter_.size() - 1;
    const std::size_t from = op.scanned_ > overlap ? op.scanned_ - overlap : 0;
    const std::size_t pos = in.find(op.delimiter_, from);
    if (pos != Buffer::npos) {
      const std::size_t length = pos + op.delimiter_.size();
      if (length > op.max_) {
        op.error_ = make_error_code(Errc::line_too_long);
      } else {
        op.line_ = in.view().substr(0, length);
        core.hand_out(length);
      }
      return true;
    }
    op.scanned_ = in.readable_bytes();
    if (op.scanned_ >= op.max_) {  // any line completed from here would exceed the limit
      op.error_ = make_error_code(Errc::line_too_long);
      return true;
    }
    const std::size_t need = std::min(op.max_ - op.scanned_, kReadChunk);
    if (in.writable_bytes() < need) in.ensure_writable(need);
    auto room = in.writable();
    const long n = recv_once(core.fd(), room.data(), room.size(), op.error_);
    if (n == kWouldBlock) return false;
    if (n == kFailed) return true;
    if (n == 0) {
      // EOF between lines is the normal end of a line protocol: an empty view says so.
      if (!in.empty()) op.error_ = make_error_code(Errc::closed_early);
      op.line_ = {};
      return true;
    }
    in.commit(static_cast<std::size_t>(n));
  }
}

// ---- writes -----------------------------------------------------------------------------------

bool WriteAllOp::attempt(IoWaiter& self, detail::IoCore& core) {
  auto& op = static_cast<WriteAllOp&>(self);
  while (op.done_ < op.data_.size()) {
    const long n =
        send_once(core.fd(), op.data_.data() + op.done_, op.data_.size() - op.done_, op.error_);
    if (n == kWouldBlock) return false;
    if (n == kFailed) return true;
    op.done_ += static_cast<std::size_t>(n);
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

void AsyncStream::close() noexcept {
  if (core_ != nullptr) detail::IoCore::destroy(std::exchange(core_, nullptr));
}

Status AsyncStream::shutdown_write() {
  if (!valid()) return fail(sys_error(EBADF));
  return sockit::shutdown(core_->fd(), ShutdownHow::write);
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
