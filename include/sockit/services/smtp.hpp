// The SMTP test mailbox behind `sockit serve smtp`: accepts mail for any recipient and stores
// each message in a Maildir and/or hands it to a callback, on every server model, through the
// Service/MessageCodec seam (codec/smtp_server.hpp frames the client's bytes; nothing in server/
// knows SMTP).
//
// Protocol: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY (252), HELP; EHLO advertises
// PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, STARTTLS (with a TLS context) and
// AUTH CRAM-MD5 PLAIN LOGIN (with credentials; only after STARTTLS when TLS is configured). Replies
// to a read's worth of pipelined commands go out in one write. STARTTLS switches the connection to
// TLS in place (Peer::start_filter); plaintext the client sent after it is discarded, and the
// session forgets EHLO, the transaction and any AUTH (RFC 3207 §4.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "sockit/codec/smtp_server.hpp"
#include "sockit/core/error.hpp"
#include "sockit/server/service.hpp"
#include "sockit/tls/context.hpp"

namespace sockit {

enum class SmtpLogFormat : std::uint8_t { none, text, json };

struct SmtpServiceOptions {
  std::string hostname = "sockit.localhost";  ///< in the greeting and Received: headers
  SmtpServerLimits limits;                    ///< max_message is advertised as SIZE
  std::size_t max_recipients = 100;           ///< per message; more: 452 4.5.3
  /// Store each message as a file in this Maildir (tmp/ then renamed into new/); created with
  /// tmp/, new/ and cur/ when missing. Empty: no Maildir.
  std::string maildir;
  /// Receives each accepted message (Received: header first), from any serving thread, one
  /// call at a time per connection: must be thread-safe.
  std::function<void(std::string_view message)> deliver;
  /// STARTTLS with this context (null: not offered).
  std::shared_ptr<const TlsServerContext> tls;
  Clock::duration tls_handshake_timeout = std::chrono::seconds(10);
  /// Required credentials ("" user: no AUTH offered, none required).
  std::string auth_user, auth_password;
  SmtpLogFormat log_format = SmtpLogFormat::text;
  /// Receives one line per accepted message (no newline): must be thread-safe.
  std::function<void(std::string_view line)> log;
};

/// The service, or an error when the Maildir cannot be created or opened.
[[nodiscard]] Result<std::unique_ptr<Service>> make_smtp_service(SmtpServiceOptions options);

}  // namespace sockit
