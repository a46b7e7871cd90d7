// What both chat rooms share: the in-memory room (chat.cpp) and the room over Redis
// (chat_redis.cpp). The sender's credit (backpressure, issue 18) and the name rules.
#pragma once

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "sockit/server/service.hpp"

namespace sockit {
namespace chat_detail {

constexpr std::size_t kMaxName = 32;
// Per sender, in flight (see the top of chat.cpp): stop reading above either, resume at half of
// both.
constexpr std::size_t kHighLines = 16;
constexpr std::size_t kHighBytes = 64 * 1024;

// What one member has in flight, shared by its session (its thread) and its lines (released on
// the receivers' threads). The pause itself belongs to the session; this only counts and
// decides who wakes it.
class Credit {
 public:
  explicit Credit(std::shared_ptr<Mailbox> own) : own_(std::move(own)) {}
  void charge(std::size_t bytes) {
    lines_.fetch_add(1);
    bytes_.fetch_add(bytes);
  }
  void release(std::size_t bytes) {
    bytes_.fetch_sub(bytes);
    lines_.fetch_sub(1);
    if (low() && wake_wanted_.exchange(false)) wake();
  }
  bool high() const { return lines_.load() > kHighLines || bytes_.load() > kHighBytes; }
  bool low() const { return lines_.load() <= kHighLines / 2 && bytes_.load() <= kHighBytes / 2; }
  /// The paused session wants one wake once low(). Checked again after arming: the last
  /// release may have come just before (sequentially consistent atomics order the two sides).
  void want_wake() {
    wake_wanted_.store(true);
    if (low() && wake_wanted_.exchange(false)) wake();
  }
  /// The member has left: no wake may reach its connection (whose loop may be gone with it).
  void forget() {
    std::shared_ptr<Mailbox> gone;
    std::lock_guard lock(mutex_);
    gone.swap(own_);
  }  // `gone` is dropped after the lock: a mailbox's queued lines release other credits

 private:
  void wake() {
    std::lock_guard lock(mutex_);
    if (own_) own_->wake();
  }
  std::atomic<std::size_t> lines_{0};
  std::atomic<std::size_t> bytes_{0};
  std::atomic<bool> wake_wanted_{false};
  std::mutex mutex_;
  std::shared_ptr<Mailbox> own_;  // guarded by mutex_
};

/// What the operator's join line adds to "* NAME joined": where the member connects from
/// (behind a proxy, the address its PROXY header named). Members never see it.
inline std::string joined_from(std::string_view remote) {
  return " from " + std::string(remote);
}

inline bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxName || name == "server") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isgraph(u) != 0;
  });
}

}  // namespace chat_detail
}  // namespace sockit
