// Acceptor: the one accept path of every stream server in sockit (Server's four models and
// start_server). Internal to the library.
//
//   listener readable -> accept4 (EINTR / ECONNABORTED retried, at most a batch per event)
//     -> allow/deny      refused: closed at once, without a word
//     -> cap             refused: the refusal line, FIN, what the client sent dropped
//     -> Owner::adopt    admitted (TCP_NODELAY set for IP peers)
//   EMFILE / ENFILE / ENOBUFS / ENOMEM: with a reserve descriptor (libuv's trick) the queue is
//   accepted and refused with it; otherwise, or when the reserve cannot be taken back, the
//   listener leaves the poller for `pause` (level-triggered, it would otherwise spin).
//
// Thread rule: loop thread only, except admitted() and refused() (relaxed atomics).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/async/loop.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/unique_fd.hpp"
#include "sockit/net/cidr.hpp"
#include "sockit/net/endpoint.hpp"

namespace sockit {

struct AcceptRules {
  std::size_t max_connections = 10000;        ///< Owner::live() at or over it: refused
  std::vector<IpNetwork> allow;               ///< if not empty, only these peers (deny still wins)
  std::vector<IpNetwork> deny;                ///< never these peers
  std::string refusal = "ERR server full\n";  ///< sent over the cap ("" = nothing)
  Clock::duration pause = std::chrono::milliseconds(10);  ///< stop accepting after EMFILE
  /// Keep a spare descriptor for EMFILE. Sound only when no other thread opens descriptors
  /// while serving (the reserve would be taken back by a race, and clients refused that a
  /// moment later could have been served).
  bool reserve = false;
};

/// Turns a connection away politely: `line`, FIN, and what the client sent read and dropped
/// until its EOF or `wait` (zero: only what has already arrived), so that closing does not
/// answer with an RST that could destroy the line before it is read.
void refuse_connection(int fd, std::string_view line, Clock::duration wait);

class Acceptor final : EventLoop::Handler {
 public:
  /// Who takes admitted connections.
  class Owner {
   public:
    /// Connections counted against the cap now.
    virtual std::size_t live() const = 0;
    /// An admitted connection: non-blocking, close-on-exec.
    virtual void adopt(UniqueFd fd, const Endpoint& peer) = 0;

   protected:
    ~Owner() = default;
  };

  /// Accepts on `listener` (bound, listening, non-blocking) for `owner`, which must outlive it.
  Acceptor(EventLoop& loop, UniqueFd listener, Owner& owner, AcceptRules rules);
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  /// Starts watching the listener (and takes the reserve descriptor).
  [[nodiscard]] Status start();
  /// Accepts at most `max` queued connections now.
  void accept_some(int max);
  /// Stops accepting and closes the listener. Idempotent.
  void close() noexcept;
  bool listening() const noexcept { return listener_.valid(); }
  int fd() const noexcept { return listener_.get(); }
  AcceptRules& rules() noexcept { return rules_; }

  /// Connections handed to the owner / turned away (cap, allow/deny, descriptor exhaustion).
  std::uint64_t admitted() const noexcept { return admitted_.load(std::memory_order_relaxed); }
  std::uint64_t refused() const noexcept { return refused_.load(std::memory_order_relaxed); }

 private:
  void on_ready(std::uint32_t events) override;
  void admit(UniqueFd fd, const Endpoint& peer);
  void refuse(UniqueFd fd);
  void on_descriptors_exhausted();
  void pause();
  void resume();

  EventLoop& loop_;
  UniqueFd listener_;
  Owner& owner_;
  AcceptRules rules_;
  UniqueFd reserve_;
  bool watching_ = false;
  EventLoop::TimerId resume_timer_ = 0;
  std::atomic<std::uint64_t> admitted_{0};
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace sockit
