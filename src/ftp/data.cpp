// Opening data connections: passive (EPSV, then PASV) and active (EPRT, then PORT).
#include <string>
#include <utility>

#include "ftp/state.hpp"
#include "sockit/codec/ftp_address.hpp"

namespace sockit::ftp {
namespace {

bool not_understood(int code) {
  return code == 500 || code == 501 || code == 502;
}

Result<Channel> connect_data(Client::State& s, const Endpoint& to) {
  auto tcp = TcpStream::connect(to, Deadline::after_or_never(s.options.connect_timeout));
  if (!tcp) return fail(tcp.error());
  return Channel(std::move(*tcp));
}

// The PASV reply names an address; by default only its port is used (CVE-2020-8284: a server
// could otherwise make the client connect to any host, e.g. one behind the client's firewall).
Result<Channel> pasv(Client::State& s, const Endpoint& server) {
  auto r = s.exchange("PASV");
  if (!r) return fail(r.error());
  if (r->code != 227) return fail(s.refuse(*r));
  auto hp = parse_ftp_host_port(r->text());
  if (!hp) return fail(hp.error());
  IpAddress ip = server.address();
  const auto named = IPv4Address::from_bytes(hp->ip);
  if (s.options.trust_pasv_address) {
    ip = named;
  } else if (!(server.address().is_v4() && server.address().v4() == named)) {
    s.note("ignoring the address " + hp->ip_text() + " in the PASV reply; connecting to " +
           server.address().to_string() + " (--ftp-pasv-trust-address uses it)");
  }
  return connect_data(s, Endpoint(ip, hp->port));
}

Result<Channel> passive(Client::State& s, const Endpoint& server) {
  if (!s.no_epsv) {
    auto r = s.exchange("EPSV");
    if (!r) return fail(r.error());
    if (r->code == 229) {
      auto port = parse_epsv_port(r->text());
      if (!port) return fail(port.error());
      return connect_data(s, Endpoint(server.address(), *port));
    }
    if (!not_understood(r->code) || server.address().is_v6()) return fail(s.refuse(*r));
    s.no_epsv = true;
    s.note("the server does not support EPSV: using PASV");
  }
  return pasv(s, server);
}

Result<PendingData> active(Client::State& s, const Endpoint& server) {
  auto local = s.control.tcp().local_endpoint();
  if (!local) return fail(local.error());
  IpAddress ip = local->address();
  if (s.options.active_address != "-") {
    auto parsed = IpAddress::parse(s.options.active_address);
    if (!parsed) return fail(parsed.error());
    ip = *parsed;
  }
  auto listener = TcpListener::bind(Endpoint(ip, 0), {.backlog = 1});
  if (!listener) return fail(listener.error());
  auto at = listener->local_endpoint();
  if (!at) return fail(at.error());
  const std::string text = at->address().to_string();
  if (!s.no_eprt) {
    auto r = s.exchange("EPRT " + format_eprt_argument({ip.is_v4() ? 1 : 2, text, at->port()}));
    if (!r) return fail(r.error());
    if (!r->completed()) {
      if (!not_understood(r->code) || ip.is_v6()) return fail(s.refuse(*r));
      s.no_eprt = true;
      s.note("the server does not support EPRT: using PORT");
    }
  }
  if (s.no_eprt) {
    auto r = s.exchange("PORT " + format_ftp_host_port({ip.v4().bytes(), at->port()}));
    if (!r) return fail(r.error());
    if (!r->completed()) return fail(s.refuse(*r));
  }
  PendingData p;
  p.listener = std::move(*listener);
  p.server = server.address();
  p.active = true;
  return p;
}

// Waits for the server's connection; one from any other address is closed and waited past
// (someone racing to the announced port must not receive or supply the file).
Result<Channel> accept_from_server(Client::State& s, PendingData& p) {
  const Deadline deadline = s.data_deadline();
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto got = p.listener.accept(deadline);
    if (!got) return fail(got.error());
    if (got->peer.address() == p.server) return Channel(std::move(got->stream));
    s.note("refused a data connection from " + got->peer.to_string() +
           ": not the server's address");
  }
  return fail(FtpErrc::cannot_open_data);
}

}  // namespace

Result<PendingData> prepare_data(Client::State& s) {
  auto server = s.control.tcp().peer_endpoint();
  if (!server) return fail(server.error());
  if (!s.options.active_address.empty()) return active(s, *server);
  auto ch = passive(s, *server);
  if (!ch) return fail(ch.error());
  PendingData p;
  p.connected = std::move(*ch);
  return p;
}

Result<Channel> open_data(Client::State& s, PendingData pending, std::string_view command) {
  if (auto sent = s.send(command); !sent) return fail(sent.error());
  auto r = s.read_reply();
  if (!r) return fail(r.error());
  if (!r->preliminary()) return fail(s.refuse(*r));  // 425, 550, ...: no transfer follows
  Channel ch;
  if (pending.active) {
    auto accepted = accept_from_server(s, pending);
    if (!accepted) return fail(accepted.error());
    ch = std::move(*accepted);
  } else {
    ch = std::move(pending.connected);
  }
  if (s.protect_data) {
    if (auto shaken = ch.start_tls(*s.options.tls_context, s.options.tls_host, s.data_deadline(),
                                   s.control.tls_session());
        !shaken)
      return fail(shaken.error());
    const TlsSession* t = ch.tls_session();
    s.note("data connection: " + t->protocol() +
           (t->resumed() ? ", resumed the control connection's TLS session"
                         : ", a new TLS session (not resumed)"));
  }
  return ch;
}

}  // namespace sockit::ftp
