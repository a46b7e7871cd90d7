// SMTP client-side codec (sans-I/O): the message as it goes on the wire after DATA, and a
// message builder for people who have no .eml file.
//
// SmtpDataEncoder turns any text into a DATA body that cannot end early or be misread:
//   - every line ending becomes CRLF: CRLF stays, and a bare LF or a bare CR becomes CRLF, so
//     "\n.\n" or "\r.\r" inside a message is never the end-of-data mark for any server, lenient
//     or strict (the SMTP-smuggling class, CVE-2023-51765);
//   - a line that starts with '.' gets one more '.' (RFC 5321 §4.5.2), so a lone "." line is
//     sent as "..";
//   - a line longer than 998 octets without its CRLF (RFC 5321 §4.5.3.1.6; on the wire, so a
//     stuffed dot counts) is an error, SmtpClientErrc::message_line_too_long, never a silent
//     break: line() says which;
//   - finish() ends the last line if it has no line ending, and appends ".\r\n".
// Bytes are otherwise passed as they are (8-bit, UTF-8, NUL). Chunks may be cut anywhere, also
// between a CR and its LF: the output is the same as for the whole text at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sockit/codec/smtp_reply.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

class SmtpDataEncoder {
 public:
  /// Octets in a line without its CRLF: RFC 5321's 1000 with the CRLF.
  static constexpr std::size_t kMaxLine = 998;

  /// Appends the encoded form of `chunk` to `out`. On error nothing of the offending line past
  /// the limit is appended, and the encoder stays failed (every later call repeats the error).
  [[nodiscard]] Status encode(std::string_view chunk, std::string& out);
  /// Ends the message: CRLF if the last line is open, then ".\r\n".
  [[nodiscard]] Status finish(std::string& out);

  /// 1-based number of the line being encoded (after an error: the line that was too long).
  std::size_t line() const noexcept { return line_; }
  /// Whether any byte had its high bit set (the message needs 8BITMIME or SMTPUTF8).
  bool eight_bit() const noexcept { return eight_bit_; }

 private:
  void end_line(std::string& out);

  std::size_t line_ = 1;
  std::size_t column_ = 0;  // octets in the current line so far
  bool pending_cr_ = false;
  bool eight_bit_ = false;
  bool finished_ = false;
  std::error_code error_;
};

/// The whole message encoded at once: encode() + finish() into a fresh string.
[[nodiscard]] Result<std::string> smtp_encode_data(std::string_view message,
                                                   std::size_t* bad_line = nullptr);

/// Whether `text` has a byte with the high bit set.
bool has_eight_bit(std::string_view text) noexcept;

/// Standard base64 (RFC 4648) with padding; `line_length` > 0 breaks lines with CRLF every that
/// many characters (MIME uses 76).
std::string base64_encode(std::string_view bytes, std::size_t line_length = 0);
/// Decodes standard base64 (RFC 4648, padding required, no line breaks): SASL's encoding
/// (RFC 4954). nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

struct SmtpAttachment {
  std::string filename;      ///< the name the recipient sees (no directory)
  std::string content_type;  ///< empty: guessed from the name's extension
  std::string data;
};

/// What the message builder needs. The time and the unique parts come from the caller, so the
/// builder stays pure and testable.
struct SmtpMessageSpec {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  /// Extra headers, "Name" and "value", in order. A header given here replaces the builder's own
  /// of the same name (Date, Message-ID, From, To, Subject).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<SmtpAttachment> attachments;
  std::time_t date = 0;           ///< for the Date header (UTC)
  std::string unique;             ///< a random token: the Message-ID's left part, the boundary
  std::string message_id_domain;  ///< the Message-ID's right part
};

/// Builds an RFC 5322 message with CRLF line endings: Date, From, To, Subject (an RFC 2047
/// encoded word when not ASCII), Message-ID, MIME-Version, and either a text/plain body
/// (charset utf-8, 8bit when it is not ASCII) or, with attachments, multipart/mixed with the
/// text first and each file in base64. SmtpClientErrc::invalid_header for a header name that is
/// empty or not printable ASCII without ':', or a value holding CR or LF (header injection).
[[nodiscard]] Result<std::string> build_smtp_message(const SmtpMessageSpec& spec);

/// "Tue, 01 Dec 2026 12:00:00 +0000" (RFC 5322 §3.3) for `t` in UTC.
std::string smtp_date(std::time_t t);

/// A MIME type for a file name's extension (txt, html, pdf, png, jpg, ...); else
/// application/octet-stream.
std::string_view guess_content_type(std::string_view filename) noexcept;

}  // namespace sockit
