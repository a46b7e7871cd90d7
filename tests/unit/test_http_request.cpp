// Request heads: exact fields, framing and keep-alive, limits at their exact edges, and the
// split-point property for every message here.
#include <gtest/gtest.h>

#include <string>

#include "sockit/codec/http_writer.hpp"
#include "sockit/core/error.hpp"
#include "support/alloc_counter.hpp"
#include "test_http_support.hpp"

namespace sockit {
namespace {

using test::err;
using test::expect_split_invariant;
using test::Fields;
using test::Outcome;
using test::run_requests;

TEST(HttpRequest, SimpleGetGivesExactFieldsAsViewsIntoTheInput) {
  const std::string in =
      "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept:  */* \r\n"
      "X-Empty:\r\n\r\n";
  HttpRequestParser p;
  const auto r = p.parse(in);
  ASSERT_EQ(r.status, HttpParseStatus::done);
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_EQ(r.head.method, "GET");
  EXPECT_EQ(r.head.target, "/index.html?q=1");
  EXPECT_EQ(r.head.version, (HttpVersion{1, 1}));
  EXPECT_EQ(r.head.host, "example.com");
  ASSERT_EQ(r.head.headers.size(), 3u);
  EXPECT_EQ(r.head.headers[0], (HttpHeader{"Host", "example.com"}));
  EXPECT_EQ(r.head.headers[1], (HttpHeader{"Accept", "*/*"}));
  EXPECT_EQ(r.head.headers[2], (HttpHeader{"X-Empty", ""}));
  EXPECT_EQ(r.head.find("accept"), "*/*");
  EXPECT_EQ(r.head.body, (HttpBody{HttpBodyKind::none, 0}));
  EXPECT_TRUE(r.head.keep_alive);
  // No copies: every view lies inside the caller's buffer.
  for (const auto& h : r.head.headers) {
    EXPECT_GE(h.name.data(), in.data());
    EXPECT_LE(h.value.data() + h.value.size(), in.data() + in.size());
  }
  EXPECT_EQ(r.head.method.data(), in.data());
  const Outcome o = expect_split_invariant(in);
  ASSERT_EQ(o.messages.size(), 1u);
  EXPECT_EQ(o.messages[0].headers,
            (Fields{{"Host", "example.com"}, {"Accept", "*/*"}, {"X-Empty", ""}}));
}

TEST(HttpRequest, NeedsMoreUntilTheEmptyLineThenStartsOver) {
  HttpRequestParser p;
  std::string in = "GET / HTTP/1.1\r\nHost: a\r\n";
  EXPECT_EQ(p.parse(in).status, HttpParseStatus::need_more);
  in += "\r";
  EXPECT_EQ(p.parse(in).status, HttpParseStatus::need_more);
  in += "\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n";
  auto r = p.parse(in);
  ASSERT_EQ(r.status, HttpParseStatus::done);
  EXPECT_EQ(r.consumed, 27u);
  in.erase(0, r.consumed);
  r = p.parse(in);
  ASSERT_EQ(r.status, HttpParseStatus::done);
  EXPECT_EQ(r.head.target, "/2");
  EXPECT_EQ(r.head.host, "b");
  EXPECT_EQ(
      expect_split_invariant("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: b\r\n\r\n")
          .messages.size(),
      2u);
}

TEST(HttpRequest, PipelinedRequestsWithBodiesParseInOrder) {
  const std::string in =
      "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
      "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  const Outcome o = expect_split_invariant(in);
  EXPECT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 3u);
  EXPECT_EQ(o.messages[0].body, "hello");
  EXPECT_EQ(o.messages[0].framing, (HttpBody{HttpBodyKind::length, 5}));
  EXPECT_EQ(o.messages[1].body, "abc");
  EXPECT_EQ(o.messages[1].framing, (HttpBody{HttpBodyKind::chunked, 0}));
  EXPECT_EQ(o.messages[2].target, "/c");
  EXPECT_FALSE(o.messages[2].keep_alive);
  EXPECT_EQ(o.left, 0u);
}

struct KeepAliveCase {
  const char* head;
  bool keep_alive;
};

TEST(HttpRequest, KeepAliveFollowsVersionAndConnection) {
  const KeepAliveCase cases[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", true},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false},
  };
  for (const auto& c : cases) {
    const Outcome o = expect_split_invariant(c.head);
    ASSERT_EQ(o.messages.size(), 1u) << c.head;
    EXPECT_EQ(o.messages[0].keep_alive, c.keep_alive) << c.head;
  }
}

TEST(HttpRequest, TargetFormsAllowedByMethod) {
  const char* good[] = {
      "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
      "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
      "GET http://example.com/x?y HTTP/1.1\r\nHost: example.com\r\n\r\n",
      "GET /%7Euser/a%20b?x=[1]&y={2} HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
      "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",  // empty lines before it are skipped
  };
  for (const char* in : good) {
    const Outcome o = expect_split_invariant(in);
    EXPECT_FALSE(o.error) << in << ": " << o.error.message();
    EXPECT_EQ(o.messages.size(), 1u) << in;
  }
  const char* bad[] = {
      "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
      "CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET example.com HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET http:/x HTTP/1.1\r\nHost: a\r\n\r\n",
      "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
  };
  for (const char* in : bad)
    EXPECT_EQ(expect_split_invariant(in).error, err(HttpErrc::invalid_target)) << in;
}

TEST(HttpRequest, VersionsOtherThan10And11Are505AndMalformedOnes400) {
  struct Case {
    const char* line;
    HttpErrc error;
  };
  const Case cases[] = {
      {"GET / HTTP/2.0\r\n\r\n", HttpErrc::version_not_supported},
      {"GET / HTTP/1.2\r\n\r\n", HttpErrc::version_not_supported},
      {"GET / HTTP/0.9\r\n\r\n", HttpErrc::version_not_supported},
      {"GET / HTTP/1.10\r\n\r\n", HttpErrc::invalid_version},
      {"GET / http/1.1\r\n\r\n", HttpErrc::invalid_version},
      {"GET / HTTP/1.1 \r\n\r\n", HttpErrc::invalid_version},
      {"GET /\r\n\r\n", HttpErrc::bad_request_line},
      {" / HTTP/1.1\r\n\r\n", HttpErrc::bad_request_line},
  };
  for (const auto& c : cases) {
    const Outcome o = expect_split_invariant(c.line);
    EXPECT_EQ(o.error, err(c.error)) << c.line;
    EXPECT_TRUE(o.messages.empty());
  }
  EXPECT_EQ(http_status(err(HttpErrc::version_not_supported)), 505);
  EXPECT_EQ(http_status(err(HttpErrc::invalid_version)), 400);
}

std::string request_line_of(std::size_t size) {
  const std::string tail = " HTTP/1.1";
  return "GET /" + std::string(size - 5 - tail.size(), 'a') + tail;
}

TEST(HttpRequest, RequestLineLimitIsExact) {
  HttpLimits limits;
  limits.max_start_line = 64;
  const std::string ok = request_line_of(64) + "\r\nHost: a\r\n\r\n";
  EXPECT_EQ(expect_split_invariant(ok, limits).messages.size(), 1u);
  const std::string over = request_line_of(65) + "\r\nHost: a\r\n\r\n";
  EXPECT_EQ(expect_split_invariant(over, limits).error, err(HttpErrc::start_line_too_long));
  // Refused as soon as the line is too long, before its end arrives.
  HttpRequestParser p(limits);
  const std::string partial = request_line_of(65);
  EXPECT_EQ(p.parse(partial.substr(0, 64)).status, HttpParseStatus::need_more);
  EXPECT_EQ(p.parse(partial).error, err(HttpErrc::start_line_too_long));
  EXPECT_EQ(http_status(err(HttpErrc::start_line_too_long)), 414);
  // The default is 8 KiB.
  EXPECT_EQ(run_requests(request_line_of(8192) + "\r\nHost: a\r\n\r\n").messages.size(), 1u);
  EXPECT_EQ(run_requests(request_line_of(8193)).error, err(HttpErrc::start_line_too_long));
}

std::string with_headers(std::size_t count) {
  std::string in = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (std::size_t i = 1; i < count; ++i)
    in += "X-" + std::to_string(i) + ": v\r\n";
  return in + "\r\n";
}

TEST(HttpRequest, HeaderCountLimitIsExact) {
  EXPECT_EQ(run_requests(with_headers(100)).messages.size(), 1u);
  EXPECT_EQ(run_requests(with_headers(101)).error, err(HttpErrc::too_many_headers));
  HttpLimits limits;
  limits.max_headers = 3;
  EXPECT_EQ(expect_split_invariant(with_headers(3), limits).messages.size(), 1u);
  EXPECT_EQ(expect_split_invariant(with_headers(4), limits).error, err(HttpErrc::too_many_headers));
  EXPECT_EQ(http_status(err(HttpErrc::too_many_headers)), 431);
}

// A header section of exactly `bytes` bytes: "Host: a\r\n" + one filler field + "\r\n".
std::string with_section(std::size_t bytes) {
  const std::size_t filler = bytes - 9 - 2 - 5;  // "X: " + value + "\r\n"
  return "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(filler, 'v') + "\r\n\r\n";
}

TEST(HttpRequest, HeaderBytesLimitIsExact) {
  EXPECT_EQ(run_requests(with_section(16 * 1024)).messages.size(), 1u);
  EXPECT_EQ(run_requests(with_section(16 * 1024 + 1)).error,
            err(HttpErrc::header_section_too_large));
  HttpLimits limits;
  limits.max_header_bytes = 100;
  EXPECT_EQ(expect_split_invariant(with_section(100), limits).messages.size(), 1u);
  EXPECT_EQ(expect_split_invariant(with_section(101), limits).error,
            err(HttpErrc::header_section_too_large));
  // An endless header line is refused once it passes the limit, not when it ends.
  HttpRequestParser p(limits);
  std::string in = "GET / HTTP/1.1\r\nX: " + std::string(97, 'v');
  EXPECT_EQ(p.parse(in).status, HttpParseStatus::need_more);
  in += "v";
  EXPECT_EQ(p.parse(in).error, err(HttpErrc::header_section_too_large));
}

TEST(HttpRequest, ContentLengthOverTheBodyLimitIs413AtTheHead) {
  HttpLimits limits;
  limits.max_body = 10;
  const Outcome ok = expect_split_invariant(
      "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", limits);
  ASSERT_EQ(ok.messages.size(), 1u);
  EXPECT_EQ(ok.messages[0].body, "0123456789");
  HttpRequestParser p(limits);
  const auto r = p.parse("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n");
  EXPECT_EQ(r.error, err(HttpErrc::body_too_large));
  EXPECT_EQ(http_status(r.error), 413);
  // 10 GB announced: refused from the head alone with the default limit.
  EXPECT_EQ(run_requests("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000000\r\n\r\n").error,
            err(HttpErrc::body_too_large));
}

TEST(HttpRequest, ResetClearsAStickyError) {
  HttpRequestParser p;
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost a\r\n\r\n").error, err(HttpErrc::invalid_field_name));
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").error, err(HttpErrc::invalid_field_name));
  p.reset();
  EXPECT_EQ(p.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").status, HttpParseStatus::done);
}

TEST(HttpRequest, TheInputMayMoveBetweenCalls) {
  HttpRequestParser p;
  std::string first = "GET /moved HTTP/1.1\r\nHo";
  EXPECT_EQ(p.parse(first).status, HttpParseStatus::need_more);
  std::string second = first + "st: a\r\nX: y\r\n\r\n";  // a different buffer, same prefix
  first.assign(first.size(), '#');
  const auto r = p.parse(second);
  ASSERT_EQ(r.status, HttpParseStatus::done);
  EXPECT_EQ(r.head.target, "/moved");
  EXPECT_EQ(test::copy_fields(r.head.headers), (Fields{{"Host", "a"}, {"X", "y"}}));
}

// A warm parser, body decoder and head writer allocate nothing per request: the header array
// and the trailer array are reused, and everything else is views and offsets.
TEST(HttpRequest, SteadyStateAllocatesNothing) {
  const std::string in =
      "POST /up?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\nAccept: */*\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\n";
  HttpRequestParser parser;
  HttpBodyDecoder body(parser.limits());
  std::string out;
  out.reserve(512);
  const HttpHeader fields[] = {{"Server", "sockit"}};
  auto round = [&] {
    std::string_view rest = in;
    const auto r = parser.parse(rest);
    if (r.status != HttpParseStatus::done) return std::size_t{0};
    rest.remove_prefix(r.consumed);
    body.reset(r.head.body);
    std::size_t bytes = 0;
    for (int guard = 0; guard < 10; ++guard) {
      const HttpBodyStep s = body.decode(rest);
      rest.remove_prefix(s.consumed);
      bytes += s.data.size();
      if (s.status != HttpBodyStatus::data) break;
    }
    out.clear();
    if (!write_response_head(out, 200, fields, {HttpBodyKind::length, bytes}))
      return std::size_t{0};
    return bytes + r.head.headers.size();
  };
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(round(), 9u);
  const std::size_t before = test::allocation_count();
  ASSERT_GT(before, 0u);  // the counting operator new is in effect
  std::size_t total = 0;
  for (int i = 0; i < 1000; ++i)
    total += round();
  EXPECT_EQ(total, 9000u);
  EXPECT_EQ(test::allocation_count() - before, 0u);
}

TEST(HttpRequest, EveryErrorHasAMessageAndAStatus) {
  for (int v = 1; v <= static_cast<int>(HttpErrc::truncated_body); ++v) {
    const std::error_code ec = make_error_code(static_cast<HttpErrc>(v));
    EXPECT_STREQ(ec.category().name(), "http");
    EXPECT_NE(ec.message(), "unknown HTTP error") << v;
    const int s = http_status(ec);
    EXPECT_TRUE(s == 400 || s == 413 || s == 414 || s == 431 || s == 501 || s == 502 || s == 505)
        << v << " -> " << s;
  }
  EXPECT_EQ(http_status(err(HttpErrc::invalid_field_value)), 400);
  EXPECT_EQ(http_status(err(HttpErrc::unsupported_transfer_coding)), 501);
  EXPECT_EQ(http_status(std::error_code{}), 0);
  EXPECT_EQ(http_status(make_error_code(Errc::line_too_long)), 500);
  EXPECT_EQ(err(HttpErrc::space_before_colon).message(),
            "whitespace between a header field name and its colon");
}

}  // namespace
}  // namespace sockit
