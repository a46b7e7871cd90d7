// What the bridge does to bytes on their way between stdin/stdout and the socket: --crlf line
// endings, and --frame encoding (stdin lines -> frames) and decoding (frames -> stdout lines)
// with the library's sans-I/O codecs.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "bridge.hpp"
#include "sockit/codec/length_prefix.hpp"
#include "sockit/codec/line.hpp"
#include "sockit/core/error.hpp"

namespace sockit::cli {

inline constexpr std::size_t kMaxFrameLine = 1024 * 1024;          ///< --frame line
inline constexpr std::size_t kMaxFramePayload = 16 * 1024 * 1024;  ///< --frame len32

/// stdin bytes -> wire bytes. With a frame, a line is sent once its '\n' arrives (or at EOF).
class FrameEncoder {
 public:
  FrameEncoder(Frame frame, bool crlf) : frame_(frame), crlf_(crlf) {}
  /// Encodes what `chunk` completes; `eof` flushes an unterminated last line. Errors:
  /// Errc::line_too_long / frame_too_long for a line over the frame's maximum.
  Result<std::string> encode(std::string_view chunk, bool eof);

 private:
  std::string raw(std::string_view chunk);
  Status encode_one(std::string& out, std::string_view line) const;

  Frame frame_;
  bool crlf_;
  bool after_cr_ = false;  // the last byte passed on was '\r' (so a following '\n' needs none)
  std::string partial_;    // the start of a line whose '\n' has not arrived yet
};

/// wire bytes -> stdout bytes. With a frame, each complete frame is written as one line.
class FrameDecoder {
 public:
  explicit FrameDecoder(Frame frame);
  Result<std::string> decode(std::string_view bytes);
  /// At end of stream: bytes of an incomplete frame or line are Errc::closed_early.
  Status finish() const;

 private:
  Frame frame_;
  std::optional<LineDecoder> lines_;
  std::optional<LengthPrefixDecoder> frames_;
};

}  // namespace sockit::cli
