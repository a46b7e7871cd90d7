// `sockit serve http`: the flags of the static file server and how they map onto
// HttpServiceOptions and the server's deadlines (header deadline = the partial-message
// deadline, keep-alive timeout = the idle deadline).
#include "serve_http.hpp"

#include "options.hpp"
#include "output.hpp"
#include "sockit/services/http.hpp"

namespace sockit::cli {

void add_http_flags(CLI::App& cmd, HttpFlags& f) {
  auto& g = f.given;
  g.push_back(cmd.add_option("--root", f.root, "http: the directory served (default: .)"));
  g.push_back(cmd.add_flag("--no-plaintext", f.no_plaintext, "http: no built-in GET /plaintext"));
  g.push_back(cmd.add_flag("--follow-symlinks", f.follow_symlinks,
                           "http: follow symlinks that lead out of the root"));
  g.push_back(cmd.add_flag("--show-hidden", f.show_hidden, "http: serve and list dotfiles"));
  g.push_back(cmd.add_flag("--json", f.json, "http: access log as one JSON object per request"));
  g.push_back(cmd.add_flag("--quiet", f.quiet, "http: no access log"));
  g.push_back(cmd.add_option("--header-timeout", f.header_timeout_s,
                             "http: a request head must arrive within SECONDS (default 10)")
                  ->check(seconds_check(false)));
  g.push_back(cmd.add_option("--keepalive-timeout", f.keepalive_timeout_s,
                             "http: close an idle keep-alive connection after SECONDS (default 75)")
                  ->check(seconds_check(false)));
  g.push_back(cmd.add_option("--max-requests", f.max_requests,
                             "http: requests per connection (default 1000)")
                  ->check(count_check(1, 1'000'000'000)));
  g.push_back(cmd.add_option("--max-body", f.max_body,
                             "http: largest request body read and discarded (default 1048576)")
                  ->check(count_check(0, std::uint64_t{1} << 40)));
}

bool http_flags_given(const HttpFlags& flags) {
  for (const auto* o : flags.given)
    if (o->count() > 0) return true;
  return false;
}

std::unique_ptr<Service> build_http(const HttpFlags& f, ServerOptions& options,
                                    std::function<void(std::string_view)> log, std::string* usage) {
  if (f.json && f.quiet) {
    *usage = "--json and --quiet cannot be combined";
    return nullptr;
  }
  HttpServiceOptions o;
  o.root = f.root;
  o.plaintext = !f.no_plaintext;
  o.follow_symlinks = f.follow_symlinks;
  o.show_hidden = f.show_hidden;
  o.max_requests = f.max_requests;
  o.limits.max_body = f.max_body;
  o.log_format = f.quiet  ? HttpLogFormat::none
                 : f.json ? HttpLogFormat::json
                          : HttpLogFormat::common;
  o.log = std::move(log);
  options.connection.partial_timeout = to_millis(f.header_timeout_s);
  options.connection.idle_timeout = to_millis(f.keepalive_timeout_s);
  // The adapter holds at most one head plus what a read brings: no line limit applies.
  auto service = make_http_service(std::move(o));
  if (!service) {
    *usage = "--root " + quote_arg(f.root) + " is not a directory that can be opened (" +
             service.error().message() + ")";
    return nullptr;
  }
  return std::move(*service);
}

}  // namespace sockit::cli
