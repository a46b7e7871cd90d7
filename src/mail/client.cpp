#include "sockit/mail/client.hpp"

#include <array>
#include <string>

#include "mail/client_impl.hpp"
#include "sockit/codec/smtp_message.hpp"
#include "sockit/stream/io.hpp"
#include "sockit/tls/digest.hpp"

namespace sockit::mail {
namespace {

// How a reply line looked on the wire, for the trace.
std::string wire_line(const SmtpReply& reply, std::size_t i) {
  std::string line = std::to_string(reply.code);
  line += i + 1 == reply.lines.size() ? ' ' : '-';
  return line + reply.lines[i];
}

}  // namespace

Result<std::size_t> Client::Impl::read_some(std::span<std::byte> out, Deadline deadline) {
  if (tls) return tls->read_some(out, deadline);
  if (tcp) return tcp->read_some(out, deadline);
  return fail(std::make_error_code(std::errc::not_connected));
}

Status Client::Impl::write_all(std::string_view data, Deadline deadline) {
  if (tls) return send_all(*tls, data, deadline);
  if (tcp) return send_all(*tcp, data, deadline);
  return fail(std::make_error_code(std::errc::not_connected));
}

Status Client::Impl::send_lines(std::string_view lines, std::string_view shown, Deadline deadline) {
  std::string_view rest = shown.empty() ? lines : shown;
  while (!rest.empty()) {
    const std::size_t end = rest.find("\r\n");
    trace(TraceKind::sent, rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
  }
  return write_all(lines, deadline);
}

Result<SmtpReply> Client::Impl::read_reply(Deadline deadline) {
  std::array<std::byte, 4096> chunk{};
  for (;;) {
    auto next = parser.next();
    if (!next) return fail(next.error());
    if (*next) {
      for (std::size_t i = 0; i < (*next)->lines.size(); ++i)
        trace(TraceKind::received, wire_line(**next, i));
      return std::move(**next);
    }
    // Each round either adds bytes (bounded by the parser's limits) or ends the call; the
    // deadline bounds the time.
    auto n = read_some(chunk, deadline);
    if (!n) return fail(n.error());
    if (*n == 0) return fail(Errc::closed_early);
    parser.feed(std::string_view(reinterpret_cast<const char*>(chunk.data()), *n));
  }
}

Result<SmtpReply> Client::Impl::command(std::string_view line, Millis timeout,
                                        std::string_view shown) {
  // Without pipelining every reply answers a command: bytes already waiting were not asked for.
  if (parser.buffered() != 0) return fail(SmtpClientErrc::reply_too_early);
  const Deadline deadline = step(timeout);
  std::string out(line);
  out += "\r\n";
  if (auto sent = send_lines(out, shown, deadline); !sent) return fail(sent.error());
  return read_reply(deadline);
}

Client::Client(TcpStream tcp, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(tcp), std::move(options))) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Status Client::start_tls(const TlsClientContext& context, std::string_view name,
                         Deadline deadline) {
  Impl& s = *impl_;
  if (!s.tcp) return fail(std::make_error_code(std::errc::not_connected));
  TcpStream tcp = std::move(*s.tcp);
  s.tcp.reset();
  auto tls = tls_connect(std::move(tcp), context, name,
                         earliest(deadline, s.step(s.options.timeouts.greeting)));
  if (!tls) return fail(tls.error());
  s.tls.emplace(std::move(*tls));
  s.trace(TraceKind::info, "TLS: " + s.tls->protocol() + ", " + s.tls->cipher());
  return {};
}

Result<SmtpReply> Client::greeting() {
  return impl_->read_reply(impl_->step(impl_->options.timeouts.greeting));
}

Result<SmtpReply> Client::hello(std::string_view name) {
  Impl& s = *impl_;
  s.caps = {};
  auto reply = s.command("EHLO " + std::string(name), s.options.timeouts.command, {});
  if (!reply) return reply;
  if (reply->klass() == 2) {
    s.caps = parse_ehlo(*reply);
    return reply;
  }
  if (reply->code != 500 && reply->code != 502) return reply;
  return s.command("HELO " + std::string(name), s.options.timeouts.command, {});
}

const SmtpCapabilities& Client::capabilities() const noexcept {
  return impl_->caps;
}

Result<SmtpReply> Client::starttls(const TlsClientContext& context, std::string_view name) {
  Impl& s = *impl_;
  auto reply = s.command("STARTTLS", s.options.timeouts.command, {});
  if (!reply || reply->code != 220) return reply;
  // Anything after the 220 came before the handshake, in the clear: an attacker's replies,
  // never the TLS server's. So are the capabilities: hello() must be asked again.
  s.discarded = s.parser.buffered();
  if (s.discarded != 0) {
    s.trace(TraceKind::info, "discarded " + std::to_string(s.discarded) +
                                 " bytes the server sent before the TLS handshake");
  }
  s.parser.reset();
  s.caps = {};
  if (auto started = start_tls(context, name); !started) return fail(started.error());
  return reply;
}

std::size_t Client::discarded_bytes() const noexcept {
  return impl_->discarded;
}

bool Client::tls_active() const noexcept {
  return impl_->tls.has_value();
}

const TlsSession* Client::tls_session() const noexcept {
  return impl_->tls ? &impl_->tls->session() : nullptr;
}

Result<SmtpReply> Client::auth_plain(std::string_view user, std::string_view password) {
  std::string credentials;
  credentials += '\0';
  credentials += user;
  credentials += '\0';
  credentials += password;
  return impl_->command("AUTH PLAIN " + base64_encode(credentials), impl_->options.timeouts.command,
                        "AUTH PLAIN [credentials hidden]");
}

Result<SmtpReply> Client::auth_login(std::string_view user, std::string_view password) {
  Impl& s = *impl_;
  auto reply = s.command("AUTH LOGIN", s.options.timeouts.command, {});
  if (!reply || reply->code != 334) return reply;
  reply = s.command(base64_encode(user), s.options.timeouts.command, "[user name hidden]");
  if (!reply || reply->code != 334) return reply;
  return s.command(base64_encode(password), s.options.timeouts.command, "[password hidden]");
}

Result<SmtpReply> Client::auth_cram_md5(std::string_view user, std::string_view password) {
  Impl& s = *impl_;
  auto reply = s.command("AUTH CRAM-MD5", s.options.timeouts.command, {});
  if (!reply || reply->code != 334) return reply;
  const auto challenge = base64_decode(reply->lines.empty() ? "" : reply->lines.front());
  if (!challenge || challenge->empty()) {
    (void)s.command("*", s.options.timeouts.command, {});  // keeps the dialogue in step
    return fail(SmtpClientErrc::unexpected_reply);
  }
  auto digest = hmac_md5_hex(password, *challenge);
  if (!digest) return fail(digest.error());
  std::string response(user);
  response += ' ';
  response += *digest;
  return s.command(base64_encode(response), s.options.timeouts.command, "[credentials hidden]");
}

Result<SmtpReply> Client::quit() {
  return impl_->command("QUIT", impl_->options.timeouts.command, {});
}

Result<SmtpReply> Client::command(std::string_view line, Millis timeout, std::string_view shown) {
  return impl_->command(line, timeout, shown);
}

}  // namespace sockit::mail
