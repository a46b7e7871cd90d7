// sockit listen [HOST] PORT: a netcat-style server. Accepts one client (-k: one after another)
// and bridges it to stdin/stdout; -u for UDP (replies go to the last sender), -U for Unix.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "arguments.hpp"
#include "bluetooth.hpp"
#include "bridge.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "options.hpp"
#include "output.hpp"
#include "sockit/net/resolver.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/stream/udp.hpp"
#include "sockit/stream/unix.hpp"
#include "sockit/sys/socket.hpp"
#include "targets.hpp"
#include "tls_bridge.hpp"
#include "tls_options.hpp"
#include "unix_paths.hpp"

namespace sockit::cli {
namespace {

struct ListenArgs {
  std::vector<std::string> positionals;  // [HOST] PORT
  std::string host = "127.0.0.1";
  std::string port_text;
  std::string unix_path;
  bool udp = false;
  bool keep = false;
  bool dash_l = false;
  bool no_dns = false;
  std::string dash_p;  // -p PORT (nc -l -p, ncat -l -p)
  bool verbose = false;
  double idle_timeout_s = 0.0;
  FamilyFlags family;
  BridgeFlags bridge;
  TlsFlags tls;
};

/// One accepted stream, bridged as plain bytes or through TLS (`tls`: listen --ssl). A TLS
/// failure is reported here (naming `handshake` or `what`) and leaves its exit code in `code`.
Status bridge_client(int fd, const ListenArgs& a, const TlsServerContext* tls,
                     const BridgeOptions& bridge, const std::string& what,
                     const std::string& handshake, int& code) {
  if (tls == nullptr) return bridge_stream(fd, bridge);
  auto session = TlsSession::server(*tls);
  if (!session) return fail(session.error());
  const Deadline deadline = Deadline::after_or_never(to_millis(a.tls.handshake_timeout_s));
  if (auto done = tls_handshake(fd, *session, deadline); !done) {
    code = report_error(done.error(), handshake, -1, true);
    return {};
  }
  if (a.verbose) {
    const std::string alpn = session->alpn();
    note(fmt::format("TLS: {}, cipher {}, ALPN {}", session->protocol(), session->cipher(),
                     alpn.empty() ? "none" : alpn));
    if (auto cert = session->peer_certificate()) note("client certificate: " + cert->subject);
  }
  auto done = bridge_tls(fd, *session, bridge);
  if (!done) code = report_error(done.error(), what, -1, true);
  return {};
}

/// Where to bind, from [HOST] PORT, in the order to try: a TCP listener takes the first of
/// HOST's addresses that it can bind; a UDP one the address `connect -u` and ncat -u send to
/// first (targets.hpp). Wildcard addresses only when asked for by name.
Result<std::vector<Endpoint>> bind_endpoints(const ListenArgs& a) {
  const Deadline deadline = Deadline::after(Millis(10000));
  if (a.udp) return datagram_targets(a.host, a.port_text, a.family.hint(), deadline);
  ResolveOptions options;
  options.family = a.family.hint();
  options.deadline = deadline;
  return resolve(a.host, a.port_text, options);
}

/// Binds the first endpoint that can be bound; else the first endpoint's error.
template <class Bind>
auto bind_first(const std::vector<Endpoint>& candidates, Bind bind)
    -> std::pair<decltype(bind(candidates.front())), Endpoint> {
  auto first = bind(candidates.front());
  for (std::size_t i = 1; i < candidates.size() && !first; ++i) {
    if (auto next = bind(candidates[i])) return {std::move(next), candidates[i]};
  }
  return {std::move(first), candidates.front()};
}

void announce(const Endpoint& at) {
  const bool wildcard = at.is_ip() && classify(at.address()) == AddressClass::unspecified;
  if (wildcard) {
    warn(fmt::format("listening on all interfaces ({}): other machines can connect",
                     at.address().to_string()));
  }
  note("listening on " + at.to_string());
}

int serve_tcp(const ListenArgs& a, const std::vector<Endpoint>& candidates,
              const BridgeOptions& bridge, const TlsServerContext* tls) {
  auto [listener, at] =
      bind_first(candidates, [](const Endpoint& ep) { return TcpListener::bind(ep); });
  if (!listener)
    return report_error(listener.error(), "cannot listen on " + at.to_string(), at.port());
  announce(listener->local_endpoint().value_or(at));
  for (;;) {
    auto client = listener->accept();
    if (!client) return report_error(client.error(), "cannot accept on " + at.to_string());
    if (a.verbose) note("connection from " + client->peer.to_string());
    const std::string what = "connection from " + client->peer.to_string();
    int code = kExitOk;  // a TLS failure, reported already
    const Status done = bridge_client(client->stream.fd(), a, tls, bridge, what,
                                      "TLS handshake with " + client->peer.to_string(), code);
    if (!done) code = report_error(done.error(), what);
    if (!a.keep) return code;
    if (a.verbose) note("closed " + what);
  }
}

int serve_udp(const std::vector<Endpoint>& candidates, const BridgeOptions& bridge) {
  auto [sock, at] = bind_first(candidates, [](const Endpoint& ep) {
    return UdpSocket::bind(ep, UdpOptions{.reuse_addr = true});
  });
  if (!sock) return report_error(sock.error(), "cannot listen on " + at.to_string(), at.port());
  announce(sock->local_endpoint().value_or(at));
  const Status done = bridge_datagram(*sock, false, bridge);
  return done ? kExitOk : report_error(done.error(), "UDP on " + at.to_string());
}

int serve_unix(const ListenArgs& a, const BridgeOptions& bridge, const TlsServerContext* tls) {
  auto listener = UnixListener::bind(UnixPath{a.unix_path});
  if (!listener && listener.error() == std::errc::address_in_use) {
    return report_error_because(listener.error(), "cannot listen on " + show_arg(a.unix_path),
                                unix_path_in_use(a.unix_path));
  }
  if (!listener) return report_error(listener.error(), "cannot listen on " + a.unix_path);
  note("listening on " + a.unix_path);
  const std::string what = "connection on " + a.unix_path;
  for (;;) {
    auto client = listener->accept();
    if (!client) return report_error(client.error(), "cannot accept on " + a.unix_path);
    if (a.verbose) note(what);
    int code = kExitOk;
    const Status done =
        bridge_client(client->fd(), a, tls, bridge, what, "TLS handshake on " + a.unix_path, code);
    if (!done) code = report_error(done.error(), what);
    if (!a.keep) return code;
  }
}

// [HOST] PORT, or -p PORT with at most a HOST: nc -l -p 1234 and ncat -l -p 1234 work as typed.
// Returns a usage message, or "" with a.host / a.port_text set.
std::string place_positionals(ListenArgs& a) {
  if (!a.dash_p.empty()) {
    if (a.positionals.size() > 1)
      return fmt::format("-p {} gives the port; {} is one argument too many", show_arg(a.dash_p),
                         quote_arg(a.positionals.back()));
    a.port_text = a.dash_p;
    if (!a.positionals.empty()) a.host = a.positionals.front();
    return {};
  }
  if (a.positionals.empty()) return "listen needs [HOST] PORT, -p PORT, or -U PATH";
  a.port_text = a.positionals.back();
  if (a.positionals.size() == 2) a.host = a.positionals.front();
  return {};
}

// `listen bt:ADDRESS/CHANNEL`: the one positional is the whole endpoint.
int run_listen_bluetooth(const ListenArgs& a) {
  const auto bt = std::ranges::find_if(a.positionals, has_bluetooth_prefix);
  const std::string why =
      bluetooth_conflicts(*bt, a.positionals.size() > 1, a.udp, !a.unix_path.empty(),
                          a.family.v4 || a.family.v6, false);
  if (!why.empty()) return usage_error(why);
  auto bridge = a.bridge.options(false);
  if (!bridge) return usage_error(bridge.error());
  bridge->idle = to_millis(a.idle_timeout_s);
  bridge->verbose = a.verbose;
  return listen_bluetooth(*bt, *bridge, a.keep, a.verbose);
}

int run_listen(ListenArgs a) {
  if (std::ranges::any_of(a.positionals, has_bluetooth_prefix)) return run_listen_bluetooth(a);
  if (!a.unix_path.empty()) {
    if (!a.positionals.empty()) return usage_error("-U PATH takes no HOST or PORT");
    if (a.udp)
      return usage_error("-U listens on a Unix stream socket; -u cannot be combined with it");
    if (!a.dash_p.empty()) return usage_error("-U PATH takes no -p PORT");
  } else if (auto why = place_positionals(a); !why.empty()) {
    return usage_error(why);
  } else {
    if (auto host_why = host_problem(a.host); !host_why.empty()) return usage_error(host_why);
    if (auto port_why = port_problem(a.port_text, PortUse::bind); !port_why.empty())
      return usage_error(port_why);
    if (a.no_dns) {
      if (auto n_why = numeric_host_problem(a.host); !n_why.empty()) return usage_error(n_why);
    }
  }
  auto bridge = a.bridge.options(a.udp);
  if (!bridge) return usage_error(bridge.error());
  bridge->idle = to_millis(a.idle_timeout_s);
  bridge->verbose = a.verbose;
  if (auto why = a.tls.problem(); !why.empty()) return usage_error(why);
  if (a.tls.ssl && a.udp)
    return usage_error("--ssl is for streams; -u cannot be combined with it (no DTLS)");
  std::optional<TlsServerContext> tls;
  if (a.tls.ssl) {
    std::string why;
    auto context = a.tls.server_context(why);
    if (!context) return usage_error(why);
    tls = std::move(*context);
    if (tls->generated())
      note("TLS: a throwaway certificate for localhost, 127.0.0.1 and ::1; SHA-256 fingerprint " +
           tls->fingerprint());
  }
  const TlsServerContext* server_tls = tls ? &*tls : nullptr;
  if (!a.unix_path.empty()) return serve_unix(a, *bridge, server_tls);
  auto at = bind_endpoints(a);
  if (!at) return report_error(at.error(), "cannot resolve " + show_arg(a.host));
  return a.udp ? serve_udp(*at, *bridge) : serve_tcp(a, *at, *bridge, server_tls);
}

}  // namespace

void add_listen_command(CLI::App& app) {
  auto args = std::make_shared<ListenArgs>();
  CLI::App* cmd = app.add_subcommand(
      "listen", "Wait for a client on [HOST] PORT and bridge it to stdin/stdout (like nc -l)");
  take_positionals(*cmd,
                   {"[HOST] PORT",
                    0,
                    2,
                    {{"HOST", "Address or name to bind (default 127.0.0.1)"},
                     {"PORT", "0 to 65535 (0: any free port)"}}},
                   args->positionals);
  cmd->add_flag("-l", args->dash_l, "Accepted for netcat habits; listening is what this does");
  cmd->add_option("-p,--port", args->dash_p, "The port, as nc -l -p and ncat -l -p take it");
  cmd->add_flag("-n,--nodns", args->no_dns, "HOST must be a numeric address: never ask DNS");
  cmd->add_flag("-k,--keep-open", args->keep, "After a client leaves, accept the next one");
  cmd->add_flag("-u,--udp", args->udp, "UDP: print datagrams, send stdin to the last sender");
  cmd->add_option("-U,--unixsock", args->unix_path, "Listen on a Unix socket at PATH")
      ->check(unix_path_check());
  cmd->add_option("-i,--idle-timeout", args->idle_timeout_s,
                  "End a session after this many seconds without traffic (0 = never)")
      ->check(seconds_check());
  args->family.add_to(*cmd);
  cmd->add_flag("-v,--verbose", args->verbose, "Say who connected or sent");
  args->bridge.add_to(*cmd);
  args->tls.add_to_listen(*cmd);
  cmd->footer(
      "Always prints 'sockit: listening on ADDRESS:PORT' to stderr (the real port for port 0).\n"
      "Binds 127.0.0.1 unless told otherwise; 0.0.0.0 or :: must be named and print a warning.\n\n"
      "Examples:\n"
      "  sockit listen 12345                  one client on 127.0.0.1:12345\n"
      "  sockit listen -k 0                   any free port, one client after another\n"
      "  sockit listen -l -p 12345            the same as nc -l -p / ncat -l -p (-k, -q, -n too)\n"
      "  sockit listen 0.0.0.0 8080           all IPv4 interfaces (warns)\n"
      "  sockit listen -u 12345 -i 5          UDP; reply to the last sender\n"
      "  sockit listen -U /tmp/app.sock\n"
      "  sockit listen bt:00:00:00:00:00:00/3 Bluetooth RFCOMM channel 3, every adapter\n"
      "  sockit listen --ssl 4433             TLS with a throwaway certificate (pin its SHA-256)\n"
      "  sockit listen --ssl --ssl-cert server.pem --ssl-key server.key 4433");
  cmd->callback([args] { finish(run_listen(*args)); });
}

}  // namespace sockit::cli
