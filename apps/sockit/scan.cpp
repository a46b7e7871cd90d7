// sockit scan HOST PORTS: a concurrent connect scan. TCP: non-blocking connects watched with
// poll(), at most --concurrency at once, each with its own timeout. UDP (-u): a connected socket
// per port sends one empty datagram; ICMP port-unreachable (ECONNREFUSED) means closed, a reply
// means open, silence means open|filtered (UDP cannot tell those apart).
#include <poll.h>
#include <sys/socket.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

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
  int concurrency = 100;
  double timeout_s = 1.0;
  FamilyFlags family;
};

struct Probe {
  std::uint16_t port = 0;
  UniqueFd tcp;                  // a connect in progress, or
  std::optional<UdpSocket> udp;  // a connected UDP socket that has sent its probe
  Deadline deadline;
  int fd() const { return udp ? udp->fd() : tcp.get(); }
};

/// What one probe found out, from its socket's error (empty: connected / answered).
std::string_view verdict(std::error_code ec, bool udp) {
  if (!ec) return "open";
  if (is_refused(ec)) return "closed";
  if (is_timeout(ec)) return udp ? "open|filtered" : "filtered";
  return "filtered";
}

class Scanner {
 public:
  Scanner(const ScanArgs& args, const Endpoint& target) : args_(args), target_(target) {}

  /// Runs every probe; returns port -> state.
  Result<std::map<std::uint16_t, std::string>> run(const PortList& ports) {
    auto next = ports.begin();
    const auto cap = static_cast<std::size_t>(std::max(1, args_.concurrency));
    while (next != ports.end() || !active_.empty()) {
      while (next != ports.end() && active_.size() < cap) {
        if (auto st = start(*next++); !st) return fail(st.error());
      }
      if (auto st = wait_round(); !st) return fail(st.error());
    }
    return std::move(states_);
  }

 private:
  Status start(std::uint16_t port) {
    Probe probe{port, UniqueFd(), std::nullopt, Deadline::after(to_millis(args_.timeout_s))};
    const Endpoint to(target_.address(), port);
    auto started = args_.udp ? start_udp(to, probe) : start_tcp(to, probe);
    if (!started) {
      // Out of descriptors or memory is the scan's problem, not the port's.
      const std::error_code ec = started.error();
      if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system ||
          ec == std::errc::no_buffer_space || ec == std::errc::not_enough_memory) {
        return fail(ec);
      }
      states_[port] = verdict(ec, args_.udp);
    } else if (*started) {
      states_[port] = "open";
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

  // One poll() over every probe in flight, then settle those that answered or timed out.
  Status wait_round() {
    std::vector<pollfd> fds;
    Deadline soonest = Deadline::never();
    for (const auto& p : active_) {
      fds.push_back({p.fd(), static_cast<short>(args_.udp ? POLLIN : POLLOUT), 0});
      soonest = earliest(soonest, p.deadline);
    }
    const int rc = ::poll(fds.data(), fds.size(), soonest.poll_timeout_ms());
    if (rc < 0 && errno != EINTR) return fail(sys_error());
    std::vector<Probe> still;
    for (std::size_t i = 0; i < active_.size(); ++i) {
      Probe& p = active_[i];
      if (rc > 0 && fds[i].revents != 0) {
        states_[p.port] = verdict(outcome(p), args_.udp);
      } else if (p.deadline.expired()) {
        states_[p.port] = verdict(std::make_error_code(std::errc::timed_out), args_.udp);
      } else {
        still.push_back(std::move(p));
      }
    }
    active_ = std::move(still);
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
  Endpoint target_;
  std::vector<Probe> active_;
  std::map<std::uint16_t, std::string> states_;
};

int run_scan(const ScanArgs& args) {
  std::string why;
  auto ports = PortList::parse(args.ports_text, &why);
  if (!ports) return usage_error(fmt::format("{}: {}", args.ports_text, why));
  ResolveOptions options;
  options.family = args.family.hint();
  options.transport = args.udp ? Transport::udp : Transport::tcp;
  options.deadline = Deadline::after(Millis(10000));
  auto endpoints = resolve(args.host, "", options);
  if (!endpoints) return report_error(endpoints.error(), "cannot resolve " + args.host);
  const Endpoint& target = endpoints->front();

  const auto start = Clock::now();
  auto states = Scanner(args, target).run(*ports);
  if (!states) return report_error(states.error(), "cannot scan " + args.host);
  const auto elapsed = Clock::now() - start;
  const std::string proto = args.udp ? "udp" : "tcp";
  if (args.json) {
    nlohmann::json doc{{"host", args.host},
                       {"address", target.address().to_string()},
                       {"protocol", proto},
                       {"elapsed_ms", std::chrono::duration<double, std::milli>(elapsed).count()},
                       {"ports", nlohmann::json::array()}};
    for (const auto& [port, state] : *states)
      doc["ports"].push_back({{"port", port}, {"state", state}});
    print_json(doc);
    return kExitOk;
  }
  std::string text;
  std::map<std::string, int> counts;
  for (const auto& [port, state] : *states) {
    ++counts[state];
    if (args.verbose || state == "open") text += fmt::format("{}/{} {}\n", port, proto, state);
  }
  print(text);
  if (args.verbose) {
    std::string summary;
    for (const auto& [state, n] : counts)
      summary += fmt::format(", {} {}", n, state);
    note(fmt::format("scanned {} {} port{} on {} in {}{}", ports->size(), proto,
                     ports->size() == 1 ? "" : "s", target.address().to_string(),
                     format_duration(elapsed), summary));
  }
  return kExitOk;
}

}  // namespace

void add_scan_command(CLI::App& app) {
  auto args = std::make_shared<ScanArgs>();
  CLI::App* cmd = app.add_subcommand("scan", "Find open TCP (or UDP) ports on a host");
  cmd->add_option("host", args->host, "Host name or address")->required();
  cmd->add_option("ports", args->ports_text, "Ports: 22,80,8000-8100")->required();
  cmd->add_flag("-u,--udp", args->udp,
                "Probe UDP: closed = ICMP port unreachable, else open|filtered");
  cmd->add_flag("-z", args->zero_io, "Accepted for netcat habits (a scan never sends data)");
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
      "filtered (no answer in time), open|filtered (UDP: silence).\n\n"
      "Examples:\n"
      "  sockit scan 127.0.0.1 22,80,443\n"
      "  sockit scan -v localhost 8000-8100\n"
      "  sockit scan -u 127.0.0.1 53,123 -w 2\n"
      "  sockit scan --json 127.0.0.1 1-1024");
  cmd->callback([args] { finish(run_scan(*args)); });
}

}  // namespace sockit::cli
