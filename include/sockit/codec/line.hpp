// Line codec (sans-I/O): bytes in, lines out; never touches a socket.
//
// Modes:
//   lf          "\n" ends a line; '\r' is ordinary content.
//   crlf_or_lf  "\r\n" or a bare "\n" ends a line (the tolerant choice for text protocols).
//   crlf        only "\r\n" ends a line; a bare "\n" is Errc::malformed_frame (SMTP, HTTP
//               headers in strict mode). A '\r' not followed by '\n' is ordinary content.
// Frames never include their delimiter. Exactly one "\r" is stripped in front of "\n".
//
// max_line bounds a line WITHOUT its delimiter: max_line bytes are accepted, max_line + 1 is
// Errc::line_too_long, reported as soon as more than max_line content bytes are buffered with
// no delimiter (a trailing '\r' that may begin "\r\n" is not counted yet), not when the line
// finally ends.
//
// Cost: every byte is scanned once (the decoder remembers how far it searched), and the
// internal Buffer reuses its memory, so after warm-up decoding allocates nothing per frame.
//
// Thread rule: single owner, not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "sockit/codec/decoded.hpp"
#include "sockit/core/buffer.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

enum class LineMode : std::uint8_t { lf, crlf_or_lf, crlf };

class LineDecoder {
 public:
  explicit LineDecoder(std::size_t max_line, LineMode mode = LineMode::crlf_or_lf);

  /// Appends input. Ignored (dropped) while the decoder is in the error state.
  void feed(std::span<const std::byte> bytes);
  void feed(std::string_view bytes) { feed(std::as_bytes(std::span(bytes))); }

  /// The next complete line, need_more, or an error. A returned frame view stays valid until
  /// the next call to feed(), next() or reset(). After an error the decoder stays failed and
  /// returns the same error from every next() until reset(): the stream is out of sync.
  Decoded next();

  /// Forgets buffered bytes and any error, keeping the memory for reuse.
  void reset() noexcept;

  /// Bytes held that have not been returned as (part of) a frame yet.
  std::size_t buffered() const noexcept { return buffer_.readable_bytes() - consumed_on_next_; }
  std::size_t max_line() const noexcept { return max_line_; }
  LineMode mode() const noexcept { return mode_; }

 private:
  Decoded fail_with(Errc e);

  Buffer buffer_;
  std::size_t max_line_;
  LineMode mode_;
  std::size_t scanned_ = 0;           // no '\n' in buffer_ before this offset
  std::size_t consumed_on_next_ = 0;  // the last frame + delimiter, dropped lazily
  std::error_code error_;
};

/// The delimiter splitter behind both forms of recv_until (stream/io.hpp over any stream,
/// AsyncStream::recv_until), so the blocking and coroutine reads share one rule:
///   - the delimiter is any non-empty byte string, matched exactly (no "\r" handling);
///   - the frame returned is the line WITHOUT its delimiter; the caller drops
///     frame.size() + delimiter.size() bytes once it is done with it;
///   - `max` bounds the line without its delimiter, as max_line does above: a line of max
///     bytes is returned; once max + delimiter.size() bytes are held with no delimiter among
///     them (the earliest moment it is certain) the result is Errc::line_too_long;
///   - an empty delimiter is std::errc::invalid_argument.
/// `data` is everything buffered; `scanned` (start at 0, keep it between calls on the same
/// line, reset it after a frame) remembers how far the search got, so a slowly arriving long
/// line is scanned once. need_more means: read more bytes and call again.
[[nodiscard]] Decoded split_delimited(std::string_view data, std::string_view delimiter,
                                      std::size_t max, std::size_t& scanned) noexcept;

/// Appends `line` and its ending ("\n" for LineMode::lf, "\r\n" otherwise). A line holding
/// '\n' would come back as two lines: Errc::malformed_frame; longer than max_line:
/// Errc::line_too_long. Nothing is appended on failure.
[[nodiscard]] Status encode_line(Buffer& out, std::string_view line, LineMode mode,
                                 std::size_t max_line = static_cast<std::size_t>(-1));
[[nodiscard]] Status encode_line(std::string& out, std::string_view line, LineMode mode,
                                 std::size_t max_line = static_cast<std::size_t>(-1));

}  // namespace sockit
