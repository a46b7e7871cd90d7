// sockit bench tcp|udp HOST PORT: the load generator (sockit/bench.hpp does the work; this file
// parses options, shows progress on a terminal and prints the result as text or JSON).
#include <sys/resource.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "arguments.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "options.hpp"
#include "output.hpp"
#include "sockit/net/resolver.hpp"
#include "sockit/tools/bench.hpp"
#include "targets.hpp"
#include "tls_options.hpp"

namespace sockit::cli {
namespace {

// Upper bounds of the numeric options, so that a typo is refused rather than run. --size
// matches bench::validate() (which narrows it further for UDP).
constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 20;
constexpr std::uint64_t kMaxRequests = 1'000'000'000'000;
constexpr double kMaxRate = 1e9;

struct BenchArgs {
  std::string transport = "tcp";
  std::string host;
  std::string port;
  bench::Options options;
  double duration_s = 10, warmup_s = 0, connect_timeout_s = 10;
  bool no_verify = false, bulk = false, udp = false, json = false;
  TlsFlags tls;
};

// --ssl: the client context (same flags, checks and -k warning as `connect --ssl`). Returns a
// usage message when the options cannot work, else "".
std::string prepare_tls(BenchArgs& a) {
  if (auto why = a.tls.problem(); !why.empty()) return why;
  if (!a.tls.ssl) return {};
  if (a.transport == "udp" || a.udp) return "--ssl is for TCP; 'bench udp' has no TLS (no DTLS)";
  std::string why;
  auto context = a.tls.client_context(why);
  if (!context) return why;
  a.options.tls = std::make_shared<const TlsClientContext>(std::move(*context));
  a.options.tls_host = a.tls.peer_name(a.host);
  if (a.tls.insecure)
    warn(
        "-k: the server's certificate and name are not checked; anyone on the path can read "
        "and change the data");
  return {};
}

std::chrono::nanoseconds seconds_to_ns(double s) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(s * 1e9));
}

// "\r\n", "\t", "\\" and "\xHH" in --send / --expect, so that protocol bytes fit on a command line.
bool hex_byte(const char* two, unsigned& value) {
  auto [end, ec] = std::from_chars(two, two + 2, value, 16);
  return ec == std::errc{} && end == two + 2;
}

std::string unescape(const std::string& text) {
  std::string out;
  unsigned value = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char c = text[++i];
    if (c == 'r')
      out += '\r';
    else if (c == 'n')
      out += '\n';
    else if (c == 't')
      out += '\t';
    else if (c == 'x' && i + 2 < text.size() && hex_byte(text.data() + i + 1, value)) {
      out += static_cast<char>(value);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// Thousands of connections need more descriptors than the usual soft limit of 1024.
void raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

double us(std::uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

// This process's CPU seconds (user + system, all threads): shows whether the load generator
// itself was near a full core, i.e. whether it could have been the bottleneck.
double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto sec = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return sec(ru.ru_utime) + sec(ru.ru_stime);
}

struct LoadCost {
  double cpu_sec = 0;   // CPU the whole run took (connects and warmup included)
  double wall_sec = 0;  // wall time of the whole run
};

nlohmann::json errors_json(const bench::ErrorCounts& e) {
  return {{"total", e.total()},   {"connect", e.connect},   {"reset", e.reset},
          {"closed", e.closed},   {"mismatch", e.mismatch}, {"unexpected", e.unexpected},
          {"timeout", e.timeout}, {"lost", e.lost},         {"io", e.io}};
}

// Nanoseconds as fractional milliseconds: the one time unit of every --json document.
double ms(double ns) {
  return ns / 1e6;
}

void print_json_report(const BenchArgs& a, const Endpoint& target, const bench::Report& r,
                       const LoadCost& cost) {
  const Histogram& h = *r.latency_ns;
  const auto& o = a.options;
  nlohmann::json doc{{"host", a.host},
                     {"port", target.port()},
                     {"address", target.address().to_string()},
                     {"transport", o.mode == bench::Mode::udp ? "udp" : "tcp"},
                     {"mode", o.mode == bench::Mode::bulk  ? "bulk"
                              : o.mode == bench::Mode::udp ? "udp"
                                                           : "echo"},
                     {"loop", o.rate > 0 ? "open" : "closed"},
                     {"rate", o.rate},
                     {"conns", o.conns},
                     {"connected_count", r.connected},
                     {"idle", o.idle},
                     {"idle_connected_count", r.idle_connected},
                     {"threads", o.threads},
                     {"size", o.request.empty() ? o.size : o.request.size()},
                     {"pipeline", o.pipeline},
                     {"duration_ms", r.seconds * 1000.0},
                     {"requests", r.requests},
                     {"responses", r.responses},
                     {"responses_verified", r.responses_verified},
                     {"late", r.late},
                     {"errors", errors_json(r.errors)},
                     {"rps", r.requests_per_sec},
                     {"bytes_sent", r.bytes_sent},
                     {"bytes_received", r.bytes_received},
                     {"bytes_per_sec", r.bytes_per_sec},
                     {"mb_per_sec", r.bytes_per_sec / 1e6},
                     {"load_cpu_ms", cost.cpu_sec * 1000.0},
                     {"load_wall_ms", cost.wall_sec * 1000.0},
                     {"latency_ms",
                      {{"min", ms(static_cast<double>(h.min()))},
                       {"mean", ms(h.mean())},
                       {"p50", ms(static_cast<double>(h.percentile(50)))},
                       {"p90", ms(static_cast<double>(h.percentile(90)))},
                       {"p99", ms(static_cast<double>(h.percentile(99)))},
                       {"p99_9", ms(static_cast<double>(h.percentile(99.9)))},
                       {"max", ms(static_cast<double>(h.max()))}}}};
  print_json(doc);
}

void print_text_report(const BenchArgs& a, const bench::Report& r) {
  const Histogram& h = *r.latency_ns;
  std::string out = fmt::format("{} {}:{}  {} conns ({} up), {} idle, {} thread(s)\n",
                                a.options.mode == bench::Mode::udp ? "udp" : "tcp", a.host, a.port,
                                a.options.conns, r.connected, r.idle_connected, a.options.threads);
  out += fmt::format("  {:.2f} s: {} requests, {} responses ({} verified), {} errors\n", r.seconds,
                     r.requests, r.responses, r.responses_verified, r.errors.total());
  if (a.options.mode == bench::Mode::bulk) {
    out += fmt::format("  throughput: {:.1f} MB/s echoed\n", r.bytes_per_sec / 1e6);
  } else {
    out += fmt::format("  rate: {:.0f} req/s, {:.1f} MB/s received\n", r.requests_per_sec,
                       r.bytes_per_sec / 1e6);
    out += fmt::format(
        "  latency us: p50 {:.1f}  p90 {:.1f}  p99 {:.1f}  p99.9 {:.1f}  max {:.1f}  mean {:.1f}\n",
        us(h.percentile(50)), us(h.percentile(90)), us(h.percentile(99)), us(h.percentile(99.9)),
        us(h.max()), h.mean() / 1000.0);
  }
  const auto& e = r.errors;
  if (e.total() > 0 || r.late > 0) {
    out += fmt::format(
        "  errors: connect {} reset {} closed {} mismatch {} unexpected {} timeout {} lost {} io "
        "{} (late answers {})\n",
        e.connect, e.reset, e.closed, e.mismatch, e.unexpected, e.timeout, e.lost, e.io, r.late);
  }
  print(out);
}

void show_progress(const bench::Progress& p, bool bulk) {
  const std::string rate = bulk ? fmt::format("{:.1f} MB/s", p.current_rate / 1e6)
                                : fmt::format("{:.0f} req/s", p.current_rate);
  std::fprintf(stderr, "\r%6.1f s%s  %s  p99 %.1f us      ", p.elapsed_sec,
               p.warming_up ? " (warmup)" : "", rate.c_str(), us(p.p99_ns));
  std::fflush(stderr);
}

// The port as a number for the error's likely cause, or -1 for a service name.
int port_number(const std::string& text) {
  int port = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc{} && end == text.data() + text.size() ? port : -1;
}

int run_bench(BenchArgs& a) {
  auto& o = a.options;
  if (a.transport != "tcp" && a.transport != "udp")
    return usage_error("bench takes tcp or udp, not " + quote_arg(a.transport));
  if (auto why = host_problem(a.host); !why.empty()) return usage_error(why);
  if (auto why = port_problem(a.port, PortUse::connect); !why.empty()) return usage_error(why);
  // The transport is the first word; -u only repeats it, and must not contradict it.
  if (a.udp && a.transport == "tcp")
    return usage_error("-u is for UDP, but this line says 'bench tcp': use 'bench udp'");
  if (auto why = prepare_tls(a); !why.empty()) return usage_error(why);
  if (a.transport == "udp") o.mode = bench::Mode::udp;
  if (a.bulk) {
    if (o.mode == bench::Mode::udp) return usage_error("--bulk is a TCP mode");
    o.mode = bench::Mode::bulk;
  }
  if (o.mode == bench::Mode::bulk && o.size == 64) o.size = 256 * 1024;  // bulk default write
  o.verify = !a.no_verify;
  o.duration = o.requests > 0 ? std::chrono::nanoseconds{} : seconds_to_ns(a.duration_s);
  o.warmup = seconds_to_ns(a.warmup_s);
  o.connect_timeout = seconds_to_ns(a.connect_timeout_s);
  o.request = unescape(o.request);
  o.expect = unescape(o.expect);

  // Of several addresses (localhost), TCP uses the one a connect reaches, UDP the one ncat
  // would send to (targets.hpp).
  const Deadline deadline = Deadline::after(std::chrono::seconds(10));
  auto target = o.mode == bench::Mode::udp
                    ? datagram_target(a.host, a.port, FamilyHint::any, deadline)
                    : stream_target(a.host, a.port, FamilyHint::any, deadline);
  if (!target) {
    const bool dns = is_dns_error(target.error()) || target.error() == Errc::resolve_timed_out;
    return report_error(target.error(),
                        dns ? "cannot resolve " + show_arg(a.host)
                            : fmt::format("cannot bench {}:{}", show_arg(a.host), show_arg(a.port)),
                        dns ? -1 : port_number(a.port));
  }
  auto addr = target->to_sockaddr();
  if (!addr) return report_error(addr.error(), "cannot use " + target->to_string());
  o.target = *addr;
  if (auto why = bench::validate(o); !why.empty()) return usage_error(why);

  raise_fd_limit();
  const bool live = ::isatty(STDERR_FILENO) == 1;
  const bool bulk = o.mode == bench::Mode::bulk;
  bench::ProgressFn progress;
  if (live) progress = [bulk](const bench::Progress& p) { show_progress(p, bulk); };
  const double cpu0 = cpu_seconds();
  const auto wall0 = std::chrono::steady_clock::now();
  auto report = bench::run(o, progress);
  LoadCost cost{cpu_seconds() - cpu0,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count()};
  if (live) std::fputs("\r\033[K", stderr);
  if (!report) {
    if (&report.error().category() == &tls_category())  // no handshake succeeded
      return report_error(report.error(), fmt::format("TLS handshake with {}:{}", a.host, a.port));
    return report_error(report.error(), fmt::format("cannot bench {}:{}", a.host, a.port),
                        target->port());
  }
  if (a.json) {
    print_json_report(a, *target, *report, cost);
  } else {
    print_text_report(a, *report);
  }
  return report->errors.total() == 0 ? kExitOk : kExitNetwork;
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  auto& o = a->options;
  CLI::App* cmd = app.add_subcommand("bench", "Load-test an echo (or request/response) server");
  take_positionals(*cmd,
                   {"tcp|udp HOST PORT",
                    3,
                    3,
                    {{"tcp|udp", "The transport"},
                     {"HOST", "Server host name or address"},
                     {"PORT", "1 to 65535"}}},
                   {&a->transport, &a->host, &a->port});
  cmd->add_option("-c,--conns", o.conns, "Active connections")->default_val(1);
  cmd->add_option("-s,--size", o.size, "Request size in bytes (bulk: write size, default 262144)")
      ->default_val(64)
      ->check(count_check(1, kMaxSize));
  cmd->add_option("-p,--pipeline", o.pipeline, "Requests in flight per connection")->default_val(1);
  auto* dur = cmd->add_option("-d,--duration", a->duration_s, "Measured seconds")
                  ->default_val(10)
                  ->check(seconds_check(false));
  auto* req = cmd->add_option("-n,--requests", o.requests, "Measured requests in total")
                  ->check(count_check(1, kMaxRequests));
  dur->excludes(req);
  cmd->add_option("--warmup", a->warmup_s, "Seconds of unmeasured traffic first")
      ->default_val(0)
      ->check(seconds_check());
  cmd->add_option("-r,--rate", o.rate,
                  "Open loop: requests per second in total, latency from the intended send time")
      ->default_val(0)
      ->check(rate_check(kMaxRate));
  cmd->add_option("-t,--threads", o.threads, "Load threads (connections are split)")
      ->default_val(1);
  cmd->add_option("--idle", o.idle, "Extra connections opened and held silent")->default_val(0);
  cmd->add_option("--send", o.request, "Fixed request instead of echo (\\r \\n \\t \\xHH)");
  cmd->add_option("--expect", o.expect, "The reply --send must get, byte for byte");
  cmd->add_option("--connect-timeout", a->connect_timeout_s, "Seconds to open all connections")
      ->default_val(10)
      ->check(seconds_check(false));
  cmd->add_flag("--no-verify", a->no_verify, "Do not compare the echoed bytes");
  cmd->add_flag("--bulk", a->bulk, "Stream bytes and read the echo back; report MB/s");
  cmd->add_flag("-u,--udp", a->udp, "Same as 'bench udp' (a usage error after 'bench tcp')");
  cmd->add_flag("--json", a->json, "Print the result as JSON");
  a->tls.add_to_connect(*cmd);
  cmd->footer(
      "Examples:\n"
      "  sockit bench tcp 127.0.0.1 7000 --conns 50 --duration 5\n"
      "  sockit bench tcp 127.0.0.1 7000 --conns 1000 --pipeline 16 --json\n"
      "  sockit bench tcp 127.0.0.1 7000 --rate 20000 --conns 50 --duration 10\n"
      "  sockit bench tcp 127.0.0.1 7000 --bulk --duration 5\n"
      "  sockit bench udp 127.0.0.1 7000 --conns 4 --pipeline 8\n"
      "  sockit bench tcp localhost 7443 --ssl --cacert ca.pem --conns 50 --duration 5\n"
      "  sockit bench tcp 127.0.0.1 6379 --send 'PING\\r\\n' --expect '+PONG\\r\\n'\n"
      "Exit status 1 if any error was counted (the result is printed all the same).");
  cmd->callback([a] {
    set_json_errors(a->json);
    finish(run_bench(*a));
  });
}

}  // namespace sockit::cli
