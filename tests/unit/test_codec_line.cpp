#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codec_test_support.hpp"
#include "sockit/codec/line.hpp"
#include "support/alloc_counter.hpp"

namespace sockit {
namespace {

using namespace std::string_literals;

using test::decode;
using test::Outcome;

struct Case {
  const char* name;
  LineMode mode;
  std::size_t max;
  std::string input;
  std::vector<std::string> frames;
  Errc error;  // Errc::ok: ends needing more
};

const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      {"lf_two_lines", LineMode::lf, 100, "a\nbb\n", {"a", "bb"}, Errc::ok},
      {"lf_keeps_cr", LineMode::lf, 100, "a\r\n", {"a\r"}, Errc::ok},
      {"lf_partial_tail", LineMode::lf, 100, "a\nrest", {"a"}, Errc::ok},
      {"mixed_endings", LineMode::crlf_or_lf, 100, "a\r\nb\nc", {"a", "b"}, Errc::ok},
      {"empty_lines", LineMode::crlf_or_lf, 100, "\n\r\n\n", {"", "", ""}, Errc::ok},
      {"only_one_cr_stripped", LineMode::crlf_or_lf, 100, "x\r\r\n", {"x\r"}, Errc::ok},
      {"binary_safe", LineMode::lf, 100, "a\0b\n"s, {"a\0b"s}, Errc::ok},
      {"strict_crlf_ok", LineMode::crlf, 100, "HELO x\r\nQUIT\r\n", {"HELO x", "QUIT"}, Errc::ok},
      {"strict_cr_inside", LineMode::crlf, 100, "a\rb\r\n", {"a\rb"}, Errc::ok},
      {"strict_bare_lf", LineMode::crlf, 100, "a\r\nb\nc\r\n", {"a"}, Errc::malformed_frame},
      {"strict_bare_lf_first", LineMode::crlf, 100, "\n", {}, Errc::malformed_frame},
      {"max_exact_lf", LineMode::lf, 5, "12345\n", {"12345"}, Errc::ok},
      {"max_plus_one_lf", LineMode::lf, 5, "123456\n", {}, Errc::line_too_long},
      {"max_exact_crlf", LineMode::crlf, 5, "12345\r\n", {"12345"}, Errc::ok},
      {"max_plus_one_crlf", LineMode::crlf, 5, "ok\r\n123456\r\n", {"ok"}, Errc::line_too_long},
      {"max_pending_cr_ok", LineMode::crlf_or_lf, 5, "12345\r", {}, Errc::ok},
      {"max_pending_cr_is_content_in_lf", LineMode::lf, 5, "12345\r", {}, Errc::line_too_long},
      {"max_no_delimiter", LineMode::crlf_or_lf, 5, "123456", {}, Errc::line_too_long},
      {"max_zero_empty_ok", LineMode::lf, 0, "\n\n", {"", ""}, Errc::ok},
      {"max_zero_one_byte", LineMode::lf, 0, "\na", {""}, Errc::line_too_long},
      {"empty_input", LineMode::lf, 10, "", {}, Errc::ok},
  };
  return table;
}

Errc errc_of(std::error_code ec) {
  if (!ec) return Errc::ok;
  EXPECT_EQ(&ec.category(), &sockit_category());
  return static_cast<Errc>(ec.value());
}

TEST(LineDecoder, TableOneShot) {
  for (const Case& c : cases()) {
    LineDecoder d(c.max, c.mode);
    Outcome o = decode(d, c.input, 0);
    EXPECT_EQ(o.frames, c.frames) << c.name;
    EXPECT_EQ(errc_of(o.error), c.error) << c.name;
  }
}

TEST(LineDecoder, ByteAtATimeEqualsOneShot) {
  for (const Case& c : cases()) {
    for (std::size_t chunk : {1u, 2u, 3u, 7u}) {
      LineDecoder whole(c.max, c.mode);
      LineDecoder pieces(c.max, c.mode);
      EXPECT_EQ(decode(pieces, c.input, chunk), decode(whole, c.input, 0))
          << c.name << " chunk " << chunk;
    }
  }
}

// The error is that of the earliest offending byte, whatever the chunking: content beyond
// max_line fails before a later bare '\n' could (found by fuzz_line_codec).
TEST(LineDecoder, ErrorKindIndependentOfChunking) {
  const Case table[] = {
      {"fuzz_cr_content_then_bare_lf", LineMode::crlf, 1, "a\r\xff\xff\n", {}, Errc::line_too_long},
      {"over_max_then_bare_lf", LineMode::crlf, 5, "123456\n", {}, Errc::line_too_long},
      {"at_max_then_bare_lf", LineMode::crlf, 5, "12345\n", {}, Errc::malformed_frame},
      {"max_zero_bare_lf", LineMode::crlf, 0, "\n", {}, Errc::malformed_frame},
      {"max_zero_byte_then_bare_lf", LineMode::crlf, 0, "a\n", {}, Errc::line_too_long},
      {"over_max_then_cr_cr_lf", LineMode::crlf, 5, "12345\r\r\n", {}, Errc::line_too_long},
      {"after_frame_over_max_bare_lf",
       LineMode::crlf,
       2,
       "ok\r\nabc\n",
       {"ok"},
       Errc::line_too_long},
  };
  for (const Case& c : table) {
    for (std::size_t chunk : {0u, 1u}) {
      LineDecoder d(c.max, c.mode);
      const Outcome o = decode(d, c.input, chunk);
      EXPECT_EQ(o.frames, c.frames) << c.name << " chunk " << chunk;
      EXPECT_EQ(errc_of(o.error), c.error) << c.name << " chunk " << chunk;
    }
  }
}

TEST(LineDecoder, PartialLineIsBufferedNotReturned) {
  LineDecoder d(100, LineMode::crlf_or_lf);
  d.feed("hel");
  EXPECT_TRUE(d.next().needs_more());
  EXPECT_EQ(d.buffered(), 3u);
  d.feed("lo\r");
  EXPECT_TRUE(d.next().needs_more());
  d.feed("\nnext");
  Decoded r = d.next();
  ASSERT_TRUE(r.is_frame());
  EXPECT_EQ(r.frame, "hello");
  EXPECT_EQ(d.buffered(), 4u);  // "next" is kept
  EXPECT_TRUE(d.next().needs_more());
}

TEST(LineDecoder, TooLongReportedBeforeDelimiterArrives) {
  LineDecoder d(8, LineMode::lf);
  d.feed("12345678");
  EXPECT_TRUE(d.next().needs_more());
  d.feed("9");  // 9 content bytes, no delimiter yet: already fatal
  Decoded r = d.next();
  ASSERT_TRUE(r.failed());
  EXPECT_EQ(r.error, Errc::line_too_long);
}

TEST(LineDecoder, ErrorIsStickyUntilReset) {
  LineDecoder d(100, LineMode::crlf);
  d.feed("bad\n");
  EXPECT_EQ(d.next().error, Errc::malformed_frame);
  d.feed("good\r\n");
  Decoded again = d.next();
  ASSERT_TRUE(again.failed());
  EXPECT_EQ(again.error, Errc::malformed_frame);
  EXPECT_EQ(d.buffered(), 0u);  // input dropped while failed
  d.reset();
  d.feed("good\r\n");
  Decoded ok = d.next();
  ASSERT_TRUE(ok.is_frame());
  EXPECT_EQ(ok.frame, "good");
}

TEST(LineDecoder, ManyFramesFromOneFeedAndLongLinePieces) {
  LineDecoder d(100000, LineMode::lf);
  std::string input;
  for (int i = 0; i < 1000; ++i)
    input += std::to_string(i) + "\n";
  d.feed(input);
  int count = 0;
  for (Decoded r = d.next(); r.is_frame(); r = d.next()) {
    EXPECT_EQ(r.frame, std::to_string(count));
    ++count;
  }
  EXPECT_EQ(count, 1000);
  std::string big(99999, 'L');
  for (std::size_t at = 0; at < big.size(); at += 1000) {
    d.feed(std::string_view(big).substr(at, 1000));
    EXPECT_TRUE(d.next().needs_more());
  }
  d.feed("\n");
  Decoded r = d.next();
  ASSERT_TRUE(r.is_frame());
  EXPECT_EQ(r.frame.size(), big.size());
}

TEST(LineEncoder, AppendsEnding) {
  std::string out;
  ASSERT_TRUE(encode_line(out, "one", LineMode::lf));
  ASSERT_TRUE(encode_line(out, "", LineMode::crlf));
  ASSERT_TRUE(encode_line(out, "three", LineMode::crlf_or_lf));
  EXPECT_EQ(out, "one\n\r\nthree\r\n");
  Buffer buf;
  ASSERT_TRUE(encode_line(buf, "x\ry", LineMode::crlf));
  EXPECT_EQ(buf.view(), "x\ry\r\n");
}

TEST(LineEncoder, RejectsEmbeddedNewlineAndTooLong) {
  std::string out = "kept";
  auto nl = encode_line(out, "two\nlines", LineMode::lf);
  ASSERT_FALSE(nl);
  EXPECT_EQ(nl.error(), Errc::malformed_frame);
  auto longer = encode_line(out, "123456", LineMode::lf, 5);
  ASSERT_FALSE(longer);
  EXPECT_EQ(longer.error(), Errc::line_too_long);
  EXPECT_TRUE(encode_line(out, "12345", LineMode::lf, 5));
  EXPECT_EQ(out, "kept12345\n");
  Buffer buf;
  EXPECT_FALSE(encode_line(buf, "a\nb", LineMode::crlf));
  EXPECT_TRUE(buf.empty());
}

TEST(LineCodec, RoundTripEveryMode) {
  const std::vector<std::string> lines = {"", "a", "with\rcr", "trailing cr\r",
                                          std::string(64, 'z')};
  for (LineMode mode : {LineMode::lf, LineMode::crlf_or_lf, LineMode::crlf}) {
    Buffer wire;
    for (const auto& l : lines)
      ASSERT_TRUE(encode_line(wire, l, mode));
    LineDecoder d(64, mode);
    Outcome o = decode(d, wire.view(), 5);
    EXPECT_EQ(o.frames, lines) << static_cast<int>(mode);
    EXPECT_FALSE(o.error);
  }
}

TEST(LineDecoder, NoAllocationPerFrameAfterWarmUp) {
  // Each chunk ends mid-line, so every feed also carries a partial line over.
  std::string chunk = "tial\r\n";
  for (int i = 0; i < 100; ++i)
    chunk += "line number " + std::to_string(i) + "\r\n";
  chunk += "par";
  LineDecoder d(128, LineMode::crlf);
  auto run = [&](int rounds) {
    std::size_t frames = 0;
    for (int i = 0; i < rounds; ++i) {
      d.feed(chunk);
      for (Decoded r = d.next(); r.is_frame(); r = d.next())
        ++frames;
    }
    return frames;
  };
  EXPECT_EQ(run(3), 303u);
  std::size_t before = test::allocation_count();
  ASSERT_GT(before, 0u);  // the counting operator new is in effect
  EXPECT_EQ(run(1000), 101000u);
  EXPECT_EQ(test::allocation_count() - before, 0u);
}

}  // namespace
}  // namespace sockit
