// Helpers shared by the libFuzzer targets: an invariant check that stops the fuzzer, a way to
// turn one fuzz input into "how to cut the stream" plus "the bytes", and the feeding checks
// every sans-I/O decoder (sockit/codec/) must pass.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/codec/decoded.hpp"

namespace sockit::fuzz {

// libFuzzer reports a trap as a crash and saves the input; a plain assert would vanish in a
// release-like build, and an exception could be caught by the code under test.
#define SOCKIT_FUZZ_CHECK(cond)    \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (false)

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// One input split into a feeding plan and the stream itself. The first byte says how many of
/// the following bytes are chunk sizes (0-7); those sizes (1-256 each) are used in turn to cut
/// `bytes` into feed() calls. With no plan the stream is fed in one piece.
struct Plan {
  std::vector<std::size_t> sizes;
  std::string_view bytes;

  /// The stream cut into chunks as the plan says; the chunks concatenate back to `bytes`.
  std::vector<std::string_view> chunks() const {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    std::size_t turn = 0;
    while (pos < bytes.size()) {
      std::size_t n = bytes.size() - pos;
      if (!sizes.empty()) n = std::min(n, sizes[turn++ % sizes.size()]);
      out.push_back(bytes.substr(pos, n));
      pos += n;
    }
    return out;
  }
};

inline Plan make_plan(const std::uint8_t* data, std::size_t size) {
  Plan plan;
  if (size == 0) return plan;
  std::size_t count = data[0] % 8;
  std::size_t pos = 1;
  for (; count > 0 && pos < size; --count, ++pos)
    plan.sizes.push_back(std::size_t{data[pos]} + 1);
  plan.bytes = as_text(data + pos, size - pos);
  return plan;
}

// ---- decoders -------------------------------------------------------------------------------

/// Everything a decoder produced from one stream: comparable across ways of feeding it.
struct Outcome {
  std::vector<std::string> frames;
  std::error_code error;
  std::size_t buffered = 0;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

/// Takes every frame the decoder has ready. Errors must be sticky (the next next() repeats the
/// error); `check_frame(d, frame)` adds the codec's own per-frame invariants. Bounded: every
/// frame consumes at least one byte of the stream (its delimiter or header).
template <class Decoder, class CheckFrame>
void drain(Decoder& d, Outcome& out, CheckFrame& check_frame) {
  for (Decoded r = d.next(); !r.needs_more(); r = d.next()) {
    if (r.failed()) {
      SOCKIT_FUZZ_CHECK(r.error);
      if (out.error) SOCKIT_FUZZ_CHECK(out.error == r.error);
      out.error = r.error;
      const Decoded again = d.next();
      SOCKIT_FUZZ_CHECK(again.failed() && again.error == r.error);
      return;
    }
    check_frame(d, r.frame);
    out.frames.emplace_back(r.frame);
  }
}

/// Feeds the chunks in turn, draining after each.
template <class Decoder, class CheckFrame>
Outcome run(Decoder& d, const std::vector<std::string_view>& chunks, CheckFrame& check_frame) {
  Outcome out;
  for (const auto chunk : chunks) {
    d.feed(chunk);
    drain(d, out, check_frame);
  }
  out.buffered = d.buffered();
  return out;
}

inline std::vector<std::string_view> bytes_of(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size(); ++i)
    out.push_back(s.substr(i, 1));
  return out;
}

/// The stream fed three ways to fresh decoders from `make()`.
struct Feedings {
  Outcome chunked;   // as the plan cuts it
  Outcome one_shot;  // in one piece
  Outcome bytewise;  // a byte at a time
};

/// Feeds the plan's stream three ways, checks that they give the same frames and error, and
/// that reset() gives a decoder that behaves like a new one. Whether buffered() agrees too is
/// left to the caller: after an error it may differ.
template <class MakeDecoder, class CheckFrame>
Feedings feed_three_ways(MakeDecoder make, const Plan& plan, CheckFrame check_frame) {
  auto chunked = make();
  auto one_shot = make();
  auto bytewise = make();
  Feedings f{run(chunked, plan.chunks(), check_frame), run(one_shot, {plan.bytes}, check_frame),
             run(bytewise, bytes_of(plan.bytes), check_frame)};
  SOCKIT_FUZZ_CHECK(f.chunked.frames == f.one_shot.frames && f.chunked.frames == f.bytewise.frames);
  SOCKIT_FUZZ_CHECK(f.chunked.error == f.one_shot.error && f.chunked.error == f.bytewise.error);
  chunked.reset();
  SOCKIT_FUZZ_CHECK(chunked.buffered() == 0);
  SOCKIT_FUZZ_CHECK(run(chunked, {plan.bytes}, check_frame) == f.one_shot);
  return f;
}

/// `encoded` (the frames encoded again) decodes back to exactly `frames`, with nothing left.
template <class Decoder, class CheckFrame>
void check_decodes_back(Decoder&& fresh, std::string_view encoded,
                        const std::vector<std::string>& frames, CheckFrame check_frame) {
  const Outcome back = run(fresh, {encoded}, check_frame);
  SOCKIT_FUZZ_CHECK(!back.error && back.frames == frames && back.buffered == 0);
}

}  // namespace sockit::fuzz
