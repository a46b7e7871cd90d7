// Body decoding: Content-Length and chunked bodies, extensions, trailers, limits at their edges
// and truncation, with the split-point property for every body here.
#include <gtest/gtest.h>

#include <string>

#include "test_http_support.hpp"

namespace sockit {
namespace {

using test::err;
using test::expect_split_invariant;
using test::Fields;
using test::Outcome;

std::string chunked_request(const std::string& body) {
  return "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
}

TEST(HttpChunked, ChunksConcatenateAndTrailersComeBack) {
  const Outcome o = expect_split_invariant(chunked_request(
      "5\r\nhello\r\n1;ext=1\r\n \r\nA\r\n0123456789\r\n0\r\nChecksum: abc\r\nX-T:  y \r\n\r\n"));
  EXPECT_FALSE(o.error) << o.error.message();
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].body, "hello 0123456789");
  EXPECT_EQ(o.messages[0].trailers, (Fields{{"Checksum", "abc"}, {"X-T", "y"}}));
  EXPECT_EQ(o.left, 0u);
  EXPECT_FALSE(o.in_body);
}

TEST(HttpChunked, HexSizesInEitherCaseWithLeadingZeros) {
  const std::string data(0x1f, 'd');
  const Outcome o = expect_split_invariant(
      chunked_request("001F\r\n" + data + "\r\n1f\r\n" + data + "\r\n0000\r\n\r\n"));
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].body, data + data);
}

TEST(HttpChunked, EmptyBodyAndQuotedExtensions) {
  Outcome o = expect_split_invariant(chunked_request("0\r\n\r\n"));
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].body, "");
  o = expect_split_invariant(
      chunked_request("3 ; name = \"q \\\" v\" ; flag\r\nabc\r\n0;last\r\n\r\n"));
  ASSERT_EQ(o.messages.size(), 1u) << o.error.message();
  EXPECT_EQ(o.messages[0].body, "abc");
}

TEST(HttpChunked, PiecesAreViewsIntoTheCallersData) {
  HttpBodyDecoder d({HttpBodyKind::chunked, 0}, HttpLimits{});
  const std::string in = "3\r\nabc\r\n0\r\nT: v\r\n\r\nrest";
  auto s = d.decode(in);
  ASSERT_EQ(s.status, HttpBodyStatus::data);
  EXPECT_EQ(s.data, "abc");
  EXPECT_EQ(s.data.data(), in.data() + 3);
  EXPECT_EQ(s.consumed, 6u);
  const std::string rest = in.substr(s.consumed);
  s = d.decode(rest);
  ASSERT_EQ(s.status, HttpBodyStatus::done);
  EXPECT_EQ(s.consumed, 13u);  // "\r\n0\r\nT: v\r\n\r\n"
  ASSERT_EQ(s.trailers.size(), 1u);
  EXPECT_EQ(s.trailers[0], (HttpHeader{"T", "v"}));
  EXPECT_EQ(rest.substr(s.consumed), "rest");
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.received(), 3u);
  const Outcome o = expect_split_invariant(chunked_request("3\r\nabc\r\n0\r\nT: v\r\n\r\n"));
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].body, "abc");
  EXPECT_EQ(o.messages[0].trailers, (Fields{{"T", "v"}}));
}

TEST(HttpChunked, ContentLengthBodyStopsAtItsLength) {
  HttpBodyDecoder d({HttpBodyKind::length, 4}, HttpLimits{});
  auto s = d.decode("ab");
  EXPECT_EQ(s.data, "ab");
  EXPECT_EQ(s.consumed, 2u);
  s = d.decode("cdEXTRA");
  EXPECT_EQ(s.data, "cd");
  EXPECT_EQ(s.consumed, 2u);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.decode("EXTRA").status, HttpBodyStatus::done);
  EXPECT_EQ(d.decode("EXTRA").consumed, 0u);
}

TEST(HttpChunked, BodyLimitIsExactAcrossChunks) {
  HttpLimits limits;
  limits.max_body = 8;
  Outcome o =
      expect_split_invariant(chunked_request("5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"), limits);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].body, "helloabc");
  o = expect_split_invariant(chunked_request("5\r\nhello\r\n4\r\nabcd\r\n0\r\n\r\n"), limits);
  EXPECT_EQ(o.error, err(HttpErrc::body_too_large));
  EXPECT_EQ(http_status(o.error), 413);
}

TEST(HttpChunked, ChunkLineAndExtensionLimitsAreExact) {
  HttpLimits limits;
  limits.max_chunk_line = 16;
  limits.max_chunk_extension = 8;
  // "1;aaaaaa=" ... : size digit + extension of exactly 8 bytes.
  Outcome o = expect_split_invariant(chunked_request("1;abcd=ef\r\nx\r\n0\r\n\r\n"), limits);
  EXPECT_EQ(o.messages.size(), 1u) << o.error.message();
  o = expect_split_invariant(chunked_request("1;abcd=efg\r\nx\r\n0\r\n\r\n"), limits);
  EXPECT_EQ(o.error, err(HttpErrc::chunk_extension_too_long));
  o = expect_split_invariant(chunked_request(std::string(15, '0') + "1\r\nx\r\n0\r\n\r\n"), limits);
  EXPECT_EQ(o.messages.size(), 1u) << o.error.message();
  o = expect_split_invariant(chunked_request(std::string(16, '0') + "1\r\nx\r\n0\r\n\r\n"), limits);
  EXPECT_EQ(o.error, err(HttpErrc::chunk_line_too_long));
  // An endless size line is refused once past the limit.
  HttpBodyDecoder d({HttpBodyKind::chunked, 0}, limits);
  EXPECT_EQ(d.decode(std::string(16, '0')).status, HttpBodyStatus::need_more);
  EXPECT_EQ(d.decode(std::string(17, '0')).error, err(HttpErrc::chunk_line_too_long));
}

TEST(HttpChunked, TrailerLimits) {
  HttpLimits limits;
  limits.max_trailers = 2;
  limits.max_trailer_bytes = 20;
  Outcome o = expect_split_invariant(chunked_request("0\r\nA: 1\r\nB: 2\r\n\r\n"), limits);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].trailers, (Fields{{"A", "1"}, {"B", "2"}}));
  o = expect_split_invariant(chunked_request("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), limits);
  EXPECT_EQ(o.error, err(HttpErrc::trailer_section_too_large));
  o = expect_split_invariant(chunked_request("0\r\nA: " + std::string(14, 'v') + "\r\n\r\n"),
                             limits);
  EXPECT_EQ(o.error, err(HttpErrc::trailer_section_too_large));
  EXPECT_EQ(http_status(o.error), 431);
}

TEST(HttpChunked, TruncatedBodiesFailAtClose) {
  HttpBodyDecoder chunked({HttpBodyKind::chunked, 0}, HttpLimits{});
  EXPECT_EQ(chunked.decode("5\r\nhel").data, "hel");
  EXPECT_EQ(chunked.finish().error, err(HttpErrc::truncated_body));
  HttpBodyDecoder length({HttpBodyKind::length, 10}, HttpLimits{});
  EXPECT_EQ(length.decode("12345").consumed, 5u);
  EXPECT_EQ(length.finish().error, err(HttpErrc::truncated_body));
  HttpBodyDecoder whole({HttpBodyKind::length, 2}, HttpLimits{});
  EXPECT_EQ(whole.decode("12").consumed, 2u);
  EXPECT_EQ(whole.finish().status, HttpBodyStatus::done);
}

TEST(HttpChunked, AByteAfterChunkDataThatIsNotCrFailsAtOnce) {
  HttpBodyDecoder d({HttpBodyKind::chunked, 0}, HttpLimits{});
  EXPECT_EQ(d.decode("2\r\nab").data, "ab");
  EXPECT_EQ(d.decode("\r").status, HttpBodyStatus::need_more);
  EXPECT_EQ(d.decode("\rX").error, err(HttpErrc::invalid_chunk_end));
  EXPECT_EQ(d.decode("\r\n0\r\n\r\n").error, err(HttpErrc::invalid_chunk_end));
}

TEST(HttpChunked, ResetReArmsTheDecoderForTheNextBody) {
  HttpBodyDecoder d(HttpLimits{});
  EXPECT_TRUE(d.done());  // no body until told otherwise
  d.reset({HttpBodyKind::chunked, 0});
  EXPECT_EQ(d.decode("zz\r\n").error, err(HttpErrc::invalid_chunk_size));
  d.reset({HttpBodyKind::chunked, 0});
  auto s = d.decode("1\r\nx\r\n0\r\nK: v\r\n\r\n");
  EXPECT_EQ(s.data, "x");
  s = d.decode(std::string_view("1\r\nx\r\n0\r\nK: v\r\n\r\n").substr(s.consumed));
  ASSERT_EQ(s.status, HttpBodyStatus::done);
  ASSERT_EQ(s.trailers.size(), 1u);
  d.reset({HttpBodyKind::length, 3});
  EXPECT_EQ(d.received(), 0u);
  s = d.decode("abcd");
  EXPECT_EQ(s.data, "abc");
  EXPECT_TRUE(d.done());
  EXPECT_TRUE(d.decode("").trailers.empty());  // the last body's trailers are gone
}

}  // namespace
}  // namespace sockit
