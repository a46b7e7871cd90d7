// The server side of SMTP (RFC 5321), sans-I/O: the framing of what a client sends (command
// lines, then DATA bodies), the parsing of a command and of MAIL FROM / RCPT TO arguments, and
// the reply serializer. The client side (replies in, commands out) is sockit/codec/smtp_reply.hpp.
//
// Framing rules, strict on purpose (the SMTP smuggling class, CVE-2023-51765, lives in the
// differences between how two servers find line and message ends):
//  - a line ends only at CRLF. A bare LF or bare CR never ends anything: in a command line it
//    makes the line invalid (bare_newline); inside DATA it makes the whole message refused
//    (as Postfix's smtpd_forbid_bare_newline does), yet the body still ends only at CRLF.CRLF,
//    so "\n.\n" or "\r.\r" inside a body can never start a second message;
//  - a command line is at most 512 octets with its CRLF (RFC 5321 §4.5.3.1.4); a longer one is
//    skipped to its CRLF and reported (command_too_long), never cut into two commands;
//  - a body line is at most 1000 octets with its CRLF (§4.5.3.1.6), a body at most
//    max_message octets after unstuffing: either is reported at the end of the body, which is
//    read (and dropped) to its CRLF.CRLF so that the stream stays in step;
//  - a line of the body that starts with '.' loses that dot (§4.5.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "sockit/codec/message_codec.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

enum class SmtpServerErrc {
  ok = 0,
  command_too_long = 1,  ///< 500 5.5.6: a command line over 512 octets (with CRLF)
  bare_newline,          ///< 500 5.5.2 (command) / 550 5.5.2 (DATA): a CR or LF not in CRLF
  data_line_too_long,    ///< 550 5.5.6: a body line over 1000 octets (with CRLF)
  message_too_big,       ///< 552 5.3.4: a body over the size limit
  bad_path,              ///< 501 5.1.7 / 5.1.3: not FROM:<address> or TO:<address>
  bad_parameter,         ///< 501 5.5.4: a malformed or repeated ESMTP parameter
  unknown_parameter,     ///< 555 5.5.4: an ESMTP parameter this server does not know
  needs_smtputf8,        ///< 553 5.6.7: a non-ASCII address without SMTPUTF8
};

const std::error_category& smtp_server_category() noexcept;
std::error_code make_error_code(SmtpServerErrc e) noexcept;

/// The reply for an smtp_server_category() error, without CRLF ("500 5.5.6 Command line too
/// long (limit 512 octets)"); `in_data` picks the DATA form of bare_newline.
std::string_view smtp_error_reply(std::error_code ec, bool in_data = false) noexcept;

// ---- commands ---------------------------------------------------------------------------------

/// A command line split at its first space: the verb as sent (compare with smtp_verb_is) and the
/// rest, trailing spaces removed.
struct SmtpCommand {
  std::string_view verb;
  std::string_view argument;
};
SmtpCommand split_smtp_command(std::string_view line) noexcept;
/// Case-insensitive comparison with an upper-case verb ("MAIL").
bool smtp_verb_is(std::string_view verb, std::string_view upper) noexcept;

enum class SmtpBody : std::uint8_t { unspecified, seven_bit, eight_bit_mime };

/// A parsed MAIL FROM:<...> or RCPT TO:<...>. `address` points into the argument (source
/// route removed); it is empty for MAIL FROM:<> (the null reverse-path).
struct SmtpPath {
  std::string_view address;
  std::optional<std::uint64_t> size;  ///< SIZE= (MAIL only)
  SmtpBody body = SmtpBody::unspecified;
  bool smtputf8 = false;   ///< the SMTPUTF8 parameter (MAIL only)
  bool non_ascii = false;  ///< the address holds octets over 0x7f
};

/// Parses the argument of MAIL ("FROM:<a@b> SIZE=10 BODY=8BITMIME SMTPUTF8"). Lenient where
/// clients commonly are: "FROM:" in any case and spaces after the colon. Errors: bad_path,
/// bad_parameter, unknown_parameter, needs_smtputf8 (a non-ASCII address without SMTPUTF8).
[[nodiscard]] Result<SmtpPath> parse_mail_from(std::string_view argument);
/// Parses the argument of RCPT ("TO:<a@b>"). The address may not be empty; no parameters are
/// known. The caller checks non_ascii against its transaction's SMTPUTF8.
[[nodiscard]] Result<SmtpPath> parse_rcpt_to(std::string_view argument);

// ---- replies ----------------------------------------------------------------------------------

/// Appends "CODE TEXT\r\n". CR and LF in `text` become spaces (a client-chosen name echoed in a
/// reply can never end the reply early or add one).
void append_smtp_reply(std::string& out, int code, std::string_view text);
/// Appends a multi-line reply: "CODE-line\r\n" for each but the last, "CODE line\r\n" for it.
/// No lines: "CODE\r\n".
void append_smtp_reply(std::string& out, int code, std::span<const std::string_view> lines);

// ---- framing ----------------------------------------------------------------------------------

struct SmtpServerLimits {
  std::size_t max_command_line = 512;   ///< octets with CRLF (RFC 5321 §4.5.3.1.4)
  std::size_t max_text_line = 1000;     ///< body line octets with CRLF (§4.5.3.1.6)
  std::size_t max_message = 10u << 20;  ///< body octets after unstuffing
};

/// What one codec message says (the MessageCodec seam carries them as tagged strings).
struct SmtpEvent {
  enum class Kind : std::uint8_t {
    command,  ///< `text` is a complete command line, without CRLF
    body,     ///< `text` is a complete body: unstuffed, CRLF line ends, without the final "."
    error,    ///< `error`: a command line refused (too long, bare newline)
    refused,  ///< `error`: a body refused (bare newline, too big, line too long); read to its end
    invalid,  ///< not a message of this codec
  };
  Kind kind = Kind::invalid;
  /// True when no other complete message follows in the bytes of the same read: a session may
  /// collect its replies until then and send them in one write (pipelining, RFC 2920).
  bool last = true;
  std::string_view text;
  std::error_code error;
};
SmtpEvent decode_smtp_event(std::string_view message) noexcept;

/// The framing as a MessageCodec: command lines until the session calls begin_data() (after
/// its 354), then one body, then command lines again. Messages are tagged strings; read them
/// with decode_smtp_event(). encode() sends replies as they are. One owner thread.
class SmtpServerCodec final : public MessageCodec {
 public:
  explicit SmtpServerCodec(SmtpServerLimits limits = {}) : limits_(limits) {}
  std::string_view name() const noexcept override { return "smtp"; }
  Status decode(std::string_view bytes, MessageSink& sink) override;
  /// At EOF an unfinished command or body is dropped (it was never acknowledged).
  Status finish(MessageSink& sink) override;
  Result<Encoded> encode(std::string_view message) override { return Encoded{message, {}}; }
  bool partial() const noexcept override { return in_data_ || !rest_.empty() || skipping_; }
  /// A 421 line for a deadline or limit, in SMTP's terms.
  std::optional<std::string_view> close_reply(std::error_code why) const noexcept override;

  /// The bytes after the current command are a body (call from the session's handling of an
  /// accepted DATA, before returning to the codec).
  void begin_data() noexcept;
  /// Drops what is held and the rest of the bytes being decoded (STARTTLS: what the client
  /// sent after it in plaintext must never be read as if it came over TLS).
  void discard_input() noexcept;
  bool in_data() const noexcept { return in_data_; }
  const SmtpServerLimits& limits() const noexcept { return limits_; }

 private:
  enum class DataState : std::uint8_t { line_start, dot, dot_cr, mid, cr };
  std::size_t scan_command(std::string_view data, MessageSink& sink, bool& stop);
  std::size_t scan_data(std::string_view data, MessageSink& sink, bool& stop);
  std::size_t skip_line(std::string_view data) noexcept;
  void data_byte(char c) noexcept;
  void body_append(std::string_view bytes) noexcept;
  void flag(SmtpServerErrc e) noexcept;
  bool complete_ahead(std::string_view rest) const noexcept;
  bool emit(MessageSink& sink, char kind, std::string_view rest, std::string_view payload);

  SmtpServerLimits limits_;
  std::string rest_;   // an incomplete command line held across reads
  std::string body_;   // tag bytes, then the body read so far
  std::string event_;  // the tagged message of a command or an error
  bool in_data_ = false;
  bool skipping_ = false;  // discarding a too-long command line up to its CRLF
  bool skip_cr_ = false;   // skipping: the last byte seen was CR
  bool discard_ = false;   // discard_input() was called during this decode
  DataState state_ = DataState::line_start;
  std::size_t line_octets_ = 0;  // of the current body line, as sent, without CRLF
  SmtpServerErrc data_error_ = SmtpServerErrc::ok;
};

}  // namespace sockit

template <>
struct std::is_error_code_enum<sockit::SmtpServerErrc> : std::true_type {};
