// `sockit serve smtp`: the flags of the test mailbox and how they map onto SmtpServiceOptions
// and the server's deadlines (command timeout = the idle deadline, data timeout = the
// partial-message deadline, which runs while a command line or a body is incomplete).
#include "serve_smtp.hpp"

#include <unistd.h>

#include "options.hpp"
#include "output.hpp"
#include "sockit/services/smtp.hpp"

namespace sockit::cli {
namespace {

// Messages printed with --stdout may be large: the writer thread may hold this much before it
// drops (and reports) output nobody reads.
constexpr std::size_t kMailOutLimit = std::size_t{256} << 20;

}  // namespace

void add_smtp_flags(CLI::App& cmd, SmtpFlags& f) {
  auto& g = f.given;
  g.push_back(cmd.add_option("--maildir", f.maildir,
                             "smtp: store each message in this Maildir (tmp/, new/, cur/)"));
  g.push_back(cmd.add_flag("--stdout", f.to_stdout,
                           "smtp: print each message to stdout (log lines go to stderr)"));
  g.push_back(cmd.add_option("--max-size", f.max_size,
                             "smtp: largest message in octets, advertised as SIZE (default "
                             "10485760)")
                  ->check(count_check(1, std::uint64_t{1} << 32)));
  g.push_back(
      cmd.add_option("--max-rcpts", f.max_rcpts, "smtp: recipients per message (default 100)")
          ->check(count_check(1, 100000)));
  g.push_back(cmd.add_option("--auth", f.auth,
                             "smtp: require AUTH PLAIN/LOGIN with USER:PASS (after STARTTLS "
                             "when --ssl)"));
  g.push_back(cmd.add_option("--hostname", f.hostname,
                             "smtp: the name in the greeting and Received: headers"));
  g.push_back(cmd.add_option("--command-timeout", f.command_timeout_s,
                             "smtp: close after SECONDS without a command (default 300)")
                  ->check(seconds_check(false)));
  g.push_back(cmd.add_option("--data-timeout", f.data_timeout_s,
                             "smtp: a message (or a command line) must be complete within "
                             "SECONDS (default 600)")
                  ->check(seconds_check(false)));
}

bool smtp_flags_given(const SmtpFlags& flags) {
  for (const auto* o : flags.given)
    if (o->count() > 0) return true;
  return false;
}

bool http_flags_besides_log_given(const HttpFlags& flags) {
  for (const auto* o : flags.given) {
    if (o->count() > 0 && !o->check_lname("json") && !o->check_lname("quiet")) return true;
  }
  return false;
}

std::unique_ptr<Service> build_smtp(const SmtpFlags& f, bool json, bool quiet,
                                    ServerOptions& options,
                                    std::unique_ptr<OperatorOutput>& log_out,
                                    std::unique_ptr<OperatorOutput>& mail_out, std::string* usage) {
  if (json && quiet) {
    *usage = "--json and --quiet cannot be combined";
    return nullptr;
  }
  if (f.hostname.empty() || f.hostname.find_first_of(" \t\r\n") != std::string::npos) {
    *usage = "--hostname must be one word, not " + quote_arg(f.hostname);
    return nullptr;
  }
  SmtpServiceOptions o;
  o.hostname = f.hostname;
  o.limits.max_message = f.max_size;
  o.max_recipients = f.max_rcpts;
  o.maildir = f.maildir;
  if (!f.auth.empty()) {
    const auto colon = f.auth.find(':');
    if (colon == std::string::npos || colon == 0) {
      *usage = "--auth needs USER:PASS";
      return nullptr;
    }
    o.auth_user = f.auth.substr(0, colon);
    o.auth_password = f.auth.substr(colon + 1);
  }
  // serve's --ssl means STARTTLS here: the connection starts plain and the session upgrades it.
  o.tls = std::move(options.tls);
  options.tls = nullptr;
  o.tls_handshake_timeout = options.tls_handshake_timeout;
  o.log_format = quiet ? SmtpLogFormat::none : json ? SmtpLogFormat::json : SmtpLogFormat::text;
  log_out = std::make_unique<OperatorOutput>(f.to_stdout ? STDERR_FILENO : STDOUT_FILENO);
  if (!quiet) o.log = [out = log_out.get()](std::string_view line) { out->push(line); };
  if (f.to_stdout) {
    mail_out = std::make_unique<OperatorOutput>(STDOUT_FILENO, kMailOutLimit);
    o.deliver = [out = mail_out.get()](std::string_view message) {
      // push() adds a newline: the message ends with CRLF already, so print it without its last
      // LF and let push() put it back.
      out->push(message.ends_with('\n') ? message.substr(0, message.size() - 1) : message);
    };
  }
  options.connection.idle_timeout = to_millis(f.command_timeout_s);
  options.connection.partial_timeout = to_millis(f.data_timeout_s);
  auto service = make_smtp_service(std::move(o));
  if (!service) {
    *usage = "--maildir " + quote_arg(f.maildir) + " cannot be created or opened (" +
             service.error().message() + ")";
    return nullptr;
  }
  return std::move(*service);
}

}  // namespace sockit::cli
