// UniqueFd: the one owner of a file descriptor. Move-only; the destructor closes.
// Thread-safety: like a plain int; a UniqueFd may be moved between threads but not shared.
#pragma once

#include <utility>

#include "sockit/deadline.hpp"
#include "sockit/error.hpp"

namespace sockit {

class UniqueFd {
 public:
  constexpr UniqueFd() noexcept = default;
  /// Takes ownership of `fd` (which may be -1).
  constexpr explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  /// Gives up ownership without closing.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the current descriptor (if any) and takes `fd`. close() is not retried on EINTR:
  /// on Linux the descriptor is released even then, and a retry could close a reused number.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

/// Readiness wanted by wait_ready(); may be combined with |.
enum class Ready : short { read = 1, write = 2, read_write = 3 };

/// Blocks until `fd` is ready for `what` or the deadline passes (std::errc::timed_out).
/// EINTR is retried with the remaining time. Error/hang-up conditions count as ready so that
/// the caller's next call reports the actual error.
Status wait_ready(int fd, Ready what, Deadline deadline);

/// Sets or clears O_NONBLOCK.
Status set_nonblocking(int fd, bool on);

/// The process's open-descriptor count (entries in /proc/self/fd), for leak checks.
Result<int> count_open_fds();

}  // namespace sockit
