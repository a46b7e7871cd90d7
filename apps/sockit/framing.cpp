#include "framing.hpp"

namespace sockit::cli {
namespace {

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

}  // namespace

std::string FrameEncoder::encode(std::string_view chunk, bool eof) {
  (void)eof;
  return crlf_ ? to_crlf(chunk) : std::string(chunk);
}

Result<std::string> FrameDecoder::decode(std::string_view bytes) {
  return std::string(bytes);
}

Status FrameDecoder::finish() {
  return {};
}

}  // namespace sockit::cli
