#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec_test_support.hpp"
#include "sockit/codec/length_prefix.hpp"
#include "support/alloc_counter.hpp"

namespace sockit {
namespace {

using namespace std::string_literals;

using test::decode;
using test::Outcome;

std::string header(std::uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
          static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
}

struct Case {
  const char* name;
  std::size_t max;
  std::string input;
  std::vector<std::string> frames;
  Errc error;  // Errc::ok: ends needing more
  std::size_t buffered;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      {"one_frame", 100, header(3) + "abc", {"abc"}, Errc::ok, 0},
      {"empty_frame", 100, header(0), {""}, Errc::ok, 0},
      {"two_empty_frames", 100, header(0) + header(0), {"", ""}, Errc::ok, 0},
      {"back_to_back", 100, header(2) + "hi" + header(5) + "there", {"hi", "there"}, Errc::ok, 0},
      {"binary_payload", 100, header(4) + "\0\n\r\xff"s, {"\0\n\r\xff"s}, Errc::ok, 0},
      {"partial_header", 100, "\0\0"s, {}, Errc::ok, 2},
      {"partial_payload", 100, header(10) + "12345", {}, Errc::ok, 9},
      {"frame_then_partial", 100, header(1) + "x" + header(2) + "y", {"x"}, Errc::ok, 5},
      {"max_exact", 5, header(5) + "12345", {"12345"}, Errc::ok, 0},
      {"max_plus_one_header_only", 5, header(6), {}, Errc::frame_too_long, 0},
      {"max_plus_one_after_good",
       5,
       header(1) + "a" + header(6) + "123456",
       {"a"},
       Errc::frame_too_long,
       0},
      {"max_zero_empty_ok", 0, header(0), {""}, Errc::ok, 0},
      {"max_zero_one_byte", 0, header(1) + "x", {}, Errc::frame_too_long, 0},
      {"huge_announced", 1u << 20, "\xff\xff\xff\xff"s, {}, Errc::frame_too_long, 0},
      {"huge_announced_2g", 1u << 20, header(0x80000000u), {}, Errc::frame_too_long, 0},
      {"empty_input", 10, "", {}, Errc::ok, 0},
  };
  return table;
}

Errc errc_of(std::error_code ec) {
  if (!ec) return Errc::ok;
  EXPECT_EQ(&ec.category(), &sockit_category());
  return static_cast<Errc>(ec.value());
}

TEST(LengthPrefixDecoder, TableOneShot) {
  for (const Case& c : cases()) {
    LengthPrefixDecoder d(c.max);
    Outcome o = decode(d, c.input, 0);
    EXPECT_EQ(o.frames, c.frames) << c.name;
    EXPECT_EQ(errc_of(o.error), c.error) << c.name;
    EXPECT_EQ(o.buffered, c.buffered) << c.name;
  }
}

TEST(LengthPrefixDecoder, ByteAtATimeEqualsOneShot) {
  for (const Case& c : cases()) {
    for (std::size_t chunk : {1u, 2u, 3u, 5u}) {
      LengthPrefixDecoder whole(c.max);
      LengthPrefixDecoder pieces(c.max);
      EXPECT_EQ(decode(pieces, c.input, chunk), decode(whole, c.input, 0))
          << c.name << " chunk " << chunk;
    }
  }
}

TEST(LengthPrefixDecoder, TooLongWithoutWaitingForPayload) {
  LengthPrefixDecoder d(1024);
  d.feed(header(1025).substr(0, 3));
  EXPECT_TRUE(d.next().needs_more());
  d.feed(header(1025).substr(3));  // the header is complete: refuse now, no payload needed
  Decoded r = d.next();
  ASSERT_TRUE(r.failed());
  EXPECT_EQ(r.error, Errc::frame_too_long);
}

TEST(LengthPrefixDecoder, ErrorIsStickyUntilReset) {
  LengthPrefixDecoder d(4);
  d.feed(header(5));
  EXPECT_EQ(d.next().error, Errc::frame_too_long);
  d.feed(header(1) + "z");
  EXPECT_EQ(d.next().error, Errc::frame_too_long);
  EXPECT_EQ(d.buffered(), 0u);
  d.reset();
  d.feed(header(1) + "z");
  Decoded r = d.next();
  ASSERT_TRUE(r.is_frame());
  EXPECT_EQ(r.frame, "z");
}

TEST(LengthPrefixDecoder, FrameViewValidUntilNextCall) {
  LengthPrefixDecoder d(100);
  d.feed(header(3) + "one" + header(3) + "two");
  Decoded first = d.next();
  ASSERT_TRUE(first.is_frame());
  EXPECT_EQ(first.frame, "one");
  EXPECT_EQ(d.buffered(), 7u);
  Decoded second = d.next();
  ASSERT_TRUE(second.is_frame());
  EXPECT_EQ(second.frame, "two");
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(LengthPrefixEncoder, WritesBigEndianHeader) {
  std::string out;
  ASSERT_TRUE(encode_frame(out, std::string(258, 'p')));
  ASSERT_EQ(out.size(), 262u);
  EXPECT_EQ(out.substr(0, 4), "\0\0\x01\x02"s);
  Buffer buf;
  ASSERT_TRUE(encode_frame(buf, ""));
  EXPECT_EQ(buf.view(), "\0\0\0\0"s);
}

TEST(LengthPrefixEncoder, RejectsOverMaxAndOverU32) {
  std::string out;
  auto over = encode_frame(out, "123456", 5);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error(), Errc::frame_too_long);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(encode_frame(out, "12345", 5));
  // A view whose size exceeds what a u32 can announce; the encoder refuses it by size alone,
  // before touching any byte, so the view never needs 4 GiB behind it.
  static const char tiny[1] = {'x'};
  std::string_view giant(tiny, std::size_t{0x100000000});
  Buffer buf;
  auto too_big = encode_frame(buf, giant);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error(), Errc::frame_too_long);
  EXPECT_TRUE(buf.empty());
}

TEST(LengthPrefixCodec, RoundTrip) {
  const std::vector<std::string> payloads = {"", "a", "\0\0\0\0"s, std::string(4096, 'q'),
                                             std::string(70000, '\xab')};
  Buffer wire;
  for (const auto& p : payloads)
    ASSERT_TRUE(encode_frame(wire, p, 1u << 20));
  for (std::size_t chunk : {0u, 1u, 1000u}) {
    LengthPrefixDecoder d(1u << 20);
    Outcome o = decode(d, wire.view(), chunk);
    EXPECT_EQ(o.frames, payloads) << chunk;
    EXPECT_FALSE(o.error);
  }
}

TEST(LengthPrefixDecoder, NoAllocationPerFrameAfterWarmUp) {
  std::string wire;
  for (std::size_t i = 0; i < 50; ++i) {
    ASSERT_TRUE(encode_frame(wire, std::string(64 + 61 * i, 'f')));
  }
  LengthPrefixDecoder d(1u << 20);
  auto run = [&](int rounds, std::size_t chunk) {
    std::size_t frames = 0;
    for (int i = 0; i < rounds; ++i) {
      for (std::size_t at = 0; at < wire.size(); at += chunk) {
        d.feed(std::string_view(wire).substr(at, chunk));
        for (Decoded r = d.next(); r.is_frame(); r = d.next())
          ++frames;
      }
    }
    return frames;
  };
  EXPECT_EQ(run(3, 1000), 150u);
  std::size_t before = test::allocation_count();
  ASSERT_GT(before, 0u);  // the counting operator new is in effect
  EXPECT_EQ(run(200, 1000), 10000u);
  EXPECT_EQ(run(200, 7), 10000u);
  EXPECT_EQ(test::allocation_count() - before, 0u);
}

}  // namespace
}  // namespace sockit
