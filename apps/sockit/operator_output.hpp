// The chat operator's view of the room: every line the room sees, on stdout. The room never
// waits for the operator: lines go into a bounded queue that a writer thread empties into
// stdout, and when stdout does not keep up (a pipe nobody reads, a stopped terminal) the lines
// beyond the bound are dropped for the operator only, with one notice on stderr per episode.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace sockit::cli {

class OperatorOutput {
 public:
  static constexpr std::size_t kDefaultLimit = 1 << 20;  // bytes queued for stdout at most

  explicit OperatorOutput(int fd, std::size_t limit = kDefaultLimit);
  ~OperatorOutput();
  OperatorOutput(const OperatorOutput&) = delete;
  OperatorOutput& operator=(const OperatorOutput&) = delete;

  /// Queues `line` plus a newline, or drops it when the queue is full. Any thread; never blocks
  /// on the output descriptor.
  void push(std::string_view line);

 private:
  void run();
  bool write_some(std::string& chunk);
  void report_dropped(std::uint64_t dropped);

  const int fd_;
  const std::size_t limit_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::string queue_;          // guarded by mutex_
  std::uint64_t dropped_ = 0;  // guarded by mutex_: lines dropped in the current episode
  bool stopping_ = false;      // guarded by mutex_
  std::thread writer_;
};

}  // namespace sockit::cli
