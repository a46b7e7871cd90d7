// mail::Client: a blocking SMTP client (RFC 5321) over a TCP stream, with STARTTLS (RFC 3207)
// or implicit TLS, AUTH CRAM-MD5/PLAIN/LOGIN (RFC 4954, RFC 2195), PIPELINING (RFC 2920) and SIZE
// (RFC 1870).
//
//   auto tcp = TcpStream::connect("mx.example", "25", {.deadline = connect_deadline});
//   mail::Client c(std::move(*tcp), {});
//   auto hi = c.greeting();                 // 220, or the server's refusal
//   auto caps = c.hello("me.example");      // EHLO, HELO when EHLO is not understood
//   c.starttls(context, "mx.example");      // then hello() again: capabilities start over
//   auto d = c.send(envelope, wire);        // wire: SmtpDataEncoder's output
//   c.quit();
//
// Replies are values: a refusal (4xx, 5xx) is a successful call that returns the reply; only
// I/O failures, deadlines and malformed replies are errors (Result's error_code: the stream's
// codes, Errc::deadline_passed, smtp_client_category() codes).
//
// Safety rules kept here, not left to callers:
//   - after STARTTLS's 220, whatever the server sent before the handshake is thrown away
//     (the response-injection class, CVE-2021-22947), and so are the capabilities learned in
//     plaintext: the caller must say EHLO again;
//   - an address holding a control byte, a space or an angle bracket is refused before
//     anything is sent (no command injection through addresses);
//   - a reply line or a reply longer than ClientOptions::limits is an error, not a hang;
//   - credentials never reach the trace: AUTH lines are shown masked.
// The library never prints: the trace callback gets each line sent and received.
// Thread rule: one Client, one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/codec/smtp_reply.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/tls/context.hpp"
#include "sockit/tls/session.hpp"

namespace sockit::mail {

/// RFC 5321 §4.5.3.2's minimum timeouts, each for one step.
struct Timeouts {
  Millis greeting{std::chrono::minutes(5)};    ///< the 220 greeting (and a TLS handshake)
  Millis command{std::chrono::minutes(5)};     ///< EHLO, MAIL, RCPT, AUTH, STARTTLS, RSET, QUIT
  Millis data_start{std::chrono::minutes(2)};  ///< the 354 after DATA
  Millis data_block{std::chrono::minutes(3)};  ///< each block of the message sent
  Millis data_end{std::chrono::minutes(10)};   ///< the reply after the final "."
};

enum class TraceKind : std::uint8_t {
  sent,      ///< a command line as sent (credentials masked)
  received,  ///< a reply line as received
  info,      ///< what the client did on its own (TLS started, bytes discarded, ...)
};
using Trace = std::function<void(TraceKind, std::string_view)>;

struct ClientOptions {
  SmtpReplyLimits limits{};
  Timeouts timeouts{};
  /// Bounds every step together (curl's -m): each step waits until the earlier of its own
  /// timeout and this.
  Deadline overall{};
  Trace trace{};
};

/// The envelope of one message.
struct Envelope {
  std::string from;             ///< reverse-path; "" is the null sender <>
  std::vector<std::string> to;  ///< forward-paths, at least one
  std::uint64_t size = 0;       ///< announced with SIZE= when the server has SIZE (0: not sent)
  bool eight_bit = false;       ///< BODY=8BITMIME when the server has 8BITMIME
  bool smtputf8 = false;        ///< SMTPUTF8 (needed when an address is not ASCII)
  std::string auth;             ///< MAIL FROM's AUTH= parameter (RFC 4954 §5), when not ""
  /// Go on with the recipients that were accepted when some were refused (curl's
  /// --mail-rcpt-allowfails); otherwise one refusal cancels the message (RSET).
  bool allow_rcpt_fails = false;
};

/// What happened to one message, step by step. A step that was not reached is empty.
struct Delivery {
  std::optional<SmtpReply> mail;  ///< the reply to MAIL FROM
  std::vector<SmtpReply> rcpt;    ///< one reply per Envelope::to, in order (fewer if cut short)
  std::optional<SmtpReply> data;  ///< the reply to DATA (354 to go on)
  std::optional<SmtpReply> done;  ///< the reply after the message: 250 = accepted
  bool pipelined = false;         ///< MAIL and RCPT went out as one group

  /// True when the server took the message for at least one recipient.
  bool accepted() const noexcept { return done && done->klass() == 2; }
  /// Indexes into Envelope::to of the recipients refused.
  std::vector<std::size_t> refused() const;
};

/// Why a reply code is bad news, in a few words ("mailbox unavailable: no such user, or refused
/// by policy"); "" for positive codes.
std::string_view reply_meaning(int code) noexcept;

/// Whether `address` may go between < and > in MAIL FROM / RCPT TO: no control bytes, spaces
/// or angle brackets, at most 256 octets (RFC 5321 §4.5.3.1.3). Empty is allowed (null path).
bool valid_address(std::string_view address) noexcept;

/// RFC 3461 xtext for ESMTP parameter values (AUTH=): '+', '=' and bytes outside 33..126 as
/// "+XX".
std::string xtext(std::string_view value);

class Client {
 public:
  /// Takes a connected stream; nothing is read or sent yet.
  explicit Client(TcpStream tcp, ClientOptions options = {});
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  /// Implicit TLS (smtps, port 465): the handshake, before greeting(). `name` is verified and
  /// sent as SNI as the context says. It waits at most the greeting timeout, and `deadline`.
  [[nodiscard]] Status start_tls(const TlsClientContext& context, std::string_view name,
                                 Deadline deadline = {});
  /// The server's greeting (220 to go on; 554 or 421 is a refusal).
  [[nodiscard]] Result<SmtpReply> greeting();
  /// EHLO `name`; if the server does not know EHLO (500, 502), HELO `name`. capabilities()
  /// reflects the answer (all false after HELO).
  [[nodiscard]] Result<SmtpReply> hello(std::string_view name);
  const SmtpCapabilities& capabilities() const noexcept;
  /// STARTTLS; on 220 the handshake follows and the session's earlier input and capabilities
  /// are thrown away (see the safety rules). The reply is returned either way; a failed
  /// handshake is the handshake's error.
  [[nodiscard]] Result<SmtpReply> starttls(const TlsClientContext& context, std::string_view name);
  /// Bytes thrown away after STARTTLS's 220 (nonzero: someone injected replies).
  std::size_t discarded_bytes() const noexcept;
  bool tls_active() const noexcept;
  /// The TLS session once TLS is active, for -v summaries; nullptr before.
  const TlsSession* tls_session() const noexcept;

  /// AUTH PLAIN with the credentials as the initial response; the reply (235 = authenticated).
  [[nodiscard]] Result<SmtpReply> auth_plain(std::string_view user, std::string_view password);
  /// AUTH LOGIN: user name and password each after a 334; the last reply.
  [[nodiscard]] Result<SmtpReply> auth_login(std::string_view user, std::string_view password);
  /// AUTH CRAM-MD5 (RFC 2195): the server's 334 challenge answered with the user name and
  /// HMAC-MD5(password, challenge); the password never crosses the wire. The last reply. A
  /// challenge that is not base64 is cancelled ("*") and is SmtpClientErrc::unexpected_reply.
  [[nodiscard]] Result<SmtpReply> auth_cram_md5(std::string_view user, std::string_view password);

  /// One transaction: MAIL, RCPT (as one group when the server has PIPELINING), DATA, the
  /// message (`wire`: already dot-stuffed and ending with ".\r\n", as SmtpDataEncoder makes
  /// it), the final reply. A refusal at any step ends the transaction (RSET is sent when it was
  /// begun) and the Delivery says where. std::errc::invalid_argument for an invalid address or
  /// an envelope without recipients, before anything is sent.
  [[nodiscard]] Result<Delivery> send(const Envelope& envelope, std::string_view wire);

  /// QUIT and its reply (221).
  [[nodiscard]] Result<SmtpReply> quit();

  /// A command line (without CRLF) and its reply, waiting at most `timeout`. `shown` is what
  /// the trace gets instead of the line (for secrets); empty: the line itself.
  [[nodiscard]] Result<SmtpReply> command(std::string_view line, Millis timeout,
                                          std::string_view shown = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sockit::mail
