#include "http_transfer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <optional>

#include "exit_codes.hpp"
#include "http_setup.hpp"
#include "output.hpp"
#include "sockit/core/unique_fd.hpp"
#include "sockit/http/inflate.hpp"
#include "sockit/tls/error.hpp"

namespace sockit::cli {
namespace {

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Where one URL's output goes, and what happened to the body on its way there.
struct Sink {
  int fd = STDOUT_FILENO;
  const HttpArgs* args = nullptr;
  HttpProgress progress{false};
  bool discard = false;  // a redirect being followed, or -f and an error status
  std::optional<http::Inflater> inflater;
  HttpBody framing;
  std::uint64_t received = 0;  // body bytes of the current response
  bool got_head = false;       // the current response's head arrived

  Status write(std::string_view bytes) const { return write_all_fd(fd, bytes); }
};

// Everything one URL needs while its transfer (and its redirects) run.
struct Transfer {
  const HttpArgs& args;
  const RequestTemplate& base;
  http::Client& client;
  Sink sink;
  TransferReport report;
  http::Url first;
  std::string tls_check;  // the -v line saying how the certificate was checked

  http::Events events();
  Status on_head(const http::Response& r);
  int run(const http::Url& url);
  int failed(std::error_code ec, http::Phase phase, const http::Url& url);
};

http::Events Transfer::events() {
  http::Events e;
  e.on_connect = [this](const Endpoint& peer, bool reused, const TlsSession* session) {
    if (!reused) ++report.num_connects;
    if (!args.verbose) return;
    if (reused) {
      verbose_note(fmt::format("Re-using existing connection to {}", peer.to_string()));
      return;
    }
    verbose_note(fmt::format("Connected to {}", peer.to_string()));
    if (session) {
      for (const auto& line : tls_summary(*session, tls_check))
        verbose_note(line);
    }
  };
  if (args.verbose) {
    e.on_request_head = [](std::string_view head) { verbose_head('>', head); };
    e.on_interim = [](const http::Response& r) { verbose_head('<', r.raw_head); };
  }
  e.on_head = [this](const http::Response& r) { return on_head(r); };
  e.on_body = [this](std::string_view piece) -> Status {
    sink.received += piece.size();
    report.size_download += piece.size();
    sink.progress.update(sink.received);
    if (sink.discard) return {};
    if (sink.inflater) return sink.inflater->feed(piece);
    return sink.write(piece);
  };
  return e;
}

Status Transfer::on_head(const http::Response& r) {
  if (args.verbose) verbose_head('<', r.raw_head);
  sink.framing = r.framing;
  sink.got_head = true;
  sink.received = 0;
  sink.inflater.reset();
  const bool followed = args.location && is_redirect(r.status) && !r.find("location").empty();
  sink.discard = followed || (args.fail && r.status >= 400);
  if ((args.include || args.head) && !(args.fail && r.status >= 400)) {
    if (auto ok = sink.write(r.raw_head); !ok) return ok;
  }
  if (sink.discard) return {};
  if (args.compressed && !r.find("content-encoding").empty()) {
    auto coding = http::parse_coding(r.find("content-encoding"));
    if (coding && *coding != http::Coding::identity)
      sink.inflater.emplace(*coding, [this](std::string_view s) { return sink.write(s); });
  }
  sink.progress.start(r.framing.kind == HttpBodyKind::length ? r.framing.length : 0);
  return {};
}

// The error line and exit code for a failed transfer; -s without -S keeps the line to -w.
int Transfer::failed(std::error_code ec, http::Phase phase, const http::Url& url) {
  const std::string where = fmt::format("{} port {}", show_arg(url.host), url.port);
  std::string what = fmt::format("{} {}", report.method, show_arg(url.to_string()));
  int code = exit_code_for(ec);
  if (phase == http::Phase::resolve || phase == http::Phase::connect) {
    what = "cannot connect to " + where;
  } else if (phase == http::Phase::tls) {
    what = "TLS handshake with " + where;
  } else if (phase == http::Phase::handler) {
    what = sink.inflater ? "decoding the body of " + what : "writing the body of " + what;
  } else if (phase == http::Phase::receive && sink.got_head) {
    if (sink.framing.kind == HttpBodyKind::length)
      what += fmt::format(" ({} of {} body bytes received)", sink.received, sink.framing.length);
    else
      what += fmt::format(" ({} body bytes received)", sink.received);
    if (ec == HttpErrc::truncated_body) code = kExitPartial;
  }
  std::string line;
  if (ec.category() == tls_category()) {
    line = what + ": " + ec.message();
    if (auto cause = tls_cause(ec, false); !cause.empty()) line += " (" + std::string(cause) + ")";
  } else {
    line = explain(ec, what, phase == http::Phase::connect ? url.port : -1);
  }
  report.error = one_line(line);
  report.exit_code = code;
  if (!args.silent || args.show_error) note(line);
  return code;
}

// One URL and the redirects it leads to (with -L).
int Transfer::run(const http::Url& start_url) {
  http::Url url = start_url;
  http::Request req = base.request;
  std::string auth =
      base.auth.empty() && !url.userinfo.empty() ? basic_auth(url.userinfo) : base.auth;
  const auto deadline = Deadline::after_or_never(to_millis(args.max_time_s));
  const auto events_ = events();
  const auto started = Clock::now();
  for (;;) {
    req.url = url;
    report.url_effective = url.to_string();
    report.method = req.method;
    http::Request sent = req;
    const bool same_origin = url.host == first.host && url.port == first.port;
    if (!auth.empty() && same_origin) sent.headers.push_back({"Authorization", auth});
    report.have_response = false;
    sink.got_head = false;
    auto r = client.send(sent, events_, deadline);
    report.total = Clock::now() - started;
    if (!r) return failed(r.error(), client.failed_phase(), url);
    report.response = *r;
    report.have_response = true;
    if (sink.inflater) {
      if (auto ok = sink.inflater->finish(); !ok)
        return failed(ok.error(), http::Phase::handler, url);
    }
    sink.progress.end();
    const std::string_view location = r->find("location");
    if (!args.location || !is_redirect(r->status) || location.empty()) break;
    if (report.num_redirects >= args.max_redirs) {
      const std::string line = fmt::format("{}: maximum ({}) redirects followed",
                                           show_arg(url.to_string()), args.max_redirs);
      report.error = line;
      report.exit_code = kExitNetwork;
      if (!args.silent || args.show_error) note(line);
      return kExitNetwork;
    }
    auto next = http::resolve_location(url, location);
    if (!next) return failed(next.error(), http::Phase::receive, url);
    // curl's rules: 303 turns anything but HEAD into GET; 301/302 turn POST into GET.
    const bool to_get = (r->status == 303 && req.method != "HEAD") ||
                        ((r->status == 301 || r->status == 302) && req.method == "POST");
    if (to_get) {
      req.method = "GET";
      req.body.clear();
      req.body_file.clear();
      req.empty_body_has_length = false;
      std::erase_if(req.headers,
                    [](const http::Field& f) { return http_iequals(f.name, "content-type"); });
    }
    url = *next;
    ++report.num_redirects;
  }
  if (args.fail && report.response.status >= 400) {
    const std::string line =
        fmt::format("{} {}: the server answered {} {}", report.method, show_arg(url.to_string()),
                    report.response.status, report.response.reason);
    report.error = one_line(line);
    report.exit_code = kExitHttpError;
    if (!args.silent || args.show_error) note(line);
    return kExitHttpError;
  }
  return kExitOk;
}

Result<UniqueFd> open_output(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return fail(sys_error());
  return fd;
}

}  // namespace

int run_http(const HttpArgs& args) {
  RequestTemplate base;
  http::ClientOptions options;
  if (auto why = prepare_http(args, base, options); !why.empty()) return usage_error(why);
  std::vector<http::Url> urls;
  bool any_tls = false;
  for (const auto& text : args.urls) {
    auto url = http::parse_url(text);
    if (!url)
      return usage_error(fmt::format("invalid URL {}: {}", quote_arg(text), url.error().message()));
    if (args.remote_name && remote_file_name(*url).empty())
      return usage_error(fmt::format("-O: no file name in URL {}", quote_arg(text)));
    any_tls = any_tls || url->https();
    urls.push_back(std::move(*url));
  }
  TlsFlags tls;
  tls.ssl = true;
  tls.cacert = args.cacert;
  tls.insecure = args.insecure;
  if (any_tls || args.location || !args.cacert.empty()) {
    if (auto why = tls.problem(); !why.empty()) return usage_error(why);
    std::string usage;
    auto ctx = tls.client_context(usage);
    if (!ctx) return usage_error(usage);
    options.tls = std::move(*ctx);
  }
  if (args.insecure && any_tls && !args.silent)
    warn("-k: the server's certificate and name are not verified");
  http::Client client(std::move(options));
  int code = kExitOk;
  for (std::size_t i = 0; i < urls.size(); ++i) {
    Transfer t{args, base, client, {}, {}, urls[i], tls.verification(urls[i].host)};
    t.sink.args = &args;
    UniqueFd file;
    std::string path = i < args.outputs.size() ? args.outputs[i] : "";
    if (args.remote_name) path = remote_file_name(urls[i]);
    if (!path.empty() && path != "-") {
      auto opened = open_output(path);
      if (!opened) {
        const int c = report_error(opened.error(), "cannot write " + show_arg(path));
        code = code == kExitOk ? c : code;
        continue;
      }
      file = std::move(*opened);
      t.sink.fd = file.get();
    }
    const bool to_terminal = t.sink.fd == STDOUT_FILENO && ::isatty(STDOUT_FILENO) == 1;
    t.sink.progress =
        HttpProgress(!args.silent && !args.verbose && !to_terminal && ::isatty(STDERR_FILENO) == 1);
    const int c = t.run(urls[i]);
    if (!args.write_out.empty()) write_out(args.write_out, t.report);
    if (args.timing && t.report.have_response) print_timing(t.report);
    if (code == kExitOk) code = c;
  }
  return code;
}

}  // namespace sockit::cli
