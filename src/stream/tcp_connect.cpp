// TcpStream::connect over several addresses: sequential, or Happy Eyeballs (RFC 8305).
//
// Getting the addresses is one getaddrinfo call for A and AAAA together, so RFC 8305's
// "Resolution Delay" (waiting briefly for AAAA after A) does not arise: both arrive at once.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>
#include <vector>

#include "sockit/stream/tcp.hpp"

namespace sockit {
namespace {

constexpr Millis kMinAttemptDelay{10};  // RFC 8305 section 5

/// Higher is more informative when every attempt failed.
int rank(std::error_code ec) {
  if (ec == std::errc::connection_refused) return 4;  // a host answered: nothing listens
  if (ec == std::errc::network_unreachable || ec == std::errc::address_not_available ||
      ec == std::errc::address_family_not_supported) {
    return 1;  // this family does not work here; expected noise on single-stack hosts
  }
  if (ec == std::errc::timed_out) return 2;
  if (ec == Errc::cancelled) return 0;
  return 3;  // host unreachable, reset, permission denied, ...
}

/// RFC 8305 section 4 with "First Address Family Count" 1: alternate families, starting with
/// the family of the resolver's first choice, keeping the order within each family.
std::vector<Endpoint> interleave(std::vector<Endpoint> in) {
  if (in.empty()) return in;
  const Family first = in.front().address().family();
  std::vector<Endpoint> a, b, out;
  for (auto& e : in)
    (e.address().family() == first ? a : b).push_back(std::move(e));
  for (std::size_t i = 0; i < a.size() || i < b.size(); ++i) {
    if (i < a.size()) out.push_back(std::move(a[i]));
    if (i < b.size()) out.push_back(std::move(b[i]));
  }
  return out;
}

struct Attempt {
  Endpoint endpoint;
  UniqueFd fd;
  Clock::time_point started;
};

class Race {
 public:
  explicit Race(const ConnectOptions& options) : options_(options) {}

  Result<UniqueFd> run(const std::vector<Endpoint>& order) {
    std::size_t next = 0;
    auto next_start = Clock::now();
    for (;;) {
      if (options_.deadline.expired()) return give_up_on_deadline();
      const bool may_start =
          live_.empty() || (options_.happy_eyeballs && Clock::now() >= next_start);
      if (next < order.size() && may_start) {
        if (auto won = start(order[next++])) return std::move(*won);
        next_start = Clock::now() + std::max(options_.attempt_delay, kMinAttemptDelay);
        continue;
      }
      if (live_.empty()) break;  // every address tried and failed
      Deadline wake = options_.deadline;
      if (options_.happy_eyeballs && next < order.size())
        wake = earliest(wake, Deadline(next_start));
      bool failed = false;
      if (auto won = wait(wake, failed)) return std::move(*won);
      if (failed) next_start = Clock::now();  // RFC 8305: a failure starts the next one at once
    }
    if (!best_) return fail(Errc::no_addresses);
    return fail(best_);
  }

 private:
  /// Starts one attempt; returns its descriptor if it connected at once.
  std::optional<UniqueFd> start(const Endpoint& to) {
    const auto started = Clock::now();
    auto addr = to.to_sockaddr();
    auto fd = addr ? open_socket(to.domain(), SOCK_STREAM) : fail(addr.error());
    if (!fd) {
      finish(to, fd.error(), started);
      return std::nullopt;
    }
    auto connected = start_connect(fd->get(), *addr);
    if (!connected) {
      finish(to, connected.error(), started);
    } else if (*connected) {
      return win(Attempt{to, std::move(*fd), started});
    } else {
      live_.push_back(Attempt{to, std::move(*fd), started});
    }
    return std::nullopt;
  }

  /// Waits until `wake` for any live attempt to finish; sets `failed` if one failed.
  std::optional<UniqueFd> wait(Deadline wake, bool& failed) {
    std::vector<pollfd> fds;
    for (const auto& a : live_)
      fds.push_back(pollfd{a.fd.get(), POLLOUT, 0});
    const int n = ::poll(fds.data(), fds.size(), wake.poll_timeout_ms());
    if (n < 0 && errno != EINTR) {  // cannot watch them at all: fail every live attempt
      const auto error = sys_error();
      for (auto& a : live_)
        finish(a.endpoint, error, a.started);
      live_.clear();
      failed = true;
    }
    if (n <= 0) return std::nullopt;  // timeout or EINTR: the caller's loop decides
    for (std::size_t i = fds.size(); i-- > 0;) {
      if (fds[i].revents == 0) continue;
      auto err = pending_error(fds[i].fd);
      const std::error_code ec = err ? *err : err.error();
      Attempt attempt = std::move(live_[i]);
      live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(i));
      if (!ec) return win(std::move(attempt));
      finish(attempt.endpoint, ec, attempt.started);
      failed = true;
    }
    return std::nullopt;
  }

  UniqueFd win(Attempt winner) {
    finish(winner.endpoint, {}, winner.started);
    for (auto& loser : live_)
      finish(loser.endpoint, make_error_code(Errc::cancelled), loser.started);
    live_.clear();  // closes the losers
    return std::move(winner.fd);
  }

  Result<UniqueFd> give_up_on_deadline() {
    for (auto& a : live_)
      finish(a.endpoint, make_error_code(Errc::deadline_passed), a.started);
    live_.clear();
    const auto timed_out = make_error_code(Errc::deadline_passed);
    if (!best_ || rank(best_) < rank(timed_out)) best_ = timed_out;
    return fail(best_);
  }

  void finish(const Endpoint& endpoint, std::error_code ec, Clock::time_point started) {
    if (ec && (!best_ || rank(ec) > rank(best_))) best_ = ec;
    if (options_.observer) options_.observer(ConnectAttempt{endpoint, ec, Clock::now() - started});
  }

  const ConnectOptions& options_;
  std::vector<Attempt> live_;  // in flight, in start order
  std::error_code best_;
};

}  // namespace

Result<TcpStream> TcpStream::connect(std::span<const Endpoint> candidates,
                                     const ConnectOptions& options) {
  std::vector<Endpoint> usable;
  for (const auto& e : candidates) {
    if (!e.is_ip()) continue;
    const bool v4 = e.address().is_v4();
    if (options.family == FamilyHint::v4 && !v4) continue;
    if (options.family == FamilyHint::v6 && v4) continue;
    usable.push_back(e);
  }
  if (usable.empty()) return fail(Errc::no_addresses);
  if (options.happy_eyeballs) usable = interleave(std::move(usable));
  auto fd = Race(options).run(usable);
  if (!fd) return fail(fd.error());
  return TcpStream(std::move(*fd));
}

Result<TcpStream> TcpStream::connect(std::string_view host, std::string_view service,
                                     const ConnectOptions& options) {
  ResolveOptions resolve_options;
  resolve_options.family = options.family;
  resolve_options.transport = Transport::tcp;
  resolve_options.deadline = options.deadline;
  auto endpoints = resolve(host, service, resolve_options);
  if (!endpoints) return fail(endpoints.error());
  return connect(std::span<const Endpoint>(*endpoints), options);
}

}  // namespace sockit
