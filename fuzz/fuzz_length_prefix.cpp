// Fuzzes LengthPrefixDecoder. Input layout: bytes 0-1 = max_frame (little-endian, 0..65535),
// then a feeding plan and the stream (see fuzz_support.hpp). Invariants:
//  - no frame is longer than max_frame;
//  - chunked, byte-at-a-time and one-shot feeding give the same frames, error and buffered();
//  - each frame is exactly the payload its 4-byte big-endian header announced, the frames tile
//    a prefix of the stream, and buffered() is the rest; frame_too_long comes exactly when the
//    next header announces more than max_frame;
//  - errors are sticky until reset(); encode_frame() of every frame decodes back the same.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sockit/codec/length_prefix.hpp"

using sockit::LengthPrefixDecoder;

namespace {

std::uint64_t header_at(std::string_view s, std::size_t pos) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < 4; ++i)
    n = (n << 8) | static_cast<unsigned char>(s[pos + i]);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max_frame = data[0] | (std::size_t{data[1]} << 8);
  const auto plan = sockit::fuzz::make_plan(data + 2, size - 2);
  const std::string_view stream = plan.bytes;
  const auto check_frame = [](const LengthPrefixDecoder& d, std::string_view frame) {
    SOCKIT_FUZZ_CHECK(frame.size() <= d.max_frame());
  };

  const auto [a, b, c] = sockit::fuzz::feed_three_ways(
      [&] { return LengthPrefixDecoder(max_frame); }, plan, check_frame);

  std::size_t pos = 0;
  for (const auto& f : a.frames) {
    SOCKIT_FUZZ_CHECK(pos + 4 <= stream.size() && header_at(stream, pos) == f.size());
    SOCKIT_FUZZ_CHECK(stream.substr(pos + 4, f.size()) == f);
    pos += 4 + f.size();
  }
  const bool header_in = pos + 4 <= stream.size();
  const bool too_long = header_in && header_at(stream, pos) > max_frame;
  if (a.error) {
    SOCKIT_FUZZ_CHECK(a.error == sockit::Errc::frame_too_long && too_long);
  } else {
    SOCKIT_FUZZ_CHECK(!too_long);
    SOCKIT_FUZZ_CHECK(a == b && a == c);
    SOCKIT_FUZZ_CHECK(a.buffered == stream.size() - pos);
    if (header_in) SOCKIT_FUZZ_CHECK(stream.size() - pos - 4 < header_at(stream, pos));
  }

  std::string encoded;
  for (const auto& f : a.frames)
    SOCKIT_FUZZ_CHECK(sockit::encode_frame(encoded, f, max_frame));
  sockit::fuzz::check_decodes_back(LengthPrefixDecoder(max_frame), encoded, a.frames, check_frame);
  return 0;
}
