// The state behind mail::Client (client.hpp), shared by client.cpp (the connection, replies,
// TLS, AUTH) and transaction.cpp (MAIL, RCPT, DATA).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sockit/codec/smtp_reply.hpp"
#include "sockit/mail/client.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/tls/stream.hpp"

namespace sockit::mail {

struct Client::Impl {
  ClientOptions options;
  // Exactly one of the two holds the connection (none after a failed TLS handshake).
  std::optional<TcpStream> tcp;
  std::optional<TlsStream<TcpStream>> tls;
  SmtpReplyParser parser;
  SmtpCapabilities caps;
  std::size_t discarded = 0;

  Impl(TcpStream stream, ClientOptions o)
      : options(std::move(o)), tcp(std::move(stream)), parser(options.limits) {}

  /// A step's deadline: its own timeout, never past the overall one.
  Deadline step(Millis timeout) const {
    return earliest(options.overall, Deadline::after(timeout));
  }
  void trace(TraceKind kind, std::string_view text) const {
    if (options.trace) options.trace(kind, text);
  }
  Result<std::size_t> read_some(std::span<std::byte> out, Deadline deadline);
  Status write_all(std::string_view data, Deadline deadline);
  /// Sends lines (each already ending in CRLF) traced as `shown` lines (or themselves).
  Status send_lines(std::string_view lines, std::string_view shown, Deadline deadline);
  Result<SmtpReply> read_reply(Deadline deadline);
  Result<SmtpReply> command(std::string_view line, Millis timeout, std::string_view shown);
  /// MAIL FROM and RCPT TO (transaction.cpp), their replies into `d`.
  Status begin(const Envelope& e, Delivery& d);
};

}  // namespace sockit::mail
