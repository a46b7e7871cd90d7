// Poller: the one seam between the event loop and the OS's readiness API (epoll today, io_uring
// later). Deliberately as small as Redis's ae backend: add / modify / remove interest in a
// descriptor, and wait with a timeout for a list of ready descriptors.
//
// Each registration carries an opaque token (the loop stores its handler pointer there) that is
// handed back with the readiness bits, so dispatch needs no lookup table.
//
// Thread-safety: none. A Poller belongs to one EventLoop and is used on that loop's thread only
// (the loop asserts it); the poller itself does not check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "sockit/core/error.hpp"

namespace sockit {

/// Readiness bits: interest passed to add()/modify(), and results in PollEvent::events.
/// kPollError and kPollHangup are only ever reported, never requested (the OS always reports
/// them). kPollHangup means both directions are closed (EPOLLHUP): nothing more can be written.
/// A peer's half-close (FIN) is reported as kPollRead only; the next read returns 0.
inline constexpr std::uint32_t kPollRead = 1;
inline constexpr std::uint32_t kPollWrite = 2;
inline constexpr std::uint32_t kPollError = 4;
inline constexpr std::uint32_t kPollHangup = 8;

struct PollEvent {
  void* token = nullptr;     ///< what was passed to add()/modify() for this descriptor
  std::uint32_t events = 0;  ///< kPoll* bits
};

class Poller {
 public:
  /// The platform's default backend (epoll on Linux). The poller's own descriptor is CLOEXEC.
  [[nodiscard]] static Result<std::unique_ptr<Poller>> create();

  virtual ~Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  /// Starts watching `fd` for `interest` (kPollRead | kPollWrite, or 0 to only hear errors).
  /// Level-triggered: a descriptor stays ready until the condition is consumed.
  [[nodiscard]] virtual Status add(int fd, std::uint32_t interest, void* token) = 0;
  /// Changes the interest (and token) of a descriptor added before.
  [[nodiscard]] virtual Status modify(int fd, std::uint32_t interest, void* token) = 0;
  /// Stops watching `fd`. Must be called before the descriptor is closed.
  [[nodiscard]] virtual Status remove(int fd) = 0;

  /// Waits until at least one descriptor is ready or `timeout_ms` passes (-1: no timeout) and
  /// stores up to out.size() events in `out`; returns how many. A signal interrupting the wait
  /// returns 0 events rather than an error, so callers simply go round their loop again.
  [[nodiscard]] virtual Result<std::size_t> wait(std::span<PollEvent> out, int timeout_ms) = 0;

 protected:
  Poller() = default;
};

}  // namespace sockit
