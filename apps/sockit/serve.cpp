// sockit serve SERVICE [HOST] [PORT]: echo, greet, discard, chat, http or smtp under a chosen
// concurrency model, with every server limit as an option. The logic lives in the library
// (Server, UdpServer, services); this file parses options, wires signals, stats and the chat
// operator's terminal (serve_watch.*) to the loop, and turns errors into messages and exit
// codes. Each service's own flags live in serve_http, serve_smtp, serve_redis and serve_tls.
#include <signal.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "arguments.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "operator_output.hpp"
#include "options.hpp"
#include "output.hpp"
#include "serve_http.hpp"
#include "serve_redis.hpp"
#include "serve_smtp.hpp"
#include "serve_tls.hpp"
#include "serve_watch.hpp"
#include "sockit/net/resolver.hpp"
#include "sockit/server/server.hpp"
#include "sockit/server/udp_server.hpp"
#include "sockit/services/services.hpp"
#include "unix_paths.hpp"

namespace sockit::cli {
namespace {

// Upper bounds of the numeric options, so that a typo is refused rather than served.
constexpr std::uint64_t kMaxThreads = 4096;
constexpr std::uint64_t kMaxConns = 10'000'000;
constexpr std::uint64_t kMaxMessage = std::uint64_t{1} << 30;
constexpr std::uint64_t kMaxOutputLimit = std::uint64_t{1} << 40;

// The largest UDP payload over IPv4 (65,535 - 20 IP - 8 UDP header bytes).
constexpr std::size_t kMaxUdpPayload = 65507;

struct ServeArgs {
  std::vector<std::string> positionals;  // SERVICE [HOST] [PORT]
  std::string unix_path;
  bool udp = false;
  std::string framing, model = "loop";
  unsigned threads = 0;
  std::size_t max_conns = 10000;
  double idle_timeout_s = 300, partial_timeout_s = 30, drain_timeout_s = 5, stats_s = 0;
  std::size_t max_line = 64 * 1024, max_frame = 1024 * 1024;
  std::size_t output_limit = std::size_t{4} << 20;
  std::size_t max_datagram = kMaxUdpPayload;
  bool max_datagram_given = false;
  std::vector<std::string> allow, deny;
  bool proxy_protocol = false;
  std::vector<std::string> proxy_from;
  TlsFlags tls;  // --ssl and its companions, spelled as for listen
  HttpFlags http;
  SmtpFlags smtp;
  RedisFlags redis;  // chat --redis (serve_redis.cpp)
};

Result<std::vector<IpNetwork>> parse_networks(const std::vector<std::string>& texts,
                                              std::string* why) {
  std::vector<IpNetwork> out;
  for (const auto& text : texts) {
    // A bare address is a network of one.
    auto net =
        text.find('/') == std::string::npos
            ? IpNetwork::parse(text + (text.find(':') == std::string::npos ? "/32" : "/128"), why)
            : IpNetwork::parse(text, why);
    if (!net) return fail(net.error());
    out.push_back(*net);
  }
  return out;
}

// The longest a connection may take to send its PROXY header: the idle deadline, at most this.
constexpr std::chrono::seconds kProxyHeaderTimeout{10};

/// --proxy-protocol and --proxy-from; a usage error message on failure.
std::string build_proxy_options(const ServeArgs& a, ServerOptions& o) {
  if (!a.proxy_protocol) {
    return a.proxy_from.empty() ? std::string() : "--proxy-from needs --proxy-protocol";
  }
  std::string why;
  auto from = parse_networks(a.proxy_from, &why);
  if (!from) return "--proxy-from: " + why;
  o.proxy_protocol = true;
  o.proxy_from = std::move(*from);
  o.proxy_header_timeout = kProxyHeaderTimeout;
  if (o.connection.idle_timeout.count() > 0)
    o.proxy_header_timeout =
        std::min<Clock::duration>(kProxyHeaderTimeout, o.connection.idle_timeout);
  // The accepting loop calls this: one whole line per connection turned away.
  o.on_proxy_failure = [](const std::string& remote, std::error_code ec) {
    if (ec == ProxyErrc::untrusted_source) {
      note(fmt::format("refused {}: {}", remote, ec.message()));
    } else {
      note(fmt::format("PROXY header from {}: {}", remote, ec.message()));
    }
  };
  return {};
}

/// Fills server options from the arguments; a usage error message on failure.
std::string build_options(const ServeArgs& a, ServerOptions& o) {
  auto model = parse_model(a.model);
  if (!model) return "--model must be thread, pool, loop or reactors, not " + quote_arg(a.model);
  o.model = *model;
  o.threads = a.threads;
  // No built-in service frames with len32 by default: --max-frame applies when it is chosen.
  o.max_message = a.max_line;
  if (!a.framing.empty()) {
    auto framing = parse_framing(a.framing);
    if (!framing) return "--framing must be raw, line or len32, not " + quote_arg(a.framing);
    o.codec = codec_factory(*framing);
    if (*framing == Framing::len32) o.max_message = a.max_frame;
  }
  o.max_connections = a.max_conns;
  o.connection.idle_timeout = to_millis(a.idle_timeout_s);
  o.connection.partial_timeout = to_millis(a.partial_timeout_s);
  o.connection.output_limit = a.output_limit;
  o.connection.high_water = std::max<std::size_t>(a.output_limit / 4, 1);
  std::string why;
  auto allow = parse_networks(a.allow, &why);
  if (!allow) return "--allow: " + why;
  auto deny = parse_networks(a.deny, &why);
  if (!deny) return "--deny: " + why;
  o.allow = std::move(*allow);
  o.deny = std::move(*deny);
  return build_proxy_options(a, o);
}

/// Where to bind, from [HOST] [PORT] after the service name. A bad host or port sets `usage`;
/// a failed lookup sets `what`.
Result<Endpoint> bind_endpoint(const ServeArgs& a, std::string* usage, std::string* what) {
  // http: python's http.server port, so that it can stand in for it.
  // smtp: the unprivileged submission port test mailboxes commonly use.
  std::string host = "127.0.0.1", port = a.positionals[0] == "http"   ? "8000"
                                         : a.positionals[0] == "smtp" ? "2525"
                                                                      : "12345";
  const auto& p = a.positionals;
  if (p.size() == 3) {
    host = p[1];
    port = p[2];
  } else if (p.size() == 2) {
    // Digits alone are a port, even one out of range ("serve echo 70000"), never a host.
    (p[1].find_first_not_of("0123456789") == std::string::npos ? port : host) = p[1];
  }
  *usage = host_problem(host);
  if (usage->empty()) *usage = port_problem(port, PortUse::bind);
  if (!usage->empty()) return fail(Errc::invalid_port);
  *what = "cannot resolve " + show_arg(host);
  ResolveOptions options;
  options.transport = a.udp ? Transport::udp : Transport::tcp;
  options.deadline = Deadline::after(Millis(10000));
  auto endpoints = resolve(host, port, options);
  if (!endpoints) return fail(endpoints.error());
  return endpoints->front();
}

void warn_if_wildcard(const Endpoint& at) {
  if (at.is_ip() && classify(at.address()) == AddressClass::unspecified) {
    warn(fmt::format("serving on all interfaces ({}): other machines can connect",
                     at.address().to_string()));
  }
}

int serve_udp(EventLoop& loop, const ServeArgs& a, const Endpoint& at, const std::string& name,
              std::size_t max_datagram) {
  auto server = UdpServer::bind(
      loop, at, UdpServerOptions{.echo = name == "echo", .max_datagram = max_datagram});
  if (!server) return report_error(server.error(), "cannot serve on " + at.to_string(), at.port());
  if (auto st = (*server)->start(); !st) return report_error(st.error(), "cannot serve");
  warn_if_wildcard(at);
  note(fmt::format("serving {} on {} (udp, datagrams up to {} bytes)", name,
                   (*server)->local_endpoint().to_string(), max_datagram));
  auto stop = [&loop](int) { loop.stop(); };
  (void)loop.on_signal(SIGINT, stop);
  (void)loop.on_signal(SIGTERM, stop);
  const UdpServer& udp = **server;
  (void)loop.on_signal(SIGUSR1, [&udp](int) { note(udp_stats_line(udp.stats())); });
  if (a.stats_s > 0)
    loop.run_every(to_millis(a.stats_s), [&udp] { note(udp_stats_line(udp.stats())); });
  const Status ran = loop.run();
  const UdpServerStats s = udp.stats();
  note(fmt::format("udp: {} datagrams, {} truncated and dropped, {} B in, {} B out", s.datagrams,
                   s.truncated, s.bytes_in, s.bytes_out));
  if (!ran) return report_error(ran.error(), "event loop failed");
  return kExitOk;
}

// Signals first, threads second: the model's threads inherit the blocked mask, so SIGINT,
// SIGTERM and SIGUSR1 arrive only through the loop's signalfd.
int serve_stream(EventLoop& loop, const ServeArgs& a, const Endpoint& at, Service& service,
                 ServerOptions options) {
  auto server = Server::listen(loop, at, service, std::move(options));
  const std::string where = at.is_unix() ? at.unix_path().path : at.to_string();
  if (!server) {
    if (at.is_unix() && server.error() == std::errc::address_in_use)
      return report_error_because(server.error(), "cannot serve on " + show_arg(where),
                                  unix_path_in_use(where));
    return report_error(server.error(), "cannot serve on " + where, at.is_ip() ? at.port() : -1);
  }
  StatsReporter stats(**server);
  bool draining = false;
  auto on_stop = [&](int signo) {
    if (draining) return;
    draining = true;
    note(fmt::format("{}: draining (up to {} s)", signo == SIGINT ? "SIGINT" : "SIGTERM",
                     a.drain_timeout_s));
    (*server)->drain(to_millis(a.drain_timeout_s), [&](DrainReport report) {
      if (report.cut != 0) {
        note(
            fmt::format("drain deadline passed: cut {} connection(s), {} reply bytes unsent, {} "
                        "request bytes unread",
                        report.cut, report.unsent, report.unread));
      } else {
        note("drained: every connection finished");
      }
      loop.stop();
    });
  };
  (void)loop.on_signal(SIGINT, on_stop);
  (void)loop.on_signal(SIGTERM, on_stop);
  (void)loop.on_signal(SIGUSR1, [&](int) { stats.report(); });
  if (auto st = (*server)->start(); !st)
    return report_error(st.error(), "cannot serve on " + where);
  if (a.stats_s > 0) loop.run_every(to_millis(a.stats_s), [&] { stats.report(); });
  PoolWatch pool_watch(**server);
  if ((*server)->options().model == Model::pool)
    loop.run_every(PoolWatch::kCheckEvery, [&] { pool_watch.check(); });
  warn_if_wildcard(at);
  const Endpoint& local = (*server)->local_endpoint();
  note(fmt::format("serving {} on {} ({}, model {}{})", service.name(),
                   local.is_unix() ? local.unix_path().path : local.to_string(),
                   at.is_unix() ? "unix" : "tcp", model_name((*server)->options().model),
                   (*server)->options().tls ? ", TLS" : ""));
  if (const std::size_t cap = (*server)->options().max_connections; cap < a.max_conns) {
    note(
        fmt::format("--max-conns lowered from {} to {}: what the descriptor limit allows with "
                    "model {} (raise it with ulimit -n)",
                    a.max_conns, cap, model_name((*server)->options().model)));
  }
  std::unique_ptr<OperatorOutput> output;
  std::unique_ptr<OperatorInput> input;
  auto* chat = dynamic_cast<ChatService*>(&service);
  if (chat) {
    // Never write stdout on the loop thread: a pipe nobody reads would stop the whole room.
    output = std::make_unique<OperatorOutput>(STDOUT_FILENO);
    chat->set_observer([out = output.get()](std::string_view line) { out->push(line); });
    input = std::make_unique<OperatorInput>(loop, *chat);
    (void)input->start();  // stdin may be a file or closed: then nobody types, nothing breaks
  }
  const Status ran = loop.run();
  input.reset();
  server->reset();
  if (chat) chat->set_observer(nullptr);  // before `output` goes: no line may reach it after
  if (!ran) return report_error(ran.error(), "event loop failed");
  return kExitOk;
}

int run_serve(const ServeArgs& a) {
  if (a.positionals.empty() || a.positionals.size() > 3)
    return usage_error("serve needs SERVICE [HOST] [PORT]");
  const std::string& name = a.positionals[0];
  if (name != "smtp" && smtp_flags_given(a.smtp))
    return usage_error("--maildir, --stdout, --auth and the other smtp options are for serve smtp");
  if (name == "smtp" && http_flags_besides_log_given(a.http))
    return usage_error("--root and the other http options are for serve http");
  if (name != "http" && name != "smtp" && http_flags_given(a.http))
    return usage_error("--root, --json, --quiet and the other http options are for serve http");
  if (name == "http" && a.udp) return usage_error("-u serves echo or discard only");
  if (name == "smtp" && (a.udp || !a.framing.empty()))
    return usage_error("serve smtp speaks SMTP over TCP or a Unix socket: no -u, no --framing");
  if (name == "http" && !a.framing.empty())
    return usage_error("--framing is not for serve http: it speaks HTTP/1.1");
  ServerOptions options;
  if (auto why = build_options(a, options); !why.empty()) return usage_error(why);
  if (auto why = configure_serve_tls(a.tls, a.udp, options); !why.empty()) return usage_error(why);
  // Block the loop's signals before any thread exists (the resolver and the access log's writer
  // start some): a thread that had them unblocked would take SIGUSR1's default action and end the
  // process.
  sigset_t mask;
  sigemptyset(&mask);
  for (int signo : {SIGINT, SIGTERM, SIGUSR1})
    sigaddset(&mask, signo);
  ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // stdout may be a closed pipe; sockets use MSG_NOSIGNAL anyway
  // The access log is written by its own thread: a stdout nobody reads never stops serving.
  // Declared before the service, so that it outlives every session that logs to it.
  std::unique_ptr<OperatorOutput> access_log, mail_out;
  Result<std::unique_ptr<Service>> service =
      fail(std::make_error_code(std::errc::invalid_argument));
  if (name == "http") {
    access_log = std::make_unique<OperatorOutput>(STDOUT_FILENO);
    std::string why;
    auto http = build_http(
        a.http, options, [out = access_log.get()](std::string_view line) { out->push(line); },
        &why);
    if (!http) return usage_error(why);
    service = std::move(http);
  } else if (name == "smtp") {
    std::string why;
    auto smtp = build_smtp(a.smtp, a.http.json, a.http.quiet, options, access_log, mail_out, &why);
    if (!smtp) return usage_error(why);
    service = std::move(smtp);
  } else {
    service = make_service(name);
  }
  if (!service)
    return usage_error("unknown service " + quote_arg(name) +
                       " (echo, greet, discard, chat, http, smtp)");
  if (a.udp && name != "echo" && name != "discard")
    return usage_error("-u serves echo or discard only");
  if (a.udp && !a.unix_path.empty())
    return usage_error("-U serves a Unix stream socket; -u cannot be combined with it");
  if (a.max_datagram_given && !a.udp) return usage_error("--max-datagram is for UDP (-u) only");
  if (a.udp && a.proxy_protocol)
    return usage_error("--proxy-protocol is for TCP and Unix stream sockets, not -u");
  if (!a.unix_path.empty() && !a.proxy_from.empty())
    return usage_error("--proxy-from filters IP addresses; a Unix socket has none");
  if (a.udp && !a.framing.empty())
    return usage_error("--framing is for streams; UDP keeps each datagram whole");
  // UDP has no connections to spread: one socket on one loop serves every datagram. Accepting
  // --model reactors (or thread/pool) and running one thread anyway misled (issue 18).
  if (a.udp && a.model != "loop")
    return usage_error("-u serves datagrams on one event loop; --model " + a.model +
                       " is for TCP and Unix stream sockets");
  if (!a.unix_path.empty() && (!a.allow.empty() || !a.deny.empty()))
    return usage_error("--allow/--deny filter IP addresses; a Unix socket has none");
  if (auto why = check_redis_flags(a.redis, name, a.udp, options.model); !why.empty())
    return usage_error(why);
  auto loop = EventLoop::create();
  if (!loop) return report_error(loop.error(), "cannot create the event loop");
  // chat --redis: the room's Redis link runs on this loop, so the service is made after it
  // (and destroyed before it).
  std::unique_ptr<Service> redis_chat;
  if (!a.redis.redis.empty()) {
    int code = kExitOk;
    redis_chat = make_redis_chat(**loop, a.redis, code);
    if (!redis_chat) return code;
  }
  Service& chosen = redis_chat ? *redis_chat : **service;
  if (!a.unix_path.empty()) {
    return serve_stream(**loop, a, Endpoint(UnixPath{a.unix_path}), chosen, std::move(options));
  }
  std::string usage, what;
  auto at = bind_endpoint(a, &usage, &what);
  if (!at) return usage.empty() ? report_error(at.error(), what) : usage_error(usage);
  if (a.udp) return serve_udp(**loop, a, *at, name, a.max_datagram);
  return serve_stream(**loop, a, *at, chosen, std::move(options));
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd =
      app.add_subcommand("serve",
                         "Serve echo, greet, discard, chat, http or smtp on [HOST] [PORT] (default "
                         "127.0.0.1:12345, http: 8000, smtp: 2525)");
  take_positionals(
      *cmd,
      {"SERVICE [HOST] [PORT]",
       1,
       3,
       {{"SERVICE", "echo, greet, discard, chat, http (static files) or smtp (a test mailbox)"},
        {"HOST", "Address or name to bind (default 127.0.0.1)"},
        {"PORT", "0 to 65535, 0: any free port (default 12345)"}}},
      args->positionals);
  cmd->add_flag("-u,--udp", args->udp, "UDP (echo or discard)");
  cmd->add_option("-U,--unixsock", args->unix_path, "Serve on a Unix socket at PATH")
      ->check(unix_path_check());
  cmd->add_option("--framing", args->framing, "raw, line or len32 (default: the service's)");
  cmd->add_option("--model", args->model, "thread, pool, loop or reactors")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Pool size / reactor count (0 = one per core)")
      ->check(count_check(0, kMaxThreads));
  cmd->add_option("--max-conns", args->max_conns, "Connection cap")
      ->capture_default_str()
      ->check(count_check(1, kMaxConns));
  cmd->add_option("--idle-timeout", args->idle_timeout_s,
                  "Close after SECONDS without input (0 = never)")
      ->capture_default_str()
      ->check(seconds_check());
  cmd->add_option("--partial-timeout", args->partial_timeout_s,
                  "Close when a message stays incomplete for SECONDS (0 = never)")
      ->capture_default_str()
      ->check(seconds_check());
  cmd->add_option("--max-line", args->max_line, "Longest line (line framing)")
      ->capture_default_str()
      ->check(count_check(1, kMaxMessage));
  cmd->add_option("--max-frame", args->max_frame, "Largest len32 payload")
      ->capture_default_str()
      ->check(count_check(1, kMaxMessage));
  cmd->add_option("--output-limit", args->output_limit,
                  "Disconnect a client whose unsent output passes BYTES")
      ->capture_default_str()
      ->check(count_check(1, kMaxOutputLimit));
  CLI::Option* max_datagram =
      cmd->add_option("--max-datagram", args->max_datagram,
                      "UDP: largest datagram accepted (1..65507); a larger one is counted as "
                      "truncated and dropped, never echoed cut short")
          ->type_name("BYTES")
          ->capture_default_str()
          ->check(count_check(1, kMaxUdpPayload));
  cmd->add_option("--allow", args->allow, "Only these CIDR networks (repeat or comma-separate)")
      ->delimiter(',');
  cmd->add_option("--deny", args->deny, "Never these CIDR networks (deny wins)")->delimiter(',');
  cmd->add_flag("--proxy-protocol", args->proxy_protocol,
                "Read a PROXY v1/v2 header first (HAProxy send-proxy[-v2]): serve the client it "
                "names");
  cmd->add_option("--proxy-from", args->proxy_from,
                  "Proxies allowed to send the header (CIDR; repeat or comma-separate; default "
                  "127.0.0.0/8 and ::1)")
      ->delimiter(',');
  args->tls.add_to_listen(*cmd);
  cmd->add_option("--stats", args->stats_s,
                  "Print connections, msg/s and B/s (UDP: datagram counters) every SECONDS")
      ->check(seconds_check());
  cmd->add_option("--drain-timeout", args->drain_timeout_s,
                  "On SIGINT/SIGTERM, let clients finish for up to SECONDS")
      ->capture_default_str()
      ->check(seconds_check());
  add_http_flags(*cmd, args->http);
  add_smtp_flags(*cmd, args->smtp);
  add_redis_flags(*cmd, args->redis);
  cmd->footer(
      "Prints 'sockit: serving SERVICE on ADDRESS:PORT (tcp, model M)' to stderr once bound.\n"
      "SIGUSR1 prints the stats once; SIGINT/SIGTERM stop accepting and drain, then exit 0.\n\n"
      "Examples:\n"
      "  sockit serve echo                       127.0.0.1:12345, one event loop\n"
      "  sockit serve greet --model thread       the lecture's thread-per-client server\n"
      "  sockit serve chat 0 --framing line      chat on a free port; type to talk as 'server'\n"
      "  sockit serve echo -u 9000               UDP echo\n"
      "  sockit serve echo -u 0 --max-datagram 512 --stats 10\n"
      "  sockit serve echo --ssl --ssl-cert cert.pem --ssl-key key.pem   TLS echo\n"
      "  sockit serve echo --model reactors --threads 4 --max-conns 20000\n"
      "  sockit serve http --root ~/site         files from ~/site on 127.0.0.1:8000\n"
      "  sockit serve smtp --maildir ~/mail      catch mail on 127.0.0.1:2525 (--ssl: STARTTLS)\n"
      "  sockit serve echo --proxy-protocol      behind HAProxy (send-proxy / send-proxy-v2)");
  cmd->callback([cmd, args, max_datagram] {
    args->max_datagram_given = max_datagram->count() > 0;
    note_redis_flags(*cmd, args->redis);
    finish(run_serve(*args));
  });
}

}  // namespace sockit::cli
