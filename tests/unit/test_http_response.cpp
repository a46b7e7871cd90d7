// Response heads and the body rules that depend on the request method and the status (RFC 9112
// §6.3): HEAD, 1xx, 204, 304, CONNECT, close-delimited bodies; the split-point property for
// every response here.
#include <gtest/gtest.h>

#include <string>

#include "test_http_support.hpp"

namespace sockit {
namespace {

using test::err;
using test::expect_split_invariant;
using test::Fields;
using test::Outcome;

TEST(HttpResponse, StatusLineAndFieldsExactly) {
  const std::string in = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nServer: x\r\n\r\nnop";
  HttpResponseParser p;
  const auto r = p.parse(in);
  ASSERT_EQ(r.status, HttpParseStatus::done);
  EXPECT_EQ(r.head.status, 404);
  EXPECT_EQ(r.head.reason, "Not Found");
  EXPECT_EQ(r.head.version, (HttpVersion{1, 1}));
  EXPECT_EQ(test::copy_fields(r.head.headers), (Fields{{"Content-Length", "3"}, {"Server", "x"}}));
  EXPECT_EQ(r.head.body, (HttpBody{HttpBodyKind::length, 3}));
  EXPECT_TRUE(r.head.keep_alive);
  EXPECT_EQ(r.consumed, in.size() - 3);
  const Outcome o = expect_split_invariant(in, {}, {"GET"});
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].body, "nop");
}

TEST(HttpResponse, HeadResponsesHaveNoBodyWhateverTheLength) {
  const std::string in =
      "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const Outcome o = expect_split_invariant(in, {}, {"HEAD", "GET"});
  EXPECT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 2u);
  EXPECT_EQ(o.messages[0].framing, (HttpBody{HttpBodyKind::none, 0}));
  EXPECT_EQ(o.messages[0].body, "");
  EXPECT_EQ(o.messages[1].body, "ok");
}

TEST(HttpResponse, InterimNoContentAndNotModifiedHaveNoBody) {
  const std::string in =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\nETag: \"x\"\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n!";
  const Outcome o = expect_split_invariant(in, {}, {"GET"});
  EXPECT_FALSE(o.error) << o.error.message();
  ASSERT_EQ(o.messages.size(), 5u);
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(o.messages[i].framing, (HttpBody{HttpBodyKind::none, 0})) << i;
  EXPECT_EQ(o.messages[4].body, "!");
  HttpResponseParser p;
  const auto r = p.parse("HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_TRUE(r.head.interim());
  const auto s = p.parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
  EXPECT_FALSE(s.head.interim());
  EXPECT_EQ(s.head.body.kind, HttpBodyKind::none);
}

TEST(HttpResponse, CloseDelimitedBodiesEndAtEof) {
  const char* cases[] = {
      "HTTP/1.0 200 OK\r\n\r\nuntil the end",
      "HTTP/1.1 200 OK\r\n\r\nuntil the end",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nuntil the end",
  };
  for (const char* in : cases) {
    SCOPED_TRACE(in);
    const Outcome o = expect_split_invariant(in, {}, {"GET"}, true);
    EXPECT_FALSE(o.error) << o.error.message();
    ASSERT_EQ(o.messages.size(), 1u);
    EXPECT_EQ(o.messages[0].framing, (HttpBody{HttpBodyKind::until_close, 0}));
    EXPECT_EQ(o.messages[0].body, "until the end");
    EXPECT_FALSE(o.messages[0].keep_alive);
  }
  // Without the close it is still in the body.
  const Outcome open = test::run_responses("HTTP/1.1 200 OK\r\n\r\npartial");
  EXPECT_TRUE(open.messages.empty());
  EXPECT_TRUE(open.in_body);
}

TEST(HttpResponse, ChunkedResponseAndKeepAliveRules) {
  const std::string in =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n0\r\n\r\n"
      "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"
      "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  const Outcome o = expect_split_invariant(in, {}, {"GET"});
  ASSERT_EQ(o.messages.size(), 3u) << o.error.message();
  EXPECT_EQ(o.messages[0].body, "Wiki");
  EXPECT_TRUE(o.messages[0].keep_alive);
  EXPECT_TRUE(o.messages[1].keep_alive);
  EXPECT_FALSE(o.messages[2].keep_alive);
}

TEST(HttpResponse, ConnectSuccessBecomesATunnel) {
  const Outcome o =
      expect_split_invariant("HTTP/1.1 200 Connection established\r\n\r\n", {}, {"CONNECT"});
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].framing, (HttpBody{HttpBodyKind::none, 0}));
}

TEST(HttpResponse, StatusLineVariants) {
  HttpResponseParser p;
  auto r = p.parse("HTTP/1.1 200\r\n\r\n");
  ASSERT_EQ(r.status, HttpParseStatus::done);
  EXPECT_EQ(r.head.reason, "");
  r = p.parse("HTTP/1.1 200 \r\n\r\n");
  EXPECT_EQ(r.head.reason, "");
  r = p.parse("HTTP/1.1 599 Weird \xe9t\xe9\r\n\r\n");
  EXPECT_EQ(r.head.reason, "Weird \xe9t\xe9");
  for (const char* good :
       {"HTTP/1.1 200\r\n\r\n", "HTTP/1.1 200 \r\n\r\n", "HTTP/1.1 599 Weird \xe9t\xe9\r\n\r\n"})
    EXPECT_EQ(expect_split_invariant(good, {}, {"HEAD"}).messages.size(), 1u) << good;
  struct Bad {
    const char* in;
    HttpErrc error;
  };
  const Bad bad[] = {
      {"HTTP/1.1 20 OK\r\n\r\n", HttpErrc::invalid_status_line},
      {"HTTP/1.1 2000 OK\r\n\r\n", HttpErrc::invalid_status_line},
      {"HTTP/1.1 099 X\r\n\r\n", HttpErrc::invalid_status_line},
      {"HTTP/1.1 600 X\r\n\r\n", HttpErrc::invalid_status_line},
      {"HTTP/1.1  200 OK\r\n\r\n", HttpErrc::invalid_status_line},
      {"HTTP/1.1 200 O\x01K\r\n\r\n", HttpErrc::invalid_status_line},
      {"HTTP/2.0 200 OK\r\n\r\n", HttpErrc::version_not_supported},
      {"ICY 200 OK\r\n\r\n", HttpErrc::invalid_status_line},
      {"HTTP/1.1 200 OK\n\r\n", HttpErrc::bare_lf},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       HttpErrc::content_length_and_chunked},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       HttpErrc::duplicate_content_length},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", HttpErrc::chunked_twice},
      {"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
       HttpErrc::transfer_encoding_in_http10},
      {"HTTP/1.1 200 OK\r\nX : y\r\n\r\n", HttpErrc::space_before_colon},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.in);
    EXPECT_EQ(expect_split_invariant(b.in, {}, {"GET"}).error, err(b.error));
  }
  EXPECT_EQ(http_status(err(HttpErrc::invalid_status_line)), 502);
}

TEST(HttpResponse, UntilCloseBodyRespectsTheLimitWhateverTheSplit) {
  HttpLimits limits;
  limits.max_body = 4;
  const Outcome o = expect_split_invariant("HTTP/1.1 200 OK\r\n\r\n12345", limits, {"GET"}, true);
  EXPECT_EQ(o.error, err(HttpErrc::body_too_large));
  const Outcome fits = expect_split_invariant("HTTP/1.1 200 OK\r\n\r\n1234", limits, {"GET"}, true);
  ASSERT_EQ(fits.messages.size(), 1u);
  EXPECT_EQ(fits.messages[0].body, "1234");
}

}  // namespace
}  // namespace sockit
