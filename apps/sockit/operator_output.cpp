#include "operator_output.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "output.hpp"

namespace sockit::cli {
namespace {

// The writer waits for stdout at most this long before it looks at the stop flag again, so that
// shutting down never hangs on a reader that has gone away.
constexpr int kPollMs = 100;
// At most one pipe buffer page per write(): poll() reporting a pipe writable promises that much
// room, so the blocking descriptor (it may be shared: we do not change its mode) does not block.
constexpr std::size_t kChunk = 4096;

}  // namespace

OperatorOutput::OperatorOutput(int fd, std::size_t limit)
    : fd_(fd), limit_(limit), writer_([this] { run(); }) {}

OperatorOutput::~OperatorOutput() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_one();
  writer_.join();
  std::lock_guard lock(mutex_);
  if (dropped_ != 0) report_dropped(dropped_);
}

void OperatorOutput::push(std::string_view line) {
  std::uint64_t ended = 0;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() + line.size() + 1 > limit_) {
      ++dropped_;
      return;
    }
    queue_.append(line);
    queue_.push_back('\n');
    ended = dropped_;  // the operator keeps up again: say what they missed
    dropped_ = 0;
  }
  ready_.notify_one();
  if (ended != 0) report_dropped(ended);
}

void OperatorOutput::report_dropped(std::uint64_t dropped) {
  (void)write_all_fd(STDERR_FILENO,
                     fmt::format("sockit: stdout is not keeping up: dropped {} chat line(s) for "
                                 "the operator (clients lost nothing)\n",
                                 dropped));
}

void OperatorOutput::run() {
  std::string chunk;
  for (;;) {
    if (chunk.empty()) {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping with nothing left to write
      const std::size_t n = std::min(queue_.size(), kChunk);
      chunk.assign(queue_, 0, n);
      queue_.erase(0, n);
    }
    if (!write_some(chunk)) return;
    std::lock_guard lock(mutex_);
    if (stopping_ && !chunk.empty()) return;  // stdout is stuck: do not hold up the exit
  }
}

// Writes part of `chunk` when `fd_` is writable; false when stdout is gone for good.
bool OperatorOutput::write_some(std::string& chunk) {
  pollfd p{fd_, POLLOUT, 0};
  const int ready = ::poll(&p, 1, kPollMs);
  if (ready < 0) return errno == EINTR;
  if (ready == 0) return true;
  if ((p.revents & (POLLERR | POLLNVAL)) != 0) return false;
  const ssize_t n = ::write(fd_, chunk.data(), chunk.size());
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  chunk.erase(0, static_cast<std::size_t>(n));
  return true;
}

}  // namespace sockit::cli
