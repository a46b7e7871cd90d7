// The serializer: exact bytes of heads and chunks, the Date cache, refusals that append
// nothing, and round trips through the parsers.
#include <gtest/gtest.h>

#include <cerrno>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "sockit/codec/http_writer.hpp"
#include "sockit/core/buffer.hpp"
#include "test_http_support.hpp"

namespace sockit {
namespace {

using test::err;

// Replaces the Date value (which must be a current IMF-fixdate) by "<date>".
std::string without_date(std::string head, std::time_t before, std::time_t after) {
  const std::size_t at = head.find("\r\nDate: ");
  EXPECT_NE(at, std::string::npos);
  if (at == std::string::npos) return head;
  const std::string value = head.substr(at + 8, 29);
  EXPECT_TRUE(value == http_date_of(before) || value == http_date_of(after)) << value;
  return head.replace(at + 8, 29, "<date>");
}

TEST(HttpSerialize, DateIsImfFixdate) {
  EXPECT_EQ(http_date_of(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http_date_of(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http_date_of(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  const std::time_t before = std::time(nullptr);
  const std::string now(http_date());
  const std::time_t after = std::time(nullptr);
  EXPECT_TRUE(now == http_date_of(before) || now == http_date_of(after)) << now;
}

TEST(HttpSerialize, DateCacheIsPerThread) {
  std::vector<std::string> seen(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&seen, i] {
      for (int k = 0; k < 1000; ++k)
        seen[i] = std::string(http_date());
    });
  for (auto& t : threads)
    t.join();
  for (const auto& s : seen) {
    EXPECT_EQ(s.size(), 29u);
    EXPECT_EQ(s.substr(25), " GMT");
  }
}

TEST(HttpSerialize, ResponseHeadWithContentLength) {
  std::string out;
  const HttpHeader fields[] = {{"Server", "sockit"}, {"Content-Type", "text/plain"}};
  const std::time_t before = std::time(nullptr);
  ASSERT_TRUE(write_response_head(out, 200, fields, {HttpBodyKind::length, 13}));
  const std::time_t after = std::time(nullptr);
  EXPECT_EQ(without_date(out, before, after),
            "HTTP/1.1 200 OK\r\nDate: <date>\r\nServer: sockit\r\nContent-Type: text/plain\r\n"
            "Content-Length: 13\r\n\r\n");
}

TEST(HttpSerialize, FramingFieldPerStatus) {
  struct Case {
    int status;
    HttpBody body;
    const char* tail;  // what follows the Date line
  };
  const Case cases[] = {
      {200, {HttpBodyKind::none, 0}, "Content-Length: 0\r\n\r\n"},
      {404, {HttpBodyKind::chunked, 0}, "Transfer-Encoding: chunked\r\n\r\n"},
      {200, {HttpBodyKind::until_close, 0}, "\r\n"},
      {204, {HttpBodyKind::none, 0}, "\r\n"},
      {304, {HttpBodyKind::none, 0}, "\r\n"},
      {304, {HttpBodyKind::length, 7}, "Content-Length: 7\r\n\r\n"},
      {100, {HttpBodyKind::none, 0}, "\r\n"},
  };
  for (const auto& c : cases) {
    std::string out;
    ASSERT_TRUE(write_response_head(out, c.status, {}, c.body)) << c.status;
    const std::size_t date_end = out.find("\r\n", out.find("Date: ")) + 2;
    EXPECT_EQ(out.substr(date_end), c.tail) << c.status;
    EXPECT_EQ(out.substr(0, 9), "HTTP/1.1 ");
  }
  std::string out;
  ASSERT_TRUE(write_response_head(out, 599, {}, {}, {1, 0}));
  EXPECT_EQ(out.substr(0, 14), "HTTP/1.0 599 \r");
}

TEST(HttpSerialize, RefusalsAppendNothing) {
  struct Case {
    int status;
    std::vector<HttpHeader> fields;
    HttpBody body;
    HttpVersion version;
    std::error_code error;
  };
  const std::error_code einval = sys_error(EINVAL);
  const Case cases[] = {
      {200, {{"Content-Length", "5"}}, {}, {}, einval},
      {200, {{"transfer-encoding", "chunked"}}, {}, {}, einval},
      {200, {{"Date", "x"}}, {}, {}, einval},
      {200, {{"Bad Name", "x"}}, {}, {}, err(HttpErrc::invalid_field_name)},
      {200, {{"X", "a\r\nSet-Cookie: evil"}}, {}, {}, err(HttpErrc::invalid_field_value)},
      {200, {{"X", std::string_view("a\0b", 3)}}, {}, {}, err(HttpErrc::invalid_field_value)},
      {200, {{"X", " padded"}}, {}, {}, err(HttpErrc::invalid_field_value)},
      {204, {}, {HttpBodyKind::length, 1}, {}, einval},
      {101, {}, {HttpBodyKind::chunked, 0}, {}, einval},
      {304, {}, {HttpBodyKind::chunked, 0}, {}, einval},
      {200, {}, {HttpBodyKind::chunked, 0}, {1, 0}, einval},
      {99, {}, {}, {}, einval},
      {600, {}, {}, {}, einval},
  };
  for (const auto& c : cases) {
    std::string out = "kept";
    const Status s = write_response_head(out, c.status, c.fields, c.body, c.version);
    ASSERT_FALSE(s) << c.status;
    EXPECT_EQ(s.error(), c.error) << c.status;
    EXPECT_EQ(out, "kept");
  }
}

TEST(HttpSerialize, RequestHead) {
  std::string out;
  const HttpHeader fields[] = {{"Host", "example.com"}, {"Accept", "*/*"}};
  ASSERT_TRUE(write_request_head(out, "PUT", "/x?y=1", fields, {HttpBodyKind::length, 0}));
  EXPECT_EQ(out,
            "PUT /x?y=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n"
            "Content-Length: 0\r\n\r\n");
  out.clear();
  ASSERT_TRUE(write_request_head(out, "GET", "/", {}, {}, {1, 0}));
  EXPECT_EQ(out, "GET / HTTP/1.0\r\n\r\n");
  out.clear();
  EXPECT_EQ(write_request_head(out, "GET", "/", {}).error(), err(HttpErrc::missing_host));
  EXPECT_EQ(write_request_head(out, "GET", "/a b", fields).error(), err(HttpErrc::invalid_target));
  EXPECT_EQ(write_request_head(out, "G T", "/", fields).error(), err(HttpErrc::invalid_method));
  EXPECT_EQ(out, "");
}

TEST(HttpSerialize, Chunks) {
  std::string out;
  write_chunk(out, "hello");
  write_chunk(out, "");
  write_chunk(out, std::string(4096, 'z'));
  const HttpHeader trailers[] = {{"Checksum", "1"}};
  ASSERT_TRUE(write_last_chunk(out, trailers));
  EXPECT_EQ(out,
            "5\r\nhello\r\n1000\r\n" + std::string(4096, 'z') + "\r\n0\r\nChecksum: 1\r\n\r\n");
  Buffer buf;
  write_chunk(buf, "abc");
  ASSERT_TRUE(write_last_chunk(buf));
  EXPECT_EQ(buf.view(), "3\r\nabc\r\n0\r\n\r\n");
}

TEST(HttpSerialize, RoundTripThroughTheParsers) {
  std::string wire;
  const HttpHeader fields[] = {{"Server", "sockit"}, {"X-Empty", ""}};
  ASSERT_TRUE(write_response_head(wire, 200, fields, {HttpBodyKind::chunked, 0}));
  write_chunk(wire, "Hello, ");
  write_chunk(wire, "World!");
  ASSERT_TRUE(write_last_chunk(wire));
  ASSERT_TRUE(write_response_head(wire, 200, fields, {HttpBodyKind::length, 2}));
  wire += "ok";
  const test::Outcome o = test::expect_split_invariant(wire, {}, {"GET"});
  EXPECT_FALSE(o.error);
  ASSERT_EQ(o.messages.size(), 2u);
  EXPECT_EQ(o.messages[0].body, "Hello, World!");
  EXPECT_EQ(o.messages[0].headers.size(), 4u);  // Date, Server, X-Empty, Transfer-Encoding
  EXPECT_EQ(o.messages[1].body, "ok");

  std::string request;
  const HttpHeader host[] = {{"Host", "h"}};
  ASSERT_TRUE(write_request_head(request, "POST", "/up", host, {HttpBodyKind::chunked, 0}));
  write_chunk(request, "data");
  ASSERT_TRUE(write_last_chunk(request));
  const test::Outcome r = test::expect_split_invariant(request);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].body, "data");
}

TEST(HttpSerialize, ReasonPhrases) {
  EXPECT_EQ(http_reason(200), "OK");
  EXPECT_EQ(http_reason(404), "Not Found");
  EXPECT_EQ(http_reason(431), "Request Header Fields Too Large");
  EXPECT_EQ(http_reason(505), "HTTP Version Not Supported");
  EXPECT_EQ(http_reason(599), "");
}

}  // namespace
}  // namespace sockit
