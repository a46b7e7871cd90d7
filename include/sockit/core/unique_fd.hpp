// UniqueFd: the one owner of a file descriptor. Move-only; the destructor closes.
// Thread-safety: like a plain int; a UniqueFd may be moved between threads but not shared.
// In core (not sys/) because the net layer holds descriptors too (the resolver's IPv6 probe,
// /proc reads for interfaces) and must not depend on the socket layer.
#pragma once

#include <utility>

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

}  // namespace sockit
