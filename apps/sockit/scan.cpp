// sockit scan HOST PORTS: a concurrent connect scan. TCP: non-blocking connects watched with
// poll(), at most --concurrency at once, each with its own timeout. UDP (-u): a connected socket
// per port sends one empty datagram; ICMP port-unreachable (ECONNREFUSED) means closed, a reply
// means open, silence means open|filtered (UDP cannot tell those apart).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "arguments.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "options.hpp"
#include "output.hpp"
#include "sockit/net/resolver.hpp"
#include "sockit/stream/udp.hpp"
#include "sockit/sys/socket.hpp"
#include "sockit/tools/port_list.hpp"

namespace sockit::cli {
namespace {

struct ScanArgs {
  std::string host;
  std::string ports_text;
  bool udp = false;
  bool verbose = false;
  bool json = false;
  bool zero_io = false;
  bool no_dns = false;
  int concurrency = 100;
  double timeout_s = 1.0;
  FamilyFlags family;
};

// nc -z's convention, so that `sockit scan HOST PORT && echo up` works.
constexpr int kExitNothingOpen = 1;
// A scan that lasts longer than this shows a progress line (on a terminal only).
constexpr Millis kProgressAfter{1000};
constexpr Millis kProgressEvery{250};

struct Probe {
  std::size_t address = 0;  // index into the scanned addresses
  std::uint16_t port = 0;
  UniqueFd tcp;                  // a connect in progress, or
  std::optional<UdpSocket> udp;  // a connected UDP socket that has sent its probe
  Deadline deadline;
  int fd() const { return udp ? udp->fd() : tcp.get(); }
};

struct PortState {
  std::size_t address = 0;
  std::uint16_t port = 0;
  std::string state;
};

/// What one probe found out, from its socket's error (empty: connected / answered).
std::string_view verdict(std::error_code ec, bool udp) {
  if (!ec) return "open";
  if (is_refused(ec)) return "closed";
  if (is_timeout(ec)) return udp ? "open|filtered" : "filtered";
  return "filtered";
}

/// Gets each result as soon as it is known: prints it at once (text output), keeps it for the
/// JSON document and the summary, and keeps a progress line on stderr when that is a terminal.
class Results {
 public:
  Results(const ScanArgs& args, const std::vector<IpAddress>& addresses, std::size_t total)
      : args_(args), addresses_(addresses), total_(total), live_(::isatty(STDERR_FILENO) == 1) {}

  void add(PortState s) {
    if (s.state == "open") ++open_;
    if (!args_.json && (args_.verbose || s.state == "open")) {
      clear_progress();
      // With several addresses each line names its address; the first two columns stay the
      // same either way, so `cut -d' ' -f1` keeps working.
      const std::string where =
          addresses_.size() > 1 ? " " + addresses_[s.address].to_string() : std::string();
      print(fmt::format("{}/{} {}{}\n", s.port, proto(), s.state, where));
    }
    all_.push_back(std::move(s));
  }

  /// Redraws the progress line when due (a terminal, a scan past kProgressAfter).
  void tick() {
    if (!live_) return;
    const auto now = Clock::now();
    if (now - start_ < kProgressAfter || now < next_draw_) return;
    next_draw_ = now + kProgressEvery;
    std::string line =
        fmt::format("\rsockit: scanned {} of {}, {} open ", all_.size(), total_, open_);
    if (drawn_ && line == last_line_) return;  // nothing new to say
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    last_line_ = std::move(line);
    drawn_ = true;
  }

  void clear_progress() {
    if (!drawn_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
  }

  std::string_view proto() const { return args_.udp ? "udp" : "tcp"; }
  std::size_t open() const { return open_; }
  std::vector<PortState>& all() { return all_; }
  Clock::duration elapsed() const { return Clock::now() - start_; }

 private:
  const ScanArgs& args_;
  const std::vector<IpAddress>& addresses_;
  std::size_t total_;
  bool live_;
  bool drawn_ = false;
  std::string last_line_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point next_draw_{};
  std::size_t open_ = 0;
  std::vector<PortState> all_;
};

class Scanner {
 public:
  Scanner(const ScanArgs& args, const std::vector<IpAddress>& addresses, Results& results)
      : args_(args), addresses_(addresses), results_(results) {}

  /// Probes every port on every address, port by port (so that one port's lines come
  /// together), at most --concurrency at once.
  Status run(const std::vector<std::uint16_t>& ports) {
    const std::size_t total = ports.size() * addresses_.size();
    const auto cap = static_cast<std::size_t>(std::max(1, args_.concurrency));
    std::size_t next = 0;
    while (next < total || !active_.empty()) {
      while (next < total && active_.size() < cap) {
        const std::size_t addr = next % addresses_.size();
        const std::uint16_t port = ports[next / addresses_.size()];
        ++next;
        if (auto st = start(addr, port); !st) return st;
      }
      if (auto st = wait_round(); !st) return st;
      results_.tick();
    }
    return {};
  }

 private:
  Status start(std::size_t addr, std::uint16_t port) {
    Probe probe{addr, port, UniqueFd(), std::nullopt, Deadline::after(to_millis(args_.timeout_s))};
    const Endpoint to(addresses_[addr], port);
    auto started = args_.udp ? start_udp(to, probe) : start_tcp(to, probe);
    if (!started) {
      // Out of descriptors or memory is the scan's problem, not the port's.
      const std::error_code ec = started.error();
      if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system ||
          ec == std::errc::no_buffer_space || ec == std::errc::not_enough_memory) {
        return fail(ec);
      }
      results_.add({addr, port, std::string(verdict(ec, args_.udp))});
    } else if (*started) {
      results_.add({addr, port, "open"});
    } else {
      active_.push_back(std::move(probe));
    }
    return {};
  }

  /// true: connected at once; false: in progress.
  static Result<bool> start_tcp(const Endpoint& to, Probe& probe) {
    auto fd = open_socket(to.domain(), SOCK_STREAM);
    if (!fd) return fail(fd.error());
    auto sa = to.to_sockaddr();
    if (!sa) return fail(sa.error());
    probe.tcp = std::move(*fd);
    return start_connect(probe.tcp.get(), *sa);
  }

  // An empty datagram is the conventional probe: no service is sent a request it may act on.
  static Result<bool> start_udp(const Endpoint& to, Probe& probe) {
    auto sock = UdpSocket::open(to.address().family());
    if (!sock) return fail(sock.error());
    if (auto st = sock->connect(to); !st) return fail(st.error());
    if (auto sent = sock->send({}); !sent) return fail(sent.error());
    probe.udp = std::move(*sock);
    return false;
  }

  // One poll() over every probe in flight (woken in time for the progress line), then settle
  // those that answered or timed out, in port order.
  Status wait_round() {
    std::vector<pollfd> fds;
    Deadline soonest = Deadline::after(kProgressEvery);
    for (const auto& p : active_) {
      fds.push_back({p.fd(), static_cast<short>(args_.udp ? POLLIN : POLLOUT), 0});
      soonest = earliest(soonest, p.deadline);
    }
    const int rc = ::poll(fds.data(), fds.size(), soonest.poll_timeout_ms());
    if (rc < 0 && errno != EINTR) return fail(sys_error());
    std::vector<Probe> still;
    std::vector<PortState> settled;
    for (std::size_t i = 0; i < active_.size(); ++i) {
      Probe& p = active_[i];
      if (rc > 0 && fds[i].revents != 0) {
        settled.push_back({p.address, p.port, std::string(verdict(outcome(p), args_.udp))});
      } else if (p.deadline.expired()) {
        const auto ec = std::make_error_code(std::errc::timed_out);
        settled.push_back({p.address, p.port, std::string(verdict(ec, args_.udp))});
      } else {
        still.push_back(std::move(p));
      }
    }
    active_ = std::move(still);
    std::ranges::sort(settled, {}, [](const PortState& s) { return std::pair(s.port, s.address); });
    for (auto& s : settled)
      results_.add(std::move(s));
    return {};
  }

  static std::error_code outcome(Probe& p) {
    if (p.udp) {
      std::byte reply[512];
      auto got = p.udp->recv(reply, Deadline::after(Millis(0)));
      return got ? std::error_code{} : got.error();
    }
    auto pending = pending_error(p.tcp.get());
    return pending ? *pending : pending.error();
  }

  const ScanArgs& args_;
  const std::vector<IpAddress>& addresses_;
  Results& results_;
  std::vector<Probe> active_;
};

std::string address_list(const std::vector<IpAddress>& addresses) {
  std::string text;
  for (const auto& a : addresses)
    text += (text.empty() ? "" : ", ") + a.to_string();
  return text;
}

void print_scan_json(const ScanArgs& args, const std::vector<IpAddress>& addresses,
                     Results& results) {
  auto& all = results.all();
  std::ranges::sort(all, {}, [](const PortState& s) { return std::pair(s.port, s.address); });
  nlohmann::json doc{
      {"host", args.host},
      {"addresses", nlohmann::json::array()},
      {"protocol", results.proto()},
      {"elapsed_ms", std::chrono::duration<double, std::milli>(results.elapsed()).count()},
      {"ports", nlohmann::json::array()}};
  for (const auto& a : addresses)
    doc["addresses"].push_back(a.to_string());
  for (const auto& s : all) {
    doc["ports"].push_back(
        {{"address", addresses[s.address].to_string()}, {"port", s.port}, {"state", s.state}});
  }
  print_json(doc);
}

void print_summary(const std::vector<IpAddress>& addresses, std::size_t port_count,
                   Results& results) {
  std::map<std::string, int> counts;
  for (const auto& s : results.all())
    ++counts[s.state];
  std::string summary;
  for (const auto& [state, n] : counts)
    summary += fmt::format(", {} {}", n, state);
  note(fmt::format("scanned {} {} port{} on {} in {}{}", port_count, results.proto(),
                   port_count == 1 ? "" : "s", address_list(addresses),
                   format_duration(results.elapsed()), summary));
}

int run_scan(const ScanArgs& args) {
  if (auto why = host_problem(args.host); !why.empty()) return usage_error(why);
  if (args.no_dns) {
    if (auto why = numeric_host_problem(args.host); !why.empty()) return usage_error(why);
  }
  std::string why;
  auto ports = PortList::parse(args.ports_text, &why);
  if (!ports) return usage_error(fmt::format("{}: {}", show_arg(args.ports_text), why));
  ResolveOptions options;
  options.family = args.family.hint();
  options.transport = args.udp ? Transport::udp : Transport::tcp;
  options.deadline = Deadline::after(Millis(10000));
  auto endpoints = resolve(args.host, "", options);
  if (!endpoints) return report_error(endpoints.error(), "cannot resolve " + show_arg(args.host));
  // Every address the name has: a service may listen on only one of them (localhost).
  std::vector<IpAddress> addresses;
  for (const auto& ep : *endpoints)
    addresses.push_back(ep.address());
  const std::vector<std::uint16_t> port_vec(ports->begin(), ports->end());

  Results results(args, addresses, port_vec.size() * addresses.size());
  const Status done = Scanner(args, addresses, results).run(port_vec);
  results.clear_progress();
  if (!done) return report_error(done.error(), "cannot scan " + show_arg(args.host));
  if (args.json) print_scan_json(args, addresses, results);
  if (args.verbose && !args.json) print_summary(addresses, port_vec.size(), results);
  return results.open() > 0 ? kExitOk : kExitNothingOpen;
}

}  // namespace

void add_scan_command(CLI::App& app) {
  auto args = std::make_shared<ScanArgs>();
  CLI::App* cmd = app.add_subcommand("scan", "Find open TCP (or UDP) ports on a host");
  take_positionals(
      *cmd, {"HOST PORTS", 2, 2, {{"HOST", "Host name or address"}, {"PORTS", "22,80,8000-8100"}}},
      {&args->host, &args->ports_text});
  cmd->add_flag("-u,--udp", args->udp,
                "Probe UDP: closed = ICMP port unreachable, else open|filtered");
  cmd->add_flag("-z", args->zero_io, "Accepted for netcat habits (a scan never sends data)");
  cmd->add_flag("-n,--nodns", args->no_dns, "HOST must be a numeric address: never ask DNS");
  cmd->add_option("-c,--concurrency", args->concurrency, "Probes in flight at once")
      ->default_val(100)
      ->check(count_check(1, 10000));
  cmd->add_option("-w,--timeout", args->timeout_s, "Seconds to wait for each port")
      ->default_val(1.0)
      ->check(seconds_check(false));
  args->family.add_to(*cmd);
  cmd->add_flag("-v,--verbose", args->verbose, "List every port with its state, and a summary");
  cmd->add_flag("--json", args->json, "Print every port's state as JSON");
  cmd->footer(
      "States: open (accepted / answered), closed (refused / ICMP port unreachable),\n"
      "filtered (no answer in time), open|filtered (UDP: silence).\n"
      "Every address of HOST is scanned (localhost: ::1 and 127.0.0.1); each line is printed\n"
      "as soon as it is known. Exit status 0 if any port is open, 1 if none is (nc -z).\n\n"
      "Examples:\n"
      "  sockit scan 127.0.0.1 22,80,443\n"
      "  sockit scan -v localhost 8000-8100\n"
      "  sockit scan -u 127.0.0.1 53,123 -w 2\n"
      "  sockit scan --json 127.0.0.1 1-1024");
  cmd->callback([args] {
    set_json_errors(args->json);
    finish(run_scan(*args));
  });
}

}  // namespace sockit::cli
