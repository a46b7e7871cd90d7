// sockit connect HOST PORT: a netcat-style client. Bridges stdin/stdout to a TCP, UDP or Unix
// socket; --check only connects and reports (the lecture's first program as a tool).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "arguments.hpp"
#include "bluetooth.hpp"
#include "bridge.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "options.hpp"
#include "output.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/stream/udp.hpp"
#include "sockit/stream/unix.hpp"
#include "sockit/sys/socket.hpp"
#include "source_connect.hpp"
#include "targets.hpp"
#include "tls_bridge.hpp"
#include "tls_options.hpp"

namespace sockit::cli {
namespace {

struct ConnectArgs {
  std::string host;
  std::string port_text;
  std::string unix_path;
  bool udp = false;
  bool verbose = false;
  bool check = false;
  bool json = false;
  bool no_dns = false;
  std::string source;  // -s ADDR
  double connect_timeout_s = 10.0;
  double idle_timeout_s = 0.0;
  FamilyFlags family;
  BridgeFlags bridge;
  TlsFlags tls;
};

/// An attempt's result in scan's words (open, closed, filtered): an attempt abandoned because
/// another address connected first had no answer in the time it had, which is what filtered
/// means.
std::string_view attempt_state(std::error_code ec) {
  if (!ec) return "open";
  return is_refused(ec) ? "closed" : "filtered";
}

/// What the connection attempts looked like, for -v and --check --json.
struct Attempts {
  bool verbose = false;
  nlohmann::json log = nlohmann::json::array();
  void record(const ConnectAttempt& a) {
    const double ms = std::chrono::duration<double, std::milli>(a.elapsed).count();
    const std::string outcome = !a.result ? "connected"
                                : a.result == Errc::cancelled
                                    ? "abandoned: another address connected first"
                                    : a.result.message();
    nlohmann::json entry{{"address", a.endpoint.address().to_string()},
                         {"port", a.endpoint.port()},
                         {"result", attempt_state(a.result)},
                         {"elapsed_ms", ms}};
    if (a.result) entry["error"] = outcome;
    log.push_back(std::move(entry));
    if (verbose) {
      std::fputs(fmt::format("sockit: {}: {} ({})\n", a.endpoint.to_string(), outcome,
                             format_duration(a.elapsed))
                     .c_str(),
                 stderr);
    }
  }
};

std::string target_text(const ConnectArgs& a) {
  return a.unix_path.empty() ? fmt::format("{} port {}", show_arg(a.host), a.port_text)
                             : show_arg(a.unix_path);
}

/// The connected socket, whichever kind -u / -U asked for.
using Conn = std::variant<TcpStream, UdpSocket, UnixStream>;

int conn_fd(const Conn& c) {
  return std::visit([](const auto& s) { return s.fd(); }, c);
}

Result<Conn> connect_tcp(const ConnectArgs& a, Deadline deadline, Attempts& attempts) {
  if (!a.source.empty()) {
    auto stream = connect_from(*IpAddress::parse(a.source), a.host, a.port_text, deadline,
                               [&attempts](const ConnectAttempt& at) { attempts.record(at); });
    if (!stream) return fail(stream.error());
    return Conn(std::move(*stream));
  }
  ConnectOptions options;
  options.family = a.family.hint();
  options.deadline = deadline;
  options.observer = [&attempts](const ConnectAttempt& at) { attempts.record(at); };
  auto stream = TcpStream::connect(a.host, a.port_text, options);
  if (!stream) return fail(stream.error());
  return Conn(std::move(*stream));
}

// Connected UDP: the kernel filters datagrams from other peers, and an ICMP port-unreachable
// for what we sent comes back as ECONNREFUSED on the next call. Of several addresses, the one
// ncat would use (targets.hpp).
Result<Conn> connect_udp(const ConnectArgs& a, Deadline deadline) {
  if (!a.source.empty()) {
    auto sock = udp_from(*IpAddress::parse(a.source), a.host, a.port_text, deadline);
    if (!sock) return fail(sock.error());
    return Conn(std::move(*sock));
  }
  auto target = datagram_target(a.host, a.port_text, a.family.hint(), deadline);
  if (!target) return fail(target.error());
  const Endpoint& to = *target;
  auto sock = UdpSocket::open(to.address().family());
  if (!sock) return fail(sock.error());
  if (auto st = sock->connect(to); !st) return fail(st.error());
  return Conn(std::move(*sock));
}

Result<Conn> connect_unix(const ConnectArgs& a, Deadline deadline) {
  auto stream = UnixStream::connect(UnixPath{a.unix_path}, deadline);
  if (!stream) return fail(stream.error());
  return Conn(std::move(*stream));
}

// -s ADDR: an IP address of this machine's kind of text (no name: the source is where this
// host sends from, not a lookup), with no port.
std::string source_problem(const ConnectArgs& a) {
  if (a.source.empty()) return {};
  std::string why;
  if (!IpAddress::parse(a.source, &why))
    return fmt::format("-s {}: {}", show_arg(a.source), why.empty() ? "not an IP address" : why);
  return {};
}

/// -z --ssl: the handshake after the connect, timed; its session or its error.
struct TlsCheck {
  std::optional<TlsSession> session;
  std::error_code error;
  double ms = 0;
  std::string verification;
};

TlsCheck check_tls(const ConnectArgs& a, const Conn& conn, const TlsClientContext& context,
                   Deadline deadline) {
  TlsCheck out;
  const auto start = Clock::now();
  const std::string name = a.tls.peer_name(a.host);
  auto session = start_tls_client(conn_fd(conn), context, name, deadline);
  out.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!session) {
    out.error = session.error();
    return out;
  }
  close_tls(conn_fd(conn), *session);
  out.verification = a.tls.verification(name);
  out.session = std::move(*session);
  return out;
}

int run_check(const ConnectArgs& a, const Result<Conn>& fd, const Attempts& attempts,
              Clock::duration elapsed, const TlsClientContext* tls, Deadline deadline) {
  const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  std::optional<Endpoint> peer;
  TlsCheck hs;
  if (fd) {
    if (auto ep = peer_endpoint(conn_fd(*fd)); ep && ep->is_ip()) peer = *ep;
    if (tls != nullptr) hs = check_tls(a, *fd, *tls, deadline);
  }
  const std::string tls_what = "TLS handshake with " + target_text(a);
  if (a.json) {
    nlohmann::json doc{{"connected", fd.has_value()}, {"elapsed_ms", ms}};
    if (a.unix_path.empty()) {
      doc["host"] = a.host;
      doc["port"] = std::stoi(a.port_text);
      doc["protocol"] = a.udp ? "udp" : "tcp";
    } else {
      doc["path"] = a.unix_path;
      doc["protocol"] = "unix";
    }
    if (peer) doc["address"] = peer->address().to_string();
    doc["attempts"] = attempts.log;
    if (hs.session) doc["tls"] = tls_summary_json(*hs.session, hs.verification, hs.ms);
    if (!fd) return report_error_in(doc, fd.error(), "cannot connect to " + target_text(a));
    if (hs.error) return report_error_in(doc, hs.error, tls_what);
    print_json(doc);
  }
  if (!fd) return report_error(fd.error(), "cannot connect to " + target_text(a));
  if (hs.error) return report_error(hs.error, tls_what);
  if (!a.json) {
    print(fmt::format("connected to {} ({}) in {}\n", target_text(a),
                      peer ? peer->to_string() : target_text(a), format_duration(elapsed)));
    if (hs.session) {
      for (const auto& line : tls_summary(*hs.session, hs.verification))
        print(line + "\n");
    }
  }
  return kExitOk;
}

// --ssl with the rest of the command line: a usage message, or "".
std::string tls_problem(const ConnectArgs& a, bool bluetooth) {
  if (auto why = a.tls.problem(); !why.empty()) return why;
  if (!a.tls.ssl) return {};
  if (bluetooth) return "--ssl is for TCP and Unix streams, not Bluetooth";
  if (a.udp) return "--ssl is for streams; -u cannot be combined with it (no DTLS)";
  if (!a.unix_path.empty() && a.tls.servername.empty() && a.tls.pin.empty() && !a.tls.insecure)
    return "--ssl over -U needs --ssl-servername NAME to verify, --pin-sha256 FP, or -k";
  return {};
}

// --ssl: the client context, made before anything connects (-k says so once). Returns a usage
// message when the options cannot work, else "".
std::string prepare_tls(const ConnectArgs& a, std::optional<TlsClientContext>& out) {
  if (!a.tls.ssl) return {};
  std::string why;
  auto context = a.tls.client_context(why);
  if (!context) return why;
  out = std::move(*context);
  if (a.tls.insecure)
    warn(
        "-k: the server's certificate and name are not checked; anyone on the path can read "
        "and change the data");
  return {};
}

// The TLS session over a connected stream: handshake under the connect deadline, -v summary,
// then the bridge.
int run_tls(const ConnectArgs& a, int fd, const TlsClientContext& context,
            const BridgeOptions& bridge, Deadline deadline) {
  const std::string name = a.tls.peer_name(a.host);
  auto session = start_tls_client(fd, context, name, deadline);
  if (!session) return report_error(session.error(), "TLS handshake with " + target_text(a));
  if (a.verbose) {
    for (const auto& line : tls_summary(*session, a.tls.verification(name)))
      note(line);
  }
  const Status done = bridge_tls(fd, *session, bridge);
  if (!done) return report_error(done.error(), "connection to " + target_text(a));
  return kExitOk;
}

int run_connect(const ConnectArgs& a) {
  const bool bluetooth = has_bluetooth_prefix(a.host);
  if (bluetooth) {
    const std::string why =
        bluetooth_conflicts(a.host, !a.port_text.empty(), a.udp, !a.unix_path.empty(),
                            a.family.v4 || a.family.v6, a.json);
    if (!why.empty()) return usage_error(why);
  } else if (a.unix_path.empty()) {
    if (a.host.empty() || a.port_text.empty())
      return usage_error("connect needs HOST and PORT (or -U PATH)");
    if (auto why = host_problem(a.host); !why.empty()) return usage_error(why);
    if (auto why = port_problem(a.port_text, PortUse::connect); !why.empty())
      return usage_error(why);
    if (a.no_dns) {
      if (auto why = numeric_host_problem(a.host); !why.empty()) return usage_error(why);
    }
    if (auto why = source_problem(a); !why.empty()) return usage_error(why);
  } else if (!a.host.empty()) {
    return usage_error("-U PATH takes no HOST or PORT");
  } else if (a.udp) {
    return usage_error("-U connects to Unix stream sockets; -u cannot be combined with it");
  } else if (!a.source.empty()) {
    return usage_error("-s sets an IP source address; a Unix socket has none");
  }
  if (auto why = tls_problem(a, bluetooth); !why.empty()) return usage_error(why);
  auto bridge = a.bridge.options(a.udp);
  if (!bridge) return usage_error(bridge.error());
  bridge->idle = to_millis(a.idle_timeout_s);
  bridge->verbose = a.verbose;
  std::optional<TlsClientContext> tls;
  if (auto why = prepare_tls(a, tls); !why.empty()) return usage_error(why);
  Attempts attempts;
  attempts.verbose = a.verbose;
  const Deadline deadline = Deadline::after_or_never(to_millis(a.connect_timeout_s));
  if (bluetooth) return connect_bluetooth(a.host, *bridge, deadline, a.check, a.verbose);
  const auto start = Clock::now();
  Result<Conn> fd = !a.unix_path.empty() ? connect_unix(a, deadline)
                    : a.udp              ? connect_udp(a, deadline)
                                         : connect_tcp(a, deadline, attempts);
  if (a.check)
    return run_check(a, fd, attempts, Clock::now() - start, tls ? &*tls : nullptr, deadline);
  if (!fd) return report_error(fd.error(), "cannot connect to " + target_text(a));
  if (a.verbose) {
    auto peer = peer_endpoint(conn_fd(*fd));
    note(fmt::format("connected to {}", peer ? peer->to_string() : target_text(a)));
  }
  if (tls) return run_tls(a, conn_fd(*fd), *tls, *bridge, deadline);
  const Status done = a.udp && a.unix_path.empty()
                          ? bridge_datagram(std::get<UdpSocket>(*fd), true, *bridge)
                          : bridge_stream(conn_fd(*fd), *bridge);
  if (!done) return report_error(done.error(), "connection to " + target_text(a));
  return kExitOk;
}

}  // namespace

void add_connect_command(CLI::App& app) {
  auto args = std::make_shared<ConnectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "connect", "Connect to HOST PORT and bridge stdin/stdout to the socket (like nc/ncat)");
  take_positionals(*cmd,
                   {"HOST PORT", 0, 2, {{"HOST", "Host name or address"}, {"PORT", "1 to 65535"}}},
                   {&args->host, &args->port_text});
  cmd->add_flag("-u,--udp", args->udp, "Use UDP (keeps listening for replies after stdin ends)");
  cmd->add_option("-U,--unixsock", args->unix_path,
                  "Connect to a Unix socket at PATH ('@name': abstract)")
      ->check(unix_path_check());
  cmd->add_option("-w,--connect-timeout", args->connect_timeout_s,
                  "Seconds to wait for the connection and a TLS handshake (0 = no limit)")
      ->default_val(10.0)
      ->check(seconds_check());
  cmd->add_option("-i,--idle-timeout", args->idle_timeout_s,
                  "Give up after this many seconds without traffic (0 = never)")
      ->check(seconds_check());
  args->family.add_to(*cmd);
  cmd->add_flag("-n,--nodns", args->no_dns, "HOST must be a numeric address: never ask DNS");
  cmd->add_option("-s,--source", args->source,
                  "Connect from this local IP address (only HOST's addresses of its family)");
  cmd->add_flag(
      "-v,--verbose", args->verbose,
      "Show each address tried and its outcome (with --ssl: the session and certificate)");
  auto* check = cmd->add_flag("-z,--check", args->check, "Only connect, report and exit (no data)");
  cmd->add_flag("--json", args->json, "With --check: print the result as JSON")->needs(check);
  args->bridge.add_to(*cmd);
  args->tls.add_to_connect(*cmd);
  cmd->footer(
      "Examples:\n"
      "  sockit connect example.com 80            type a request, see the answer\n"
      "  printf 'GET / HTTP/1.0\\r\\n\\r\\n' | sockit connect example.com 80\n"
      "  sockit connect --check -v localhost 22   which addresses answer\n"
      "  sockit connect -u 127.0.0.1 12345 -i 2   UDP; wait 2 s for replies after EOF\n"
      "  sockit connect -U /run/app.sock\n"
      "  sockit connect bt:00:1A:7D:DA:71:13/1       Bluetooth RFCOMM, channel 1\n"
      "  sockit connect --trace 127.0.0.1 8000 < big.bin   see every partial send/recv\n"
      "  sockit connect --frame len32 127.0.0.1 9000      lines in, 4-byte-length frames out\n"
      "  sockit connect --ssl example.com 443           TLS, verified against the system CAs\n"
      "  sockit connect --ssl --cacert ca.pem host 4433 TLS with a private CA\n"
      "  sockit connect -z -v --ssl example.com 443     handshake, show the certificate, exit");
  cmd->callback([args] {
    set_json_errors(args->json);
    finish(run_connect(*args));
  });
}

}  // namespace sockit::cli
