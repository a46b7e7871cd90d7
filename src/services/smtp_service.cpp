// The SMTP mailbox session: one per connection, answering the events SmtpServerCodec hands
// over. Replies are collected until the codec marks the last complete command of a read, then
// sent with one Peer::send (RFC 2920 pipelining); a switch of framing (DATA's 354, STARTTLS's
// 220) sends at once, since the client waits for it.
#include <array>
#include <string>
#include <vector>

#include "smtp_internal.hpp"
#include "sockit/codec/smtp_message.hpp"
#include "sockit/tls/connection_filter.hpp"
#include "sockit/tls/digest.hpp"

namespace sockit {
namespace smtp_service {
namespace {

struct Shared {
  SmtpServiceOptions options;
  std::string size_line;  // "SIZE n"
};

enum class AuthStep : std::uint8_t { none, plain, login_user, login_password, cram_md5 };

class SmtpSession final : public Session {
 public:
  explicit SmtpSession(const Shared& s) : s_(s), o_(s.options) {}
  void on_open(Peer& peer) override;
  void on_message(std::string_view message, Peer& peer) override;
  void on_drain(Peer& peer) override;

 private:
  void command(std::string_view line, Peer& peer);
  void ehlo(const SmtpCommand& c, bool extended);
  void mail(const SmtpCommand& c);
  void rcpt(const SmtpCommand& c);
  void data(const SmtpCommand& c, Peer& peer);
  void body(std::string_view text);
  void starttls(const SmtpCommand& c, Peer& peer);
  void auth(const SmtpCommand& c);
  void auth_response(std::string_view line);
  void check_credentials(std::string_view user, std::string_view password);
  void check_cram_md5(std::string_view response);
  void reply(int code, std::string_view text) { append_smtp_reply(out_, code, text); }
  // A complete reply line from smtp_error_reply().
  void line(std::string_view text) {
    out_ += text;
    out_ += "\r\n";
  }
  void flush(Peer& peer) {
    if (!out_.empty()) peer.send(out_);
    out_.clear();
  }
  void reset_transaction() {
    mail_.reset();
    rcpts_.clear();
    utf8_ = false;
  }
  bool auth_offered() const { return !o_.auth_user.empty() && (!o_.tls || tls_); }

  const Shared& s_;
  const SmtpServiceOptions& o_;
  SmtpServerCodec* codec_ = nullptr;
  std::string out_;  // replies not sent yet
  std::string helo_, remote_, auth_user_, login_user_;
  std::string challenge_;  // CRAM-MD5's, while its answer is awaited
  bool esmtp_ = false, tls_ = false, quit_ = false;
  AuthStep auth_step_ = AuthStep::none;
  std::optional<std::string> mail_;
  std::vector<std::string> rcpts_;
  bool utf8_ = false;
};

void SmtpSession::on_open(Peer& peer) {
  remote_ = peer.remote();
  codec_ = dynamic_cast<SmtpServerCodec*>(peer.codec());
  if (codec_ == nullptr) {  // a --framing override: this session cannot work
    peer.send("421 4.3.0 Service needs the smtp codec\r\n");
    peer.close();
    return;
  }
  reply(220, o_.hostname + " ESMTP sockit ready");
  flush(peer);
}

void SmtpSession::on_message(std::string_view message, Peer& peer) {
  if (codec_ == nullptr || quit_) return;
  const SmtpEvent e = decode_smtp_event(message);
  switch (e.kind) {
    case SmtpEvent::Kind::command:
      command(e.text, peer);
      break;
    case SmtpEvent::Kind::body:
      body(e.text);
      break;
    case SmtpEvent::Kind::error:
      auth_step_ = AuthStep::none;
      line(smtp_error_reply(e.error));
      break;
    case SmtpEvent::Kind::refused:
      line(smtp_error_reply(e.error, true));
      reset_transaction();
      break;
    case SmtpEvent::Kind::invalid:
      break;
  }
  if (quit_) {
    flush(peer);
    peer.close();
  } else if (e.last || out_.size() >= 16 * 1024) {
    flush(peer);
  }
}

// RFC 5321 §3.8: a server that must shut down answers 421 rather than just closing. The drain
// calls this only at a quiet point, so a message in DATA has been answered before; with the
// enhanced code (RFC 3463 4.3.2, system not accepting messages) like every other reply here.
void SmtpSession::on_drain(Peer& peer) {
  if (codec_ == nullptr || quit_) return;
  quit_ = true;
  reply(421, "4.3.2 " + o_.hostname + " Service not available, closing transmission channel");
  flush(peer);
}

void SmtpSession::command(std::string_view line, Peer& peer) {
  if (auth_step_ != AuthStep::none) return auth_response(line);
  const SmtpCommand c = split_smtp_command(line);
  const auto is = [&](std::string_view v) { return smtp_verb_is(c.verb, v); };
  if (is("EHLO") || is("HELO")) return ehlo(c, is("EHLO"));
  if (is("MAIL")) return mail(c);
  if (is("RCPT")) return rcpt(c);
  if (is("DATA")) return data(c, peer);
  if (is("RSET")) {
    reset_transaction();
    return reply(250, "2.0.0 OK");
  }
  if (is("NOOP")) return reply(250, "2.0.0 OK");
  if (is("QUIT")) {
    quit_ = true;
    return reply(221, "2.0.0 " + o_.hostname + " closing connection");
  }
  if (is("VRFY")) return reply(252, "2.5.0 Cannot VRFY user, but will accept message");
  if (is("HELP")) {
    return reply(214,
                 "2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH");
  }
  if (is("STARTTLS")) return starttls(c, peer);
  if (is("AUTH")) return auth(c);
  reply(500, "5.5.2 Command not recognized");
}

void SmtpSession::ehlo(const SmtpCommand& c, bool extended) {
  if (c.argument.empty()) return reply(501, "5.5.4 Syntax: EHLO hostname");
  helo_.assign(c.argument);
  esmtp_ = extended;
  reset_transaction();
  const std::string greet = o_.hostname + " greets " + helo_;
  if (!extended) return reply(250, greet);
  std::vector<std::string_view> lines{greet,      "PIPELINING", s_.size_line,
                                      "8BITMIME", "SMTPUTF8",   "ENHANCEDSTATUSCODES"};
  if (o_.tls && !tls_) lines.push_back("STARTTLS");
  if (auth_offered() && auth_user_.empty()) lines.push_back("AUTH CRAM-MD5 PLAIN LOGIN");
  lines.push_back("HELP");
  append_smtp_reply(out_, 250, lines);
}

void SmtpSession::mail(const SmtpCommand& c) {
  if (helo_.empty()) return reply(503, "5.5.1 Send EHLO or HELO first");
  if (!o_.auth_user.empty() && auth_user_.empty()) {
    return reply(530, o_.tls && !tls_ ? "5.7.0 Must issue a STARTTLS command first"
                                      : "5.7.0 Authentication required");
  }
  if (mail_) return reply(503, "5.5.1 Nested MAIL command");
  auto path = parse_mail_from(c.argument);
  if (!path) return line(smtp_error_reply(path.error()));
  if (path->size && *path->size > o_.limits.max_message)
    return reply(552, "5.3.4 Message size exceeds fixed maximum message size");
  if (path->smtputf8 && !esmtp_) return reply(501, "5.5.4 SMTPUTF8 needs EHLO");
  mail_.emplace(path->address);
  utf8_ = path->smtputf8;
  reply(250, "2.1.0 OK");
}

void SmtpSession::rcpt(const SmtpCommand& c) {
  if (!mail_) return reply(503, "5.5.1 Need MAIL before RCPT");
  auto path = parse_rcpt_to(c.argument);
  if (!path) return line(smtp_error_reply(path.error()));
  if (path->non_ascii && !utf8_) return line(smtp_error_reply(SmtpServerErrc::needs_smtputf8));
  if (rcpts_.size() >= o_.max_recipients) return reply(452, "4.5.3 Too many recipients");
  rcpts_.emplace_back(path->address);
  reply(250, "2.1.5 OK");
}

void SmtpSession::data(const SmtpCommand& c, Peer& peer) {
  if (!c.argument.empty()) return reply(501, "5.5.4 Syntax: DATA");
  if (!mail_) return reply(503, "5.5.1 Need MAIL command");
  if (rcpts_.empty()) return reply(554, "5.5.1 No valid recipients");
  codec_->begin_data();
  reply(354, "End data with <CR><LF>.<CR><LF>");
  flush(peer);
}

void SmtpSession::body(std::string_view text) {
  Envelope e;
  e.id = new_id();
  e.remote = remote_;
  e.helo = helo_;
  e.from = mail_.value_or("");
  e.to = std::move(rcpts_);
  e.auth_user = auth_user_;
  e.esmtp = esmtp_;
  e.tls = tls_;
  reset_transaction();
  const std::string header = received_header(e, o_.hostname);
  std::string stored;
  if (!o_.maildir.empty()) {
    auto path = store_in_maildir(o_.maildir, e.id, header, text);
    if (!path) return reply(451, "4.3.0 Cannot store the message: " + path.error().message());
    stored = std::move(*path);
  }
  if (o_.deliver) {
    std::string message = header;
    message.append(text);
    o_.deliver(message);
  }
  if (o_.log) o_.log(log_line(e, header.size() + text.size(), stored, o_.log_format));
  reply(250, "2.0.0 OK queued as " + e.id);
}

// RFC 3207: the 220 goes out in plaintext, then TLS starts; what the client pipelined after
// STARTTLS is dropped (codec and connection), and the session starts over, EHLO included.
void SmtpSession::starttls(const SmtpCommand& c, Peer& peer) {
  if (!o_.tls) return reply(502, "5.5.1 STARTTLS not available");
  if (tls_) return reply(503, "5.5.1 TLS already active");
  if (!c.argument.empty()) return reply(501, "5.5.4 Syntax: STARTTLS");
  const TlsFilterOptions fo{.handshake_timeout = o_.tls_handshake_timeout};
  auto filter = tls_server_filter(*o_.tls, fo, Clock::now());
  if (!filter) return reply(454, "4.7.0 TLS not available due to temporary reason");
  reply(220, "2.0.0 Ready to start TLS");
  flush(peer);
  codec_->discard_input();
  if (auto st = peer.start_filter(std::move(*filter)); !st) {
    peer.close();
    return;
  }
  tls_ = true;
  helo_.clear();
  esmtp_ = false;
  auth_user_.clear();
  reset_transaction();
}

void SmtpSession::auth(const SmtpCommand& c) {
  if (o_.auth_user.empty()) return reply(502, "5.5.1 AUTH not available");
  if (o_.tls && !tls_)
    return reply(538, "5.7.11 Encryption required for requested authentication mechanism");
  if (helo_.empty()) return reply(503, "5.5.1 Send EHLO first");
  if (!auth_user_.empty()) return reply(503, "5.5.1 Already authenticated");
  if (mail_) return reply(503, "5.5.1 AUTH not allowed during a mail transaction");
  const SmtpCommand m = split_smtp_command(c.argument);
  if (smtp_verb_is(m.verb, "PLAIN")) {
    if (m.argument.empty()) {
      auth_step_ = AuthStep::plain;
      return line("334 ");  // an empty challenge, with its space (RFC 4954 §4)
    }
    auth_step_ = AuthStep::plain;
    return auth_response(m.argument);
  }
  if (smtp_verb_is(m.verb, "LOGIN")) {
    if (m.argument.empty()) {
      auth_step_ = AuthStep::login_user;
      return reply(334, "VXNlcm5hbWU6");  // "Username:"
    }
    auth_step_ = AuthStep::login_user;
    return auth_response(m.argument);
  }
  if (smtp_verb_is(m.verb, "CRAM-MD5")) {
    if (!m.argument.empty()) return reply(501, "5.5.4 CRAM-MD5 has no initial response");
    // RFC 2195 §2: a challenge in the form of a message id, never used twice.
    challenge_ = "<" + new_id() + "@" + o_.hostname + ">";
    auth_step_ = AuthStep::cram_md5;
    return reply(334, base64_encode(challenge_));
  }
  reply(504, "5.5.4 Unrecognized authentication type");
}

void SmtpSession::auth_response(std::string_view text) {
  const AuthStep step = auth_step_;
  auth_step_ = AuthStep::none;
  if (text == "*") return reply(501, "5.0.0 Authentication cancelled");
  const auto decoded = base64_decode(text);
  if (!decoded) return reply(501, "5.5.2 Cannot decode the response (base64)");
  if (step == AuthStep::login_user) {
    login_user_ = *decoded;
    auth_step_ = AuthStep::login_password;
    return reply(334, "UGFzc3dvcmQ6");  // "Password:"
  }
  if (step == AuthStep::login_password) return check_credentials(login_user_, *decoded);
  if (step == AuthStep::cram_md5) return check_cram_md5(*decoded);
  // PLAIN: authzid NUL authcid NUL passwd (RFC 4616); an authzid must be empty or the user.
  const std::string_view v = *decoded;
  const auto a = v.find('\0');
  const auto b = a == std::string_view::npos ? a : v.find('\0', a + 1);
  if (b == std::string_view::npos) return reply(501, "5.5.2 Malformed PLAIN response");
  const std::string_view authz = v.substr(0, a), user = v.substr(a + 1, b - a - 1);
  if (!authz.empty() && authz != user)
    return reply(535, "5.7.8 Authentication credentials invalid");
  check_credentials(user, v.substr(b + 1));
}

void SmtpSession::check_credentials(std::string_view user, std::string_view password) {
  if (user != o_.auth_user || password != o_.auth_password)
    return reply(535, "5.7.8 Authentication credentials invalid");
  auth_user_.assign(user);
  reply(235, "2.7.0 Authentication successful");
}

// RFC 2195: "USER DIGEST", the digest being HMAC-MD5 of our challenge under the password, in
// lower-case hex. The user name may hold spaces: the digest is what follows the last one.
void SmtpSession::check_cram_md5(std::string_view response) {
  const std::string challenge = std::move(challenge_);
  challenge_.clear();
  const auto space = response.rfind(' ');
  if (space == std::string_view::npos || space == 0)
    return reply(501, "5.5.2 Malformed CRAM-MD5 response");
  const auto expected = hmac_md5_hex(o_.auth_password, challenge);
  if (!expected) return reply(454, "4.7.0 Temporary authentication failure");
  const std::string_view user = response.substr(0, space), digest = response.substr(space + 1);
  // Compared in full whatever differs first: the time taken says nothing about the digest.
  unsigned diff = digest.size() == expected->size() ? 0U : 1U;
  for (std::size_t i = 0; i < expected->size() && i < digest.size(); ++i)
    diff |= static_cast<unsigned>(digest[i] ^ (*expected)[i]);
  if (user != o_.auth_user || diff != 0)
    return reply(535, "5.7.8 Authentication credentials invalid");
  auth_user_.assign(user);
  reply(235, "2.7.0 Authentication successful");
}

class SmtpService final : public Service {
 public:
  explicit SmtpService(SmtpServiceOptions o) {
    shared_.options = std::move(o);
    shared_.size_line = "SIZE " + std::to_string(shared_.options.limits.max_message);
  }
  std::string_view name() const override { return "smtp"; }
  CodecPtr make_codec(std::size_t) const override {
    return std::make_unique<SmtpServerCodec>(shared_.options.limits);
  }
  std::unique_ptr<Session> open_session() override {
    return std::make_unique<SmtpSession>(shared_);
  }

 private:
  Shared shared_;
};

}  // namespace
}  // namespace smtp_service

Result<std::unique_ptr<Service>> make_smtp_service(SmtpServiceOptions options) {
  if (!options.maildir.empty()) {
    if (auto st = smtp_service::prepare_maildir(options.maildir); !st) return fail(st.error());
  }
  return std::make_unique<smtp_service::SmtpService>(std::move(options));
}

}  // namespace sockit
