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

// MAIL and every RCPT, with their replies in `d`. With PIPELINING (RFC 2920) they go out in
// one write and the replies are read in order; DATA waits for them, since sent in the same group
// it could start a message for recipients we mean to drop.
Status Client::Impl::begin(const Envelope& e, Delivery& d) {
  const std::string mail = mail_command(e, caps);
  if (caps.pipelining) {
    if (parser.buffered() != 0) return fail(SmtpClientErrc::reply_too_early);
    d.pipelined = true;
    std::string group = mail + "\r\n";
    for (const auto& to : e.to)
      group += "RCPT TO:<" + to + ">\r\n";
    const Deadline deadline = step(options.timeouts.command);
    if (auto sent = send_lines(group, {}, deadline); !sent) return sent;
    auto reply = read_reply(deadline);
    if (!reply) return fail(reply.error());
    d.mail = std::move(*reply);
    for (std::size_t i = 0; i < e.to.size(); ++i) {
      reply = read_reply(step(options.timeouts.command));
      if (!reply) return fail(reply.error());
      d.rcpt.push_back(std::move(*reply));
    }
    return {};
  }
  auto reply = command(mail, options.timeouts.command, {});
  if (!reply) return fail(reply.error());
  d.mail = std::move(*reply);
  if (d.mail->klass() != 2) return {};
  for (const auto& to : e.to) {
    reply = command("RCPT TO:<" + to + ">", options.timeouts.command, {});
    if (!reply) return fail(reply.error());
    d.rcpt.push_back(std::move(*reply));
  }
  return {};
}

Result<Delivery> Client::send(const Envelope& envelope, std::string_view wire) {
  if (!valid_envelope(envelope)) return fail(std::make_error_code(std::errc::invalid_argument));
  Impl& s = *impl_;
  Delivery d;
  if (auto begun = s.begin(envelope, d); !begun) return fail(begun.error());
  if (d.mail->klass() != 2) return d;  // no transaction was begun: nothing to reset

  const std::size_t refused = d.refused().size();
  const bool cancel = refused == envelope.to.size() || (refused > 0 && !envelope.allow_rcpt_fails);
  if (!cancel) {
    auto reply = s.command("DATA", s.options.timeouts.data_start, {});
    if (!reply) return fail(reply.error());
    d.data = std::move(*reply);
  }
  if (cancel || d.data->code != 354) {
    auto reset = s.command("RSET", s.options.timeouts.command, {});
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
