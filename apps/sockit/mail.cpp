// sockit mail smtp://HOST[:PORT]: send one message over SMTP, with curl's flags (--mail-from,
// --mail-rcpt, -T, -u, --ssl, --ssl-reqd) and help for people who have no .eml file.
#include <unistd.h>

#include <array>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "arguments.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "mail.hpp"
#include "options.hpp"
#include "output.hpp"
#include "sockit/mail/client.hpp"

namespace sockit::cli {
namespace {

// "smtp://host:port/helo-name" -> its parts; "" when fine, else the usage message.
std::string parse_url(MailArgs& a) {
  std::string_view rest = a.url;
  if (rest.starts_with("smtps://")) {
    a.implicit_tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("smtp://")) {
    rest.remove_prefix(7);
  } else {
    return fmt::format("{}: the URL must start with smtp:// or smtps://", quote_arg(a.url));
  }
  const std::size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    a.helo = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
  }
  a.port = a.implicit_tls ? "465" : "25";
  std::string_view host = rest;
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return fmt::format("{}: missing ']'", quote_arg(a.url));
    host = rest.substr(1, close - 1);
    const auto after = rest.substr(close + 1);
    if (!after.empty() && !after.starts_with(':'))
      return fmt::format("{}: unexpected text after ']'", quote_arg(a.url));
    if (!after.empty()) a.port = std::string(after.substr(1));
  } else if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    a.port = std::string(rest.substr(colon + 1));
  }
  a.host = std::string(host);
  if (auto why = host_problem(a.host); !why.empty()) return why;
  if (auto why = port_problem(a.port, PortUse::connect); !why.empty()) return why;
  if (!a.helo.empty() && !mail::valid_address(a.helo))
    return fmt::format("{}: the name after '/' (sent with EHLO) cannot hold spaces or controls",
                       quote_arg(a.url));
  return {};
}

// An address as typed, with or without <>, checked for what would break a command line.
std::string address_problem(const char* option, std::string& address, bool empty_ok) {
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
    address = address.substr(1, address.size() - 2);
  if (address.empty() && !empty_ok) return fmt::format("{} cannot be empty", option);
  if (!mail::valid_address(address)) {
    return fmt::format(
        "{} {}: an address cannot hold spaces, control characters or <>, and "
        "has at most 256 octets",
        option, quote_arg(address));
  }
  return {};
}

std::string local_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "localhost";
  const std::string text(name.data());
  return text.empty() || !mail::valid_address(text) ? "localhost" : text;
}

std::string check_mail_args(MailArgs& a) {
  if (auto why = parse_url(a); !why.empty()) return why;
  if (a.helo.empty()) a.helo = local_name();
  if (auto why = address_problem("--mail-from", a.from, true); !why.empty()) return why;
  if (a.rcpt.empty()) return "mail needs at least one --mail-rcpt ADDRESS";
  for (auto& r : a.rcpt) {
    if (auto why = address_problem("--mail-rcpt", r, false); !why.empty()) return why;
  }
  if (!a.mail_auth.empty()) {
    if (auto why = address_problem("--mail-auth", a.mail_auth, false); !why.empty()) return why;
  }
  if (!a.user.empty() && a.user.find(':') == std::string::npos)
    return "-u needs USER:PASSWORD (sockit does not prompt)";
  if (!a.login_options.empty() && a.login_options != "AUTH=PLAIN" &&
      a.login_options != "AUTH=LOGIN" && a.login_options != "AUTH=CRAM-MD5" &&
      a.login_options != "AUTH=*")
    return fmt::format("--login-options {}: use AUTH=CRAM-MD5, AUTH=PLAIN, AUTH=LOGIN or AUTH=*",
                       quote_arg(a.login_options));
  if (!a.user.empty() && !a.wants_tls() && !a.insecure)
    return "-u would send the password unencrypted: add --ssl-reqd (STARTTLS), use smtps://, "
           "or --insecure to allow it";
  if (a.implicit_tls && (a.ssl || a.ssl_reqd))
    return "smtps:// is TLS from the start; --ssl and --ssl-reqd are for smtp:// (STARTTLS)";
  if (!a.body.empty() && !a.body_file.empty()) return "--body and --body-file: pick one";
  if (a.builds_message() && !a.upload.empty())
    return "-T sends a ready message as it is; --subject, --header, --body, --body-file and "
           "--attach build one: pick one way";
  return {};
}

constexpr const char* kMailFooter =
    "Without --subject/--header/--body/--body-file/--attach the message is sent as it is\n"
    "(from -T FILE or stdin); with them sockit builds it, adding Date and Message-ID.\n"
    "Line endings become CRLF and lines starting with '.' are dot-stuffed, so no text can\n"
    "end the message early; a line over 998 octets is refused (exit 2), not broken.\n"
    "Timeouts per step are RFC 5321's: 5 min for the greeting and each command, 2 min for\n"
    "DATA, 3 min per block of the message, 10 min for the final reply.\n"
    "\n"
    "Exit codes besides the usual ones: 7 the server refused for good (5xx: recipient,\n"
    "sender, message, authentication, or a size or SMTPUTF8 limit known before sending),\n"
    "8 the server refused for now (4xx, 421): try again later.\n"
    "\n"
    "Examples:\n"
    "  sockit mail smtp://127.0.0.1:2525 --mail-from me@x.org --mail-rcpt you@y.org -T msg.eml\n"
    "  sockit mail smtp://mail.x.org:587 --ssl-reqd -u me:secret --mail-from me@x.org \\\n"
    "      --mail-rcpt you@y.org --subject 'Report' --body-file report.txt --attach data.csv\n"
    "  echo hi | sockit mail -v smtp://localhost:1025 --mail-rcpt a@b --subject test --body-file "
    "-";

int run_mail(MailArgs& a) {
  if (auto why = check_mail_args(a); !why.empty()) return usage_error(why);
  std::string usage;
  auto payload = make_mail_payload(a, usage);
  if (!payload) return usage_error(usage);
  return run_mail_session(a, *payload);
}

}  // namespace

void add_mail_command(CLI::App& app) {
  auto a = std::make_shared<MailArgs>();
  CLI::App* cmd = app.add_subcommand("mail", "Send one message over SMTP (curl's flags)");
  take_positionals(*cmd,
                   {"URL",
                    1,
                    1,
                    {{"URL",
                      "smtp://HOST[:PORT][/EHLO-NAME] (port 25) or smtps://... (port "
                      "465, TLS from the start)"}}},
                   {&a->url});
  cmd->add_option("--mail-from", a->from, "Sender address (MAIL FROM); default: <> (none)");
  cmd->add_option("--mail-rcpt", a->rcpt, "Recipient address (RCPT TO); repeat for more");
  cmd->add_flag("--mail-rcpt-allowfails", a->rcpt_allowfails,
                "Send to the recipients accepted even when some are refused");
  cmd->add_option("--mail-auth", a->mail_auth,
                  "Identity sent as MAIL FROM's AUTH= parameter (RFC 4954)");
  cmd->add_option("-u,--user", a->user, "USER:PASSWORD for AUTH CRAM-MD5, PLAIN or LOGIN");
  cmd->add_option(
      "--login-options", a->login_options,
      "AUTH=CRAM-MD5, AUTH=PLAIN or AUTH=LOGIN to pick the mechanism (default: the first "
      "offered of CRAM-MD5, PLAIN, LOGIN, as curl)");
  cmd->add_option("-T,--upload-file", a->upload,
                  "The message, headers included, from FILE ('-': stdin; the default)");
  cmd->add_flag("--ssl", a->ssl, "STARTTLS when the server offers it, else go on without TLS");
  cmd->add_flag("--ssl-reqd", a->ssl_reqd, "STARTTLS, and fail when the server does not offer it");
  cmd->add_option("--cacert", a->cacert, "Trust the CAs in this PEM file instead of the system's");
  cmd->add_flag("-k,--insecure", a->insecure,
                "Do not verify the certificate; allows -u without TLS");
  cmd->add_option("--connect-timeout", a->connect_timeout_s,
                  "Seconds to connect (and for smtps:// the handshake)")
      ->default_val(60.0)
      ->check(seconds_check(false));
  cmd->add_option("-m,--max-time", a->max_time_s,
                  "Give up after this many seconds in all (0 = only the per-step timeouts)")
      ->default_val(0.0)
      ->check(seconds_check());
  cmd->add_flag("-v,--verbose", a->verbose, "Show the dialogue on stderr (> sent, < received)");
  cmd->add_option("--subject", a->subject, "Build the message: its Subject");
  cmd->add_option("--header", a->headers, "Build the message: add 'Name: value'; repeatable");
  cmd->add_option("--body", a->body, "Build the message: its text");
  cmd->add_option("--body-file", a->body_file,
                  "Build the message: its text from FILE ('-': stdin)");
  cmd->add_option("--attach", a->attach, "Build the message: attach FILE (base64); repeatable");
  cmd->footer(kMailFooter);
  cmd->callback([a] { finish(run_mail(*a)); });
}

}  // namespace sockit::cli
