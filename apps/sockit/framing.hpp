// What the bridge does to bytes on their way between stdin/stdout and the socket: --crlf line
// endings and --frame encoding (stdin lines -> frames) and decoding (frames -> stdout lines).
#pragma once

#include <string>
#include <string_view>

#include "bridge.hpp"
#include "sockit/error.hpp"

namespace sockit::cli {

/// stdin bytes -> wire bytes. With a frame, a line is sent once its '\n' arrives (or at EOF).
class FrameEncoder {
 public:
  FrameEncoder(Frame frame, bool crlf) : frame_(frame), crlf_(crlf) {}
  /// Encodes what `chunk` completes; `eof` flushes an unterminated last line.
  std::string encode(std::string_view chunk, bool eof);

 private:
  Frame frame_;
  bool crlf_;
  std::string partial_;  // the start of a line whose '\n' has not arrived yet
};

/// wire bytes -> stdout bytes. With a frame, each complete frame is written as one line.
class FrameDecoder {
 public:
  explicit FrameDecoder(Frame frame) : frame_(frame) {}
  Result<std::string> decode(std::string_view bytes);
  /// At end of stream: an incomplete frame is Errc::closed_early.
  Status finish();

 private:
  Frame frame_;
  std::string held_;
};

}  // namespace sockit::cli
