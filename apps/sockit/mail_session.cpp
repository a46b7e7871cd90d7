// The SMTP dialogue of `sockit mail`: connect, greeting, EHLO, STARTTLS, AUTH, the message,
// QUIT; every refusal explained in one line with its exit code.
#include <cstdio>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "exit_codes.hpp"
#include "mail.hpp"
#include "options.hpp"
#include "output.hpp"
#include "sockit/codec/smtp_message.hpp"
#include "sockit/mail/client.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/tls/context.hpp"

namespace sockit::cli {
namespace {

using mail::TraceKind;

void print_trace(TraceKind kind, std::string_view line) {
  const char mark = kind == TraceKind::sent ? '>' : kind == TraceKind::received ? '<' : '*';
  const std::string text = std::string(1, mark) + " " + one_line(line) + "\n";
  std::fputs(text.c_str(), stderr);
}

std::string reply_text(const SmtpReply& r) {
  std::string out = std::to_string(r.code);
  if (const std::string t = r.text(); !t.empty()) out += " " + t;
  if (const auto meaning = mail::reply_meaning(r.code); !meaning.empty())
    out += " (" + std::string(meaning) + ")";
  return out;
}

int stop(std::string_view message, int code) {
  note(message);
  return code;
}

class MailSession {
 public:
  MailSession(const MailArgs& a, const MailPayload& p)
      : a_(a), p_(p), where_(fmt::format("{} port {}", show_arg(a.host), a.port)) {}

  int run() {
    if (a_.wants_tls()) {
      TlsClientOptions o;
      o.ca_file = a_.cacert;
      o.verify = !a_.insecure;
      auto ctx = TlsClientContext::create(o);
      if (!ctx) {
        return usage_error(a_.cacert.empty() ? "TLS set-up failed: " + ctx.error().message()
                                             : fmt::format("--cacert {}: {}", show_arg(a_.cacert),
                                                           ctx.error().message()));
      }
      context_.emplace(std::move(*ctx));
      if (a_.insecure) warn("-k: the server's certificate and name are not verified");
    }
    const Deadline overall =
        a_.max_time_s > 0 ? Deadline::after(to_millis(a_.max_time_s)) : Deadline::never();
    ConnectOptions co;
    const Deadline connect_by = earliest(overall, Deadline::after(to_millis(a_.connect_timeout_s)));
    co.deadline = connect_by;
    auto tcp = TcpStream::connect(a_.host, a_.port, co);
    if (!tcp) return report_error(tcp.error(), "cannot connect to " + where_, port());
    mail::ClientOptions options;
    options.overall = overall;
    if (a_.verbose) options.trace = print_trace;
    client_.emplace(std::move(*tcp), std::move(options));
    if (a_.implicit_tls) {
      if (auto st = client_->start_tls(*context_, a_.host, connect_by); !st)
        return report_error(st.error(), "TLS handshake with " + where_, port());
    }
    int code = open();
    if (code == kExitOk) code = authenticate();
    if (code == kExitOk) code = deliver();
    // Polite, best effort: the outcome is known. Not after an I/O failure or a 421 (the server
    // is closing already).
    if (!closing_ && code != kExitNetwork && code != kExitTimeout && code != kExitTls)
      (void)client_->quit();
    return code;
  }

 private:
  // A reply that ends the session: one line, and the code for its class.
  int refused(std::string_view what, const SmtpReply& r) {
    note(fmt::format("{}: {}", what, reply_text(r)));
    closing_ = closing_ || r.code == 421;
    if (r.klass() == 4) return kExitMailLater;
    if (r.klass() == 5) return kExitMailRefused;
    return kExitNetwork;  // a positive code where the step needed another: a protocol error
  }

  int port() const { return std::stoi(a_.port); }

  int io_error(std::error_code ec, std::string_view step) {
    return report_error(ec, fmt::format("{} with {}", step, where_), port());
  }

  // Greeting, EHLO, and STARTTLS with a second EHLO when asked for.
  int open() {
    auto hi = client_->greeting();
    if (!hi) return io_error(hi.error(), "greeting");
    if (hi->code != 220) return refused(where_ + " refused the session", *hi);
    if (int code = hello(); code != kExitOk) return code;
    if (!(a_.ssl || a_.ssl_reqd)) return kExitOk;
    if (!client_->capabilities().starttls) {
      if (a_.ssl_reqd)
        return stop(where_ + " does not offer STARTTLS (--ssl-reqd): nothing sent", kExitTls);
      warn(where_ + " does not offer STARTTLS: going on without TLS (--ssl-reqd refuses)");
      return kExitOk;
    }
    auto r = client_->starttls(*context_, a_.host);
    if (!r) return io_error(r.error(), "TLS handshake after STARTTLS");
    if (r->code != 220) {
      if (a_.ssl_reqd) return refused("STARTTLS refused (--ssl-reqd): nothing sent", *r);
      warn(fmt::format("STARTTLS refused: {}: going on without TLS", reply_text(*r)));
      return kExitOk;
    }
    return hello();
  }

  int hello() {
    auto r = client_->hello(a_.helo);
    if (!r) return io_error(r.error(), "EHLO");
    if (r->klass() != 2) return refused("EHLO and HELO refused", *r);
    return kExitOk;
  }

  int authenticate() {
    if (a_.user.empty()) return kExitOk;
    if (!client_->tls_active() && !a_.insecure) {
      return stop(
          "no TLS with " + where_ + ": the password is not sent unencrypted (--insecure allows it)",
          kExitTls);
    }
    const std::size_t colon = a_.user.find(':');
    const std::string user = a_.user.substr(0, colon);
    const std::string password = a_.user.substr(colon + 1);
    const auto& caps = client_->capabilities();
    // AUTH=MECH picks one; else the strongest offered, in curl's order (CRAM-MD5 before
    // PLAIN before LOGIN, as its SASL code ranks them by decreasing security).
    std::string mech = a_.login_options.starts_with("AUTH=") && a_.login_options != "AUTH=*"
                           ? a_.login_options.substr(5)
                           : "";
    for (const char* m : {"CRAM-MD5", "PLAIN", "LOGIN"}) {
      if (mech.empty() && caps.has_auth(m)) mech = m;
    }
    if (mech.empty() || !caps.has_auth(mech)) {
      std::string offered;
      for (const auto& m : caps.auth)
        offered += (offered.empty() ? "" : " ") + m;
      return stop(fmt::format("{} offers no AUTH {} (offers: {})", where_,
                              mech.empty() ? "CRAM-MD5, PLAIN or LOGIN" : mech,
                              offered.empty() ? "none" : offered),
                  kExitMailRefused);
    }
    auto r = mech == "CRAM-MD5" ? client_->auth_cram_md5(user, password)
             : mech == "PLAIN"  ? client_->auth_plain(user, password)
                                : client_->auth_login(user, password);
    if (!r) return io_error(r.error(), "AUTH");
    if (r->code != 235) return refused("authentication failed", *r);
    return kExitOk;
  }

  // Checks the server's limits, sends, and reports the outcome.
  int deliver() {
    const auto& caps = client_->capabilities();
    if (caps.size && caps.max_size > 0 && p_.size > caps.max_size) {
      return stop(fmt::format("the message is {} bytes; {} accepts at most {} (SIZE): not sent",
                              p_.size, where_, caps.max_size),
                  kExitMailRefused);
    }
    mail::Envelope e;
    e.from = a_.from;
    e.to = a_.rcpt;
    e.size = p_.size;
    e.eight_bit = p_.eight_bit;
    e.auth = a_.mail_auth;
    e.allow_rcpt_fails = a_.rcpt_allowfails;
    e.smtputf8 = has_eight_bit(a_.from);
    for (const auto& r : a_.rcpt)
      e.smtputf8 = e.smtputf8 || has_eight_bit(r);
    if (e.smtputf8 && !caps.smtputf8) {
      return stop(where_ +
                      " does not offer SMTPUTF8, which addresses that are not ASCII need: "
                      "not sent",
                  kExitMailRefused);
    }
    if (e.eight_bit && !caps.eightbitmime)
      warn(where_ + " does not offer 8BITMIME; the message has 8-bit bytes: sent as it is");
    auto d = client_->send(e, p_.wire);
    if (!d) return io_error(d.error(), "sending the message");
    return report(*d);
  }

  int report(const mail::Delivery& d) {
    if (d.mail && d.mail->klass() != 2)
      return refused(fmt::format("sender <{}> refused", a_.from), *d.mail);
    std::string refusals;
    int first_code = kExitOk;
    for (const std::size_t i : d.refused()) {
      refusals += fmt::format("{}<{}>: {}", refusals.empty() ? "" : "; ", a_.rcpt[i],
                              reply_text(d.rcpt[i]));
      if (first_code == kExitOk)
        first_code = d.rcpt[i].klass() == 4 ? kExitMailLater : kExitMailRefused;
    }
    if (!refusals.empty() && !d.data) {
      const std::size_t n = d.refused().size();
      return stop(
          fmt::format("{} of {} recipients refused, nothing sent{}: {}", n, a_.rcpt.size(),
                      n < a_.rcpt.size() ? " (--mail-rcpt-allowfails sends to the rest)" : "",
                      refusals),
          first_code);
    }
    if (d.data && d.data->code != 354) return refused("DATA refused", *d.data);
    if (d.done && d.done->klass() != 2) return refused("message refused", *d.done);
    if (!refusals.empty()) {
      warn(fmt::format("delivered to {} of {} recipients; refused: {}",
                       a_.rcpt.size() - d.refused().size(), a_.rcpt.size(), refusals));
    }
    if (a_.verbose && d.done) note("message accepted: " + reply_text(*d.done));
    return kExitOk;
  }

  const MailArgs& a_;
  const MailPayload& p_;
  std::string where_;
  std::optional<TlsClientContext> context_;
  std::optional<mail::Client> client_;
  bool closing_ = false;
};

}  // namespace

int run_mail_session(const MailArgs& a, const MailPayload& payload) {
  return MailSession(a, payload).run();
}

}  // namespace sockit::cli
