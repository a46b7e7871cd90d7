// sockit::bench::run: splits the work across load threads, opens the connections, lines the
// threads up on a barrier so that they share one clock origin, runs the mode loop, merges.
#include <sys/socket.h>

#include <algorithm>
#include <barrier>
#include <thread>

#include "internal.hpp"

namespace sockit::bench {
namespace detail {
namespace {

std::uint64_t to_ns(std::chrono::nanoseconds d) {
  return d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0;
}

// Even shares: the first (total % parts) threads take one more.
int share(int total, int parts, int index) {
  return total / parts + (index < total % parts ? 1 : 0);
}

std::vector<std::unique_ptr<Slot>> plan(const Options& o) {
  std::vector<std::unique_ptr<Slot>> slots;
  std::uint32_t next_id = 0;
  for (int t = 0; t < o.threads; ++t) {
    auto s = std::make_unique<Slot>();
    s->index = t;
    s->conns = share(o.conns, o.threads, t);
    s->idle = share(o.idle, o.threads, t);
    s->first_id = next_id;
    next_id += static_cast<std::uint32_t>(s->conns);
    // The request count is split in proportion to the connections.
    s->quota =
        o.requests * static_cast<std::uint64_t>(s->conns) / static_cast<std::uint64_t>(o.conns);
    if (t == 0) {
      std::uint64_t rest = o.requests;
      for (int u = 1; u < o.threads; ++u) {
        rest -= o.requests * static_cast<std::uint64_t>(share(o.conns, o.threads, u)) /
                static_cast<std::uint64_t>(o.conns);
      }
      s->quota = rest;
    }
    s->rate = o.rate * static_cast<double>(s->conns) / static_cast<double>(o.conns);
    slots.push_back(std::move(s));
  }
  return slots;
}

template <class Barrier>
void thread_main(Shared& shared, Slot& slot, std::span<Slot* const> all, Barrier& barrier,
                 const ProgressFn* progress) {
  const Options& o = *shared.options;
  const int type = o.mode == Mode::udp ? SOCK_DGRAM : SOCK_STREAM;
  const std::uint64_t deadline = now_ns() + to_ns(o.connect_timeout);
  slot.fds = open_connections(o.target, type, slot.conns, deadline, slot.report.errors,
                              slot.connect_error);
  if (slot.idle > 0) {
    slot.idle_fds = open_connections(o.target, type, slot.idle, deadline, slot.report.errors,
                                     slot.connect_error);
  }
  if (o.tls) {
    handshake_all(o, slot.fds, slot.links, &slot.tls_scratch, deadline, slot.report.errors,
                  slot.connect_error);
  }
  slot.report.connected = static_cast<int>(slot.fds.size());
  slot.report.idle_connected = static_cast<int>(slot.idle_fds.size());
  auto poller = Poller::create();
  if (!poller) slot.fatal = poller.error();
  barrier.arrive_and_wait();  // the completion step sets start/measure/end for everyone
  if (!poller || slot.fds.empty() || shared.abort.load()) return;
  Ticker ticker(shared, slot, all, progress);
  switch (o.mode) {
    case Mode::echo:
      run_echo(shared, slot, **poller, ticker);
      break;
    case Mode::bulk:
      run_bulk(shared, slot, **poller, ticker);
      break;
    case Mode::udp:
      run_udp(shared, slot, **poller, ticker);
      break;
  }
}

Report merge(const Shared& shared, std::span<Slot* const> all) {
  Report r;
  std::uint64_t first = 0, last = 0;
  for (const Slot* s : all) {
    const Report& p = s->report;
    r.requests += p.requests;
    r.responses += p.responses;
    r.responses_verified += p.responses_verified;
    r.late += p.late;
    r.bytes_sent += p.bytes_sent;
    r.bytes_received += p.bytes_received;
    r.connected += p.connected;
    r.idle_connected += p.idle_connected;
    r.errors.add(p.errors);
    r.latency_ns->merge(*p.latency_ns);
    if (s->first_ns != 0) first = first == 0 ? s->first_ns : std::min(first, s->first_ns);
    last = std::max(last, s->last_ns);
  }
  // Duration runs are measured over the planned window; count runs from the first measured
  // send to the last answer.
  double seconds = 0;
  if (shared.end_ns != 0) {
    seconds = static_cast<double>(shared.end_ns - shared.measure_ns) / 1e9;
    // Answers drained after the window still belong to requests sent in it: stretch the window
    // to the last answer so that the rate never counts them for free.
    if (last > shared.end_ns) seconds = static_cast<double>(last - shared.measure_ns) / 1e9;
  } else if (last > first) {
    seconds = static_cast<double>(last - first) / 1e9;
  }
  r.seconds = seconds;
  if (seconds > 0) {
    r.requests_per_sec = static_cast<double>(r.responses) / seconds;
    r.bytes_per_sec = static_cast<double>(r.bytes_received) / seconds;
  }
  return r;
}

}  // namespace
}  // namespace detail

Result<Report> run(const Options& options, const ProgressFn& on_progress) {
  using namespace detail;
  if (!validate(options).empty()) return fail(std::make_error_code(std::errc::invalid_argument));
  Shared shared;
  shared.options = &options;
  shared.wire = Wire::make(options);
  auto owned = plan(options);
  std::vector<Slot*> all;
  for (auto& s : owned)
    all.push_back(s.get());

  auto on_all_connected = [&]() noexcept {
    int up = 0;
    for (const Slot* s : all)
      up += static_cast<int>(s->fds.size());
    if (up == 0) shared.abort.store(true);
    shared.start_ns = now_ns();
    shared.measure_ns = shared.start_ns + to_ns(options.warmup);
    shared.end_ns = options.requests == 0 ? shared.measure_ns + to_ns(options.duration) : 0;
  };
  std::barrier barrier(static_cast<std::ptrdiff_t>(all.size()), on_all_connected);
  const ProgressFn* progress = on_progress ? &on_progress : nullptr;
  std::vector<std::jthread> helpers;
  for (std::size_t t = 1; t < all.size(); ++t) {
    helpers.emplace_back([&, t] { thread_main(shared, *all[t], all, barrier, nullptr); });
  }
  thread_main(shared, *all[0], all, barrier, progress);
  helpers.clear();  // joins

  for (const Slot* s : all) {
    if (s->fatal) return fail(s->fatal);
  }
  Report report = merge(shared, all);
  if (report.connected == 0) {
    for (const Slot* s : all) {
      if (s->connect_error) return fail(s->connect_error);
    }
    return fail(std::make_error_code(std::errc::connection_refused));
  }
  // UDP "connects" always succeed; a port nobody listens on shows as ICMP port unreachable on
  // the sockets. With not one answer, that is the run's outcome, as for a refused TCP connect.
  if (options.mode == Mode::udp && report.responses == 0 && report.late == 0) {
    for (const Slot* s : all) {
      if (s->connect_error == std::errc::connection_refused) return fail(s->connect_error);
    }
  }
  return report;
}

}  // namespace sockit::bench
