// What `sockit serve` watches while it runs, on its loop: the --stats and SIGUSR1 lines, the
// chat operator's terminal, the pool model's queue. Split from serve.cpp, which wires them.
#pragma once

#include <string>

#include "sockit/async/loop.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/server/server.hpp"
#include "sockit/server/udp_server.hpp"
#include "sockit/services/services.hpp"

namespace sockit::cli {

// Prints connections, messages/s and bytes/s since the previous report.
class StatsReporter {
 public:
  explicit StatsReporter(const Server& server) : server_(server), last_at_(Clock::now()) {}
  void report();

 private:
  const Server& server_;
  ServerStats last_;
  Clock::time_point last_at_;
};

// The chat operator's terminal: lines typed on stdin go to every client as "server: text".
// One read() per readiness never blocks, so stdin keeps its blocking mode (it may be shared).
class OperatorInput final : public EventLoop::Handler {
 public:
  OperatorInput(EventLoop& loop, ChatService& chat) : loop_(loop), chat_(chat) {}
  OperatorInput(const OperatorInput&) = delete;
  OperatorInput& operator=(const OperatorInput&) = delete;
  ~OperatorInput();
  bool start();
  void on_ready(std::uint32_t) override;

 private:
  EventLoop& loop_;
  ChatService& chat_;
  std::string pending_;
  bool watching_ = false;
};

// Cumulative UDP counters: a truncated datagram is an event worth counting, not a rate.
std::string udp_stats_line(const UdpServerStats& s);

// The pool model's queue, watched from the loop: when every worker is busy and clients wait,
// one line says so, at most once per kBusyEvery, so a long overload does not flood stderr.
// A client counts as waiting only when two checks in a row (kCheckEvery apart) saw a queue: a
// connection queued for the microseconds until an idle worker wakes is not a busy pool (it
// printed "every worker (0) is busy" under load).
class PoolWatch {
 public:
  static constexpr Millis kCheckEvery{200};
  static constexpr std::chrono::seconds kBusyEvery{10};
  explicit PoolWatch(const Server& server) : server_(server) {}
  void check();

 private:
  const Server& server_;
  Clock::time_point quiet_until_{};
  bool queued_before_ = false;  // the previous check saw clients waiting
};

}  // namespace sockit::cli
