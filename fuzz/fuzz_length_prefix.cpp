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

using sockit::Decoded;
using sockit::LengthPrefixDecoder;

namespace {

struct Outcome {
  std::vector<std::string> frames;
  std::error_code error;
  std::size_t buffered = 0;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

void drain(LengthPrefixDecoder& d, Outcome& out) {
  // Bounded: every frame consumes at least its 4-byte header.
  for (Decoded r = d.next(); !r.needs_more(); r = d.next()) {
    if (r.failed()) {
      SOCKIT_FUZZ_CHECK(r.error);
      if (out.error) SOCKIT_FUZZ_CHECK(out.error == r.error);
      out.error = r.error;
      const Decoded again = d.next();
      SOCKIT_FUZZ_CHECK(again.failed() && again.error == r.error);
      return;
    }
    SOCKIT_FUZZ_CHECK(r.frame.size() <= d.max_frame());
    out.frames.emplace_back(r.frame);
  }
}

Outcome run(LengthPrefixDecoder& d, const std::vector<std::string_view>& chunks) {
  Outcome out;
  for (const auto chunk : chunks) {
    d.feed(chunk);
    drain(d, out);
  }
  out.buffered = d.buffered();
  return out;
}

std::vector<std::string_view> bytes_of(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size(); ++i)
    out.push_back(s.substr(i, 1));
  return out;
}

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

  LengthPrefixDecoder chunked(max_frame);
  const Outcome a = run(chunked, plan.chunks());
  LengthPrefixDecoder one_shot(max_frame);
  const Outcome b = run(one_shot, {stream});
  LengthPrefixDecoder bytewise(max_frame);
  const Outcome c = run(bytewise, bytes_of(stream));
  SOCKIT_FUZZ_CHECK(a.frames == b.frames && a.frames == c.frames);
  SOCKIT_FUZZ_CHECK(a.error == b.error && a.error == c.error);

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

  chunked.reset();
  SOCKIT_FUZZ_CHECK(chunked.buffered() == 0);
  SOCKIT_FUZZ_CHECK(run(chunked, {stream}) == b);

  std::string encoded;
  for (const auto& f : a.frames)
    SOCKIT_FUZZ_CHECK(sockit::encode_frame(encoded, f, max_frame));
  LengthPrefixDecoder re(max_frame);
  const Outcome d = run(re, {encoded});
  SOCKIT_FUZZ_CHECK(!d.error && d.frames == a.frames && d.buffered == 0);
  return 0;
}
