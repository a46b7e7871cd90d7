// FTP control replies (RFC 959 §4.2), sans-I/O: bytes in, complete replies out.
//
//   single line   "230 Login successful.\r\n"
//   multi-line    "211-Features:\r\n MDTM\r\n SIZE\r\n211 End\r\n"  (the last line repeats the
//                 code followed by a space; lines in between are free text, even ones that
//                 start with other digits)
//
// A reply's code is three digits, the first 1..5. Line endings: "\r\n" or a bare "\n" (some
// servers send the latter). Limits bound what a hostile server can make us hold: max_line
// bytes per line (Errc::line_too_long) and max_lines lines per reply (Errc::frame_too_long).
// A first line that is not "ddd", "ddd text" or "ddd-text" is Errc::malformed_frame. Errors
// are sticky until reset(): the control connection is out of sync and must be dropped.
//
// Thread rule: single owner, not thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/codec/line.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

struct FtpReply {
  int code = 0;
  /// Each line's text: the first and last without their "ddd-"/"ddd " prefix, lines in
  /// between as sent (a "ddd-" prefix with the reply's own code is removed there too).
  std::vector<std::string> lines;

  /// The lines joined with '\n'.
  std::string text() const;
  bool preliminary() const noexcept { return code / 100 == 1; }
  bool completed() const noexcept { return code / 100 == 2; }
  bool intermediate() const noexcept { return code / 100 == 3; }
  bool transient() const noexcept { return code / 100 == 4; }
  bool permanent() const noexcept { return code / 100 == 5; }
  bool operator==(const FtpReply&) const = default;
};

class FtpReplyDecoder {
 public:
  static constexpr std::size_t kDefaultMaxLine = 4096;
  static constexpr std::size_t kDefaultMaxLines = 1024;

  explicit FtpReplyDecoder(std::size_t max_line = kDefaultMaxLine,
                           std::size_t max_lines = kDefaultMaxLines);

  void feed(std::string_view bytes) { lines_.feed(bytes); }

  /// A complete reply, std::nullopt when more bytes are needed, or an error (sticky).
  [[nodiscard]] Result<std::optional<FtpReply>> next();

  void reset() noexcept;
  /// Bytes received that are not part of a returned reply yet (partial reply included).
  std::size_t buffered() const noexcept { return lines_.buffered() + pending_bytes_; }
  std::size_t max_lines() const noexcept { return max_lines_; }

 private:
  LineDecoder lines_;
  std::size_t max_lines_;
  FtpReply partial_;  // a multi-line reply in progress (code != 0)
  std::size_t pending_bytes_ = 0;
  std::error_code error_;
};

/// Parses one line as the start of a reply: its code and whether it continues ("ddd-").
/// std::nullopt when the line is not a reply's first line.
struct FtpReplyStart {
  int code = 0;
  bool continues = false;
  std::string_view text;
};
std::optional<FtpReplyStart> parse_reply_start(std::string_view line) noexcept;

/// True when `text` may be sent as a command line: no CR or LF (which would smuggle a second
/// command onto the control connection).
bool ftp_command_safe(std::string_view text) noexcept;

}  // namespace sockit
