// Fuzzes LineDecoder. Input layout: byte 0 = mode, byte 1 = max_line (0..255), then a feeding
// plan and the stream (see fuzz_support.hpp). Invariants:
//  - no frame is longer than max_line or holds '\n';
//  - chunked, byte-at-a-time and one-shot feeding give the same frames, the same error, and
//    the same buffered() count;
//  - the frames plus their delimiters are exactly a prefix of the stream, and what follows that
//    prefix is what buffered() reports (nothing lost, nothing invented);
//  - an error is sticky until reset(), and reset() gives a decoder that behaves like a new one;
//  - encode_line() of every decoded frame decodes back to the same frames.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sockit/codec/line.hpp"

using sockit::LineDecoder;
using sockit::LineMode;
using sockit::fuzz::Outcome;

namespace {

// Walks the stream along the frames: each frame must be followed by a delimiter the mode
// accepts. Returns the offset just past the last frame.
std::size_t match_prefix(std::string_view stream, const Outcome& o, LineMode mode) {
  std::size_t pos = 0;
  for (const auto& f : o.frames) {
    SOCKIT_FUZZ_CHECK(stream.substr(pos, f.size()) == f);
    pos += f.size();
    if (stream.substr(pos, 2) == "\r\n" && mode != LineMode::lf) {
      pos += 2;
    } else {
      SOCKIT_FUZZ_CHECK(mode != LineMode::crlf && stream.substr(pos, 1) == "\n");
      pos += 1;
    }
  }
  return pos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const auto mode = static_cast<LineMode>(data[0] % 3);
  const std::size_t max_line = data[1];
  const auto plan = sockit::fuzz::make_plan(data + 2, size - 2);

  const auto check_frame = [](const LineDecoder& d, std::string_view frame) {
    SOCKIT_FUZZ_CHECK(frame.size() <= d.max_line());
    SOCKIT_FUZZ_CHECK(frame.find('\n') == std::string_view::npos);
  };
  const auto [a, b, c] =
      sockit::fuzz::feed_three_ways([&] { return LineDecoder(max_line, mode); }, plan, check_frame);

  const std::size_t consumed = match_prefix(plan.bytes, a, mode);
  if (!a.error) {
    SOCKIT_FUZZ_CHECK(a == b && a == c);
    SOCKIT_FUZZ_CHECK(a.buffered == plan.bytes.size() - consumed);
    // What is still buffered cannot already hold a complete line the mode accepts.
    const auto rest = plan.bytes.substr(consumed);
    SOCKIT_FUZZ_CHECK(rest.find('\n') == std::string_view::npos);
    SOCKIT_FUZZ_CHECK(rest.size() <= max_line + 1);
  } else {
    SOCKIT_FUZZ_CHECK(a.error == sockit::Errc::line_too_long ||
                      a.error == sockit::Errc::malformed_frame);
  }

  std::string encoded;
  for (const auto& f : a.frames)
    SOCKIT_FUZZ_CHECK(sockit::encode_line(encoded, f, mode, max_line));
  sockit::fuzz::check_decodes_back(LineDecoder(max_line, mode), encoded, a.frames, check_frame);
  return 0;
}
