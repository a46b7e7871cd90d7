// Slowloris against legitimate latency (issue 6): 200 connections each trickle one byte every
// 200 ms of a line that never ends. Every one of them must be closed at the partial-message
// deadline (EOF with "ERR message timeout", measured from its first byte), while a legitimate
// client's round-trip latency (300 sequential 64-byte line echoes) stays close to what it was
// with no attack. Runs in every server model; prints p50/p99 so they can be quoted.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "serve_harness.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

using std::chrono::duration_cast;
using Us = std::chrono::microseconds;

constexpr int kSlowClients = 200;
constexpr int kEchoes = 300;
constexpr Ms kTrickle{200};          // one byte per slow client per tick
constexpr Ms kEchoGap{5};            // legit pacing: 300 echoes span 1.5 s, past the deadline
constexpr Ms kPartialTimeout{1000};  // --partial-timeout 1
constexpr Ms kCloseMargin{1000};     // sweep granularity (250 ms) plus a busy 2-core machine

struct Latency {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  int failures = 0;                           // echoes that did not come back whole within 2 s
  std::vector<SteadyClock::time_point> sent;  // when each echo started
};

std::string ms_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", ms);
  return buf;
}

// Nearest-rank percentile of sorted samples.
double percentile(const std::vector<long>& sorted_us, double p) {
  const auto rank =
      static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted_us.size())));
  return static_cast<double>(sorted_us[std::max<std::size_t>(rank, 1) - 1]) / 1000.0;
}

// One fresh connection, kEchoes sequential 64-byte lines, each timed from send to full echo.
// The first echo that fails ends the run (the stream is out of step after it): the rest count
// as failures, so a starved server costs 2 s, not 300 x 2 s.
Latency measure_echoes(int port) {
  Latency out;
  Fd fd(tcp_connect(port));
  if (!fd.valid()) {
    out.failures = kEchoes;
    return out;
  }
  std::vector<long> us;
  const auto start = SteadyClock::now();
  for (int i = 0; i < kEchoes; ++i) {
    // On a schedule, not sleep-after-echo: a busy machine that oversleeps catches up, so the
    // run always spans kEchoes * kEchoGap and covers the attack's deadline.
    std::this_thread::sleep_until(start + kEchoGap * i);
    std::string line = "legit " + std::to_string(i) + " ";
    line.resize(63, '.');
    line += '\n';
    const auto t0 = SteadyClock::now();
    out.sent.push_back(t0);
    const bool ok = send_all(fd.get(), line, Ms(2000)) &&
                    read_bytes(fd.get(), line.size(), Ms(2000)).data == line;
    us.push_back(static_cast<long>(duration_cast<Us>(SteadyClock::now() - t0).count()));
    if (!ok) {
      out.failures = kEchoes - i;
      break;
    }
  }
  std::sort(us.begin(), us.end());
  out.p50_ms = percentile(us, 50);
  out.p99_ms = percentile(us, 99);
  out.max_ms = static_cast<double>(us.back()) / 1000.0;
  return out;
}

// The attack: kSlowClients connections, one byte each per tick until the server closes them.
struct SlowClient {
  Fd fd;
  SteadyClock::time_point first_byte{}, closed{};
  bool started = false, ended = false;
  std::string heard;
};

class Slowloris {
 public:
  bool connect_all(int port) {
    for (int i = 0; i < kSlowClients; ++i) {
      clients_.push_back(SlowClient{Fd(tcp_connect(port)), {}, {}, false, false, {}});
      if (!clients_.back().fd.valid()) return false;
    }
    return true;
  }
  // Runs until every client has been closed by the server, or `limit` passes.
  void run(Ms limit) {
    const auto end = SteadyClock::now() + limit;
    auto next_tick = SteadyClock::now();
    std::size_t open = clients_.size();
    while (open > 0 && SteadyClock::now() < end) {
      if (SteadyClock::now() >= next_tick) {
        tick();
        started_.store(true);
        next_tick += kTrickle;
      }
      std::vector<pollfd> fds;
      std::vector<std::size_t> which;
      for (std::size_t i = 0; i < clients_.size(); ++i) {
        if (clients_[i].ended) continue;
        fds.push_back({clients_[i].fd.get(), POLLIN, 0});
        which.push_back(i);
      }
      const auto wait = std::max<long>(
          0, static_cast<long>(duration_cast<Ms>(next_tick - SteadyClock::now()).count()));
      if (::poll(fds.data(), fds.size(), static_cast<int>(std::min(wait, 50L))) <= 0) continue;
      for (std::size_t k = 0; k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        SlowClient& c = clients_[which[k]];
        char buf[256];
        const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) c.heard.append(buf, static_cast<std::size_t>(n));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          c.ended = true;
          c.closed = SteadyClock::now();
          c.fd.reset();  // lets the server's lingering close finish at once
          --open;
        }
      }
    }
  }
  bool started() const { return started_.load(); }
  const std::vector<SlowClient>& clients() const { return clients_; }

 private:
  void tick() {
    const auto now = SteadyClock::now();
    for (auto& c : clients_) {
      if (c.ended) continue;
      if (::send(c.fd.get(), "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1 && !c.started) {
        c.started = true;
        c.first_byte = now;
      }
    }
  }
  std::vector<SlowClient> clients_;
  std::atomic<bool> started_{false};
};

// One round: a fresh server, the baseline, then the same measurement under attack. The slow
// clients' fate is checked here (it does not depend on machine noise); the latency verdict is
// left to the caller.
struct Round {
  Latency base, hit;
  std::string summary;
};

Round run_round(const std::string& model) {
  Round round;
  std::vector<std::string> args = {"echo", "127.0.0.1", "0", "--model", model};
  args.insert(args.end(), {"--framing", "line", "--partial-timeout", "1", "--idle-timeout", "30"});
  if (model == "pool") {
    // A pool worker serves one connection at a time, and a queued connection is not read, so
    // its partial clock has not started: a default pool (one worker per core) is held by the
    // first slow clients for a whole deadline each and the rest, legit ones included, wait in
    // the queue (measured: legit echoes time out at 2 s, slow clients closed up to 3 s after
    // their first byte). Sizing the pool above the attack is this model's remedy; the test
    // checks that it then holds.
    args.insert(args.end(), {"--threads", std::to_string(kSlowClients + 56)});
  }
  ServeChild server = start_serve(args);
  EXPECT_GT(server.port, 0) << server.process->err();
  if (server.port == 0) return round;

  round.base = measure_echoes(server.port);
  Slowloris attack;
  EXPECT_TRUE(attack.connect_all(server.port));
  std::thread attacker([&] { attack.run(kPartialTimeout + kCloseMargin + Ms(2000)); });
  for (int i = 0; i < 200 && !attack.started(); ++i)
    std::this_thread::sleep_for(Ms(5));
  round.hit = measure_echoes(server.port);
  attacker.join();

  const Latency& base = round.base;
  const Latency& hit = round.hit;
  round.summary = "model " + model + ": baseline p50 " + ms_text(base.p50_ms) + " ms, p99 " +
                  ms_text(base.p99_ms) + " ms; under " + std::to_string(kSlowClients) +
                  " slowloris p50 " + ms_text(hit.p50_ms) + " ms, p99 " + ms_text(hit.p99_ms) +
                  " ms, max " + ms_text(hit.max_ms) + " ms";
  std::cout << round.summary << std::endl;

  // Every slow client: its bytes were accepted, then EOF with the reason, at the deadline.
  int closed = 0;
  long earliest = 1'000'000, latest = 0;
  SteadyClock::time_point last_close{};
  for (const SlowClient& c : attack.clients()) {
    EXPECT_TRUE(c.started);
    if (!c.ended) continue;
    ++closed;
    EXPECT_EQ(c.heard, "ERR message timeout\n");
    const long lived = static_cast<long>(duration_cast<Ms>(c.closed - c.first_byte).count());
    earliest = std::min(earliest, lived);
    latest = std::max(latest, lived);
    last_close = std::max(last_close, c.closed);
  }
  std::cout << "model " << model << ": slow clients closed " << earliest << ".." << latest
            << " ms after their first byte (deadline " << kPartialTimeout.count() << " ms)"
            << std::endl;
  EXPECT_EQ(closed, kSlowClients) << "slow clients still connected at the end";
  EXPECT_GE(earliest, kPartialTimeout.count() - 50) << "closed before the deadline";
  EXPECT_LE(latest, (kPartialTimeout + kCloseMargin).count()) << "closed late";
  // The latency is only meaningful if the echoes ran while the attack did, close storm
  // included: most of them must have started before the last slow client was closed.
  const auto during = std::count_if(hit.sent.begin(), hit.sent.end(),
                                    [&](SteadyClock::time_point t) { return t < last_close; });
  std::cout << "model " << model << ": " << during << " of " << kEchoes
            << " legit echoes started while slow clients were connected" << std::endl;
  EXPECT_GE(during, kEchoes / 2);
  EXPECT_EQ(base.failures, 0) << round.summary;
  EXPECT_EQ(hit.failures, 0) << round.summary;
  EXPECT_TRUE(server.process->running()) << server.process->err();
  return round;
}

double latency_bound(const Latency& base) {
  return std::max(5 * base.p99_ms, base.p99_ms + 20.0);
}

class SlowlorisLatency : public ::testing::TestWithParam<std::string> {};

// A p99 of 300 samples is the third-worst echo: on a shared 2-core machine one scheduler
// hiccup of another process can push it past the bound. So a round whose latency alone is out
// of bound is run once more and the second verdict stands; a server that really stalls
// (a starved pool: 2 s; a blocking close storm) fails both rounds.
TEST_P(SlowlorisLatency, SlowClientsClosedAtDeadlineLegitLatencyHolds) {
  const std::string model = GetParam();
  Round round = run_round(model);
  if (HasFailure()) return;
  if (round.hit.p99_ms > latency_bound(round.base)) {
    std::cout << "model " << model << ": p99 over the bound, measuring once more" << std::endl;
    round = run_round(model);
    if (HasFailure()) return;
  }
  RecordProperty("baseline_p50_ms", ms_text(round.base.p50_ms));
  RecordProperty("baseline_p99_ms", ms_text(round.base.p99_ms));
  RecordProperty("attack_p50_ms", ms_text(round.hit.p50_ms));
  RecordProperty("attack_p99_ms", ms_text(round.hit.p99_ms));
  EXPECT_LE(round.hit.p99_ms, latency_bound(round.base)) << round.summary;
}

INSTANTIATE_TEST_SUITE_P(Models, SlowlorisLatency,
                         ::testing::Values("thread", "pool", "loop", "reactors"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace sockit::test
