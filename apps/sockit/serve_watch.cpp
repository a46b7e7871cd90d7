#include "serve_watch.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include <fmt/format.h>

#include "exit_codes.hpp"

namespace sockit::cli {

void StatsReporter::report() {
  const ServerStats now = server_.stats();
  const auto at = Clock::now();
  const double secs = std::max(std::chrono::duration<double>(at - last_at_).count(), 1e-3);
  auto rate = [&](std::uint64_t a, std::uint64_t b) { return static_cast<double>(a - b) / secs; };
  note(fmt::format(
      "stats: {} connections ({} accepted, {} refused){}{}{}, {:.0f} msg/s, {:.0f} B/s in, "
      "{:.0f} B/s out",
      now.connections, now.accepted, now.refused,
      now.threads != 0 ? fmt::format(", {} threads", now.threads) : std::string(),
      now.tls_failures != 0 ? fmt::format(", {} TLS failures", now.tls_failures) : std::string(),
      now.proxy_failures != 0 ? fmt::format(", {} PROXY header failures", now.proxy_failures)
                              : std::string(),
      rate(now.messages, last_.messages), rate(now.bytes_in, last_.bytes_in),
      rate(now.bytes_out, last_.bytes_out)));
  last_ = now;
  last_at_ = at;
}

OperatorInput::~OperatorInput() {
  if (watching_) (void)loop_.unwatch(STDIN_FILENO);
}

bool OperatorInput::start() {
  return watching_ = static_cast<bool>(loop_.watch(STDIN_FILENO, kPollRead, *this));
}

void OperatorInput::on_ready(std::uint32_t) {
  char buf[4096];
  const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
  if (n <= 0) {  // the operator closed stdin: the server goes on without them
    if (n == 0 || errno != EINTR) (void)loop_.unwatch(STDIN_FILENO);
    watching_ = watching_ && n < 0 && errno == EINTR;
    return;
  }
  pending_.append(buf, static_cast<std::size_t>(n));
  for (auto eol = pending_.find('\n'); eol != std::string::npos; eol = pending_.find('\n')) {
    std::string line = pending_.substr(0, eol);
    pending_.erase(0, eol + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) chat_.say(line);
  }
}

std::string udp_stats_line(const UdpServerStats& s) {
  return fmt::format("stats: {} datagrams, {} truncated, {} B in, {} B out, {} send errors",
                     s.datagrams, s.truncated, s.bytes_in, s.bytes_out, s.send_errors);
}

void PoolWatch::check() {
  const ServerStats now = server_.stats();
  const auto at = Clock::now();
  if (now.waiting == 0) {
    queued_before_ = false;
    return;
  }
  const bool waited = queued_before_;
  queued_before_ = true;
  if (!waited || at < quiet_until_) return;
  quiet_until_ = at + kBusyEvery;
  note(fmt::format(
      "pool: every worker ({}) is busy and {} client{} waiting; --threads sets the pool size",
      now.threads, now.waiting, now.waiting == 1 ? " is" : "s are"));
}

}  // namespace sockit::cli
