// SMTP client-side codec (sans-I/O): the server's replies and what EHLO advertises.
//
//   SmtpReplyParser p;                      // limits: SmtpReplyLimits
//   p.feed(bytes_from_the_server);
//   auto r = p.next();                      // Result<std::optional<SmtpReply>>
//   if (!r) fail(r.error());                // smtp_client_category(): which rule was broken
//   else if (*r) handle(**r);               // else: read more and call again
//
// A reply (RFC 5321 §4.2) is one or more lines "CCC-text" ending with "CCC text" (or a bare
// "CCC"), every line with the same three-digit code whose first digit is 2..5. Lines end with
// CRLF; a bare LF is accepted too (reading is lenient: it cannot change what we send). The
// limits stop a hostile server early: a line longer than max_line is an error as soon as
// max_line bytes are held without an end, not when (if ever) it ends, and a reply of more than
// max_lines lines is an error at the line that exceeds it. Errors are sticky until reset():
// the stream is out of sync. Thread rule: single owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/codec/line.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

/// Failures of the SMTP client codec (category "smtp"): one code per rule broken.
enum class SmtpClientErrc {
  ok = 0,
  reply_line_too_long = 1,  ///< a reply line over SmtpReplyLimits::max_line
  too_many_reply_lines,     ///< a multi-line reply over SmtpReplyLimits::max_lines
  invalid_reply_code,       ///< a line not starting with three digits, the first 2..5
  invalid_reply_separator,  ///< the code followed by something other than ' ', '-' or the end
  inconsistent_reply_code,  ///< the lines of one multi-line reply carry different codes
  message_line_too_long,    ///< a message line over 998 octets (RFC 5321 §4.5.3.1.6)
  invalid_header,           ///< a header name or value that would break the header section
  unexpected_reply,         ///< a reply code the command does not allow (a protocol error)
  reply_too_early,          ///< the server sent before it was asked (pipelining misuse)
};

const std::error_category& smtp_client_category() noexcept;
std::error_code make_error_code(SmtpClientErrc e) noexcept;

/// RFC 3463 enhanced status code, "class.subject.detail" (e.g. 5.1.1).
struct SmtpEnhancedCode {
  int klass = 0;  ///< 2, 4 or 5
  int subject = 0;
  int detail = 0;
  std::string to_string() const;
  friend bool operator==(const SmtpEnhancedCode&, const SmtpEnhancedCode&) = default;
};

struct SmtpReply {
  int code = 0;                    ///< 211 .. 554
  std::vector<std::string> lines;  ///< each line's text after "CCC-" / "CCC " (may be empty)
  /// The enhanced status code at the start of the first line, when it has one whose class
  /// matches the reply code's first digit. The lines keep it: their text stays as sent.
  std::optional<SmtpEnhancedCode> enhanced;

  int klass() const noexcept { return code / 100; }  ///< 2 done, 3 go on, 4 try later, 5 refused
  bool positive() const noexcept { return code >= 200 && code < 400; }
  /// The lines joined with " / ", as one line for a message.
  std::string text() const;
  friend bool operator==(const SmtpReply&, const SmtpReply&) = default;
};

struct SmtpReplyLimits {
  /// Bytes in one reply line without its CRLF. RFC 5321 asks for 512 with the CRLF; real
  /// servers send longer ones (long EHLO AUTH lists, explanatory 5xx texts), so a bit of room.
  std::size_t max_line = 2048;
  /// Lines in one reply: EHLO replies are the longest in practice (a dozen or two).
  std::size_t max_lines = 128;
};

class SmtpReplyParser {
 public:
  explicit SmtpReplyParser(SmtpReplyLimits limits = {});

  /// Appends bytes read from the server. Ignored while failed.
  void feed(std::string_view bytes);
  /// The next complete reply, std::nullopt when more bytes are needed, or the error (sticky).
  [[nodiscard]] Result<std::optional<SmtpReply>> next();
  /// Forgets buffered bytes, a reply in progress and any error.
  void reset() noexcept;
  /// Bytes held that are not part of a returned reply (after STARTTLS's 220 this must be 0:
  /// anything else was injected before the handshake and is thrown away with reset()).
  std::size_t buffered() const noexcept;
  const SmtpReplyLimits& limits() const noexcept { return limits_; }

 private:
  Status take_line(std::string_view line, bool& complete);

  SmtpReplyLimits limits_;
  LineDecoder lines_;
  SmtpReply partial_;
  std::size_t partial_bytes_ = 0;  // bytes (with line ends) of the lines in partial_
  std::error_code error_;
};

/// Reads an enhanced status code at the start of `text` ("5.1.1 User unknown"): the code when
/// it is followed by a space or the end, else std::nullopt. Class 2, 4 or 5; subject and
/// detail 1 to 3 digits each.
std::optional<SmtpEnhancedCode> parse_enhanced_code(std::string_view text) noexcept;

/// What a server's EHLO reply advertises (RFC 5321 §4.1.1.1: first line is the greeting, one
/// keyword per further line, case-insensitive, parameters after a space).
struct SmtpCapabilities {
  bool esmtp = false;       ///< the server answered EHLO (false after a HELO fallback)
  bool pipelining = false;  ///< RFC 2920
  bool starttls = false;    ///< RFC 3207
  bool eightbitmime = false;
  bool smtputf8 = false;  ///< RFC 6531
  bool enhanced_status_codes = false;
  bool size = false;  ///< SIZE advertised (RFC 1870)
  /// SIZE's parameter: the largest message the server takes; 0 when it gave none or 0 (no
  /// fixed limit).
  std::uint64_t max_size = 0;
  /// AUTH mechanisms, upper case, in the server's order (also from the old "AUTH=" form).
  std::vector<std::string> auth;
  bool has_auth(std::string_view mechanism) const noexcept;
};

/// Parses the keywords of a positive EHLO reply. Unknown keywords are ignored; a SIZE parameter
/// that is not a number is read as "no limit given".
SmtpCapabilities parse_ehlo(const SmtpReply& reply);

}  // namespace sockit

template <>
struct std::is_error_code_enum<sockit::SmtpClientErrc> : std::true_type {};
