// mail::Client::send: one message, MAIL FROM to the reply after the final ".".
#include <algorithm>
#include <string>

#include "mail/client_impl.hpp"
#include "sockit/mail/client.hpp"

namespace sockit::mail {
namespace {

// Bytes of the message per write: each block has the RFC's data-block timeout of its own, so
// a large message on a slow link is not held to one deadline for all of it.
constexpr std::size_t kBlock = 64 * 1024;

std::string mail_command(const Envelope& e, const SmtpCapabilities& caps) {
  std::string line = "MAIL FROM:<" + e.from + ">";
  if (caps.size && e.size > 0) line += " SIZE=" + std::to_string(e.size);
  if (e.eight_bit && caps.eightbitmime) line += " BODY=8BITMIME";
  if (e.smtputf8 && caps.smtputf8) line += " SMTPUTF8";
  if (!e.auth.empty() && !caps.auth.empty()) line += " AUTH=" + xtext(e.auth);
  return line;
}

bool valid_envelope(const Envelope& e) {
  if (e.to.empty() || !valid_address(e.from)) return false;
  return std::all_of(e.to.begin(), e.to.end(),
                     [](const std::string& to) { return !to.empty() && valid_address(to); });
}

}  // namespace

std::vector<std::size_t> Delivery::refused() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < rcpt.size(); ++i) {
    if (rcpt[i].klass() != 2) out.push_back(i);
  }
  return out;
}

Result<Delivery> Client::send(const Envelope& envelope, std::string_view wire) {
  if (!valid_envelope(envelope)) return fail(std::make_error_code(std::errc::invalid_argument));
  Impl& s = *impl_;
  const Millis command_timeout = s.options.timeouts.command;
  const std::string mail = mail_command(envelope, s.caps);
  Delivery d;
  if (s.caps.pipelining) {
    // RFC 2920: MAIL and every RCPT in one write, then their replies in order. DATA waits for
    // them: sent in the same group it could start a message for recipients we mean to drop.
    if (s.parser.buffered() != 0) return fail(SmtpClientErrc::reply_too_early);
    d.pipelined = true;
    std::string group = mail + "\r\n";
    for (const auto& to : envelope.to)
      group += "RCPT TO:<" + to + ">\r\n";
    const Deadline deadline = s.step(command_timeout);
    if (auto sent = s.send_lines(group, {}, deadline); !sent) return fail(sent.error());
    auto reply = s.read_reply(deadline);
    if (!reply) return fail(reply.error());
    d.mail = std::move(*reply);
    for (std::size_t i = 0; i < envelope.to.size(); ++i) {
      reply = s.read_reply(s.step(command_timeout));
      if (!reply) return fail(reply.error());
      d.rcpt.push_back(std::move(*reply));
    }
    if (d.mail->klass() != 2) return d;
  } else {
    auto reply = s.command(mail, command_timeout, {});
    if (!reply) return fail(reply.error());
    d.mail = std::move(*reply);
    if (d.mail->klass() != 2) return d;
    for (const auto& to : envelope.to) {
      reply = s.command("RCPT TO:<" + to + ">", command_timeout, {});
      if (!reply) return fail(reply.error());
      d.rcpt.push_back(std::move(*reply));
    }
  }

  const std::size_t refused = d.refused().size();
  const bool cancel = refused == envelope.to.size() || (refused > 0 && !envelope.allow_rcpt_fails);
  if (!cancel) {
    auto reply = s.command("DATA", s.options.timeouts.data_start, {});
    if (!reply) return fail(reply.error());
    d.data = std::move(*reply);
  }
  if (cancel || d.data->code != 354) {
    auto reset = s.command("RSET", command_timeout, {});
    if (!reset) return fail(reset.error());
    return d;
  }
  s.trace(TraceKind::info, "sending the message: " + std::to_string(wire.size()) + " bytes");
  for (std::size_t at = 0; at < wire.size(); at += kBlock) {
    const auto block = wire.substr(at, kBlock);
    if (auto sent = s.write_all(block, s.step(s.options.timeouts.data_block)); !sent)
      return fail(sent.error());
  }
  auto done = s.read_reply(s.step(s.options.timeouts.data_end));
  if (!done) return fail(done.error());
  d.done = std::move(*done);
  return d;
}

}  // namespace sockit::mail
