// http::Client against an in-process scripted server (a thread on 127.0.0.1:0): framing, 1xx,
// bodiless answers, keep-alive reuse and its silent replacement, the one deadline, errors;
// plus the URL rules and the gzip Inflater.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "sockit/core/buffer.hpp"
#include "sockit/http/client.hpp"
#include "sockit/http/inflate.hpp"
#include "sockit/http/url.hpp"
#include "sockit/stream/io.hpp"
#include "sockit/stream/tcp.hpp"
#include "unit/http_test_server.hpp"

namespace sockit::http {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

Result<Response> get(Client& c, const std::string& url, std::string& body,
                     std::string method = "GET", Deadline deadline = Deadline::after(5s)) {
  Request r;
  r.method = std::move(method);
  r.url = *parse_url(url);
  Events e;
  e.on_body = [&body](std::string_view piece) {
    body += piece;
    return Status{};
  };
  return c.send(r, e, deadline);
}

TEST(HttpUrl, ParsesWhatClientsType) {
  auto u = parse_url("HTTPS://User:pw@Example.ORG:8443/a/b?q=1#frag");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "example.org");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/a/b?q=1");
  EXPECT_EQ(u->userinfo, "User:pw");
  EXPECT_EQ(u->authority(), "example.org:8443");
  auto v6 = parse_url("[::1]:8080");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->scheme, "http");
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->target, "/");
  EXPECT_EQ(v6->origin(), "http://[::1]:8080");
  EXPECT_EQ(parse_url("http://h?x")->target, "/?x");
  EXPECT_EQ(parse_url("ftp://h/").error(), std::errc::protocol_not_supported);
  EXPECT_EQ(parse_url("http://h:0/").error(), std::errc::invalid_argument);
  EXPECT_EQ(parse_url("http://h:65536/").error(), std::errc::invalid_argument);
  EXPECT_EQ(parse_url("http:///x").error(), std::errc::invalid_argument);
  EXPECT_EQ(parse_url("http://h/a b").error(), std::errc::invalid_argument);
}

TEST(HttpUrl, ResolvesLocations) {
  const Url base = *parse_url("http://u:p@h:81/dir/page?x=1");
  EXPECT_EQ(resolve_location(base, "/abs")->to_string(), "http://h:81/abs");
  EXPECT_EQ(resolve_location(base, "rel?y")->to_string(), "http://h:81/dir/rel?y");
  EXPECT_EQ(resolve_location(base, "?z")->to_string(), "http://h:81/dir/page?z");
  EXPECT_EQ(resolve_location(base, "//other/p")->to_string(), "http://other/p");
  EXPECT_EQ(resolve_location(base, "https://o:9/")->to_string(), "https://o:9/");
  EXPECT_EQ(resolve_location(base, "/abs")->userinfo, "");  // credentials never follow
}

TEST(HttpClient, KeepAliveReusesTheConnection) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"s,
                          "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo"s}});
  Client client;
  std::string a, b;
  auto first = get(client, server.url("/1"), a);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_FALSE(first->reused);
  EXPECT_EQ(client.idle_connections(), 1U);
  auto second = get(client, server.url("/2"), b);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_TRUE(second->reused);
  EXPECT_EQ(a + b, "onetwo");
  EXPECT_EQ(second->timings.namelookup, Clock::duration{});
}

TEST(HttpClient, AClosedKeptConnectionIsReplacedOnce) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"s, ""s},
                         {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"}});
  Client client;
  std::string a, b;
  ASSERT_TRUE(get(client, server.url("/"), a));
  auto again = get(client, server.url("/"), b);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_FALSE(again->reused);
  EXPECT_EQ(a + b, "ab");
  EXPECT_EQ(server.accepted(), 2);
}

TEST(HttpClient, BodilessAnswersDoNotWait) {
  // Each announces a length it never sends; the next answer on the same connection proves the
  // client read no body (a wait would run into the 5 s deadline, a read would eat "HTTP/").
  ScriptedServer server(
      {{"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",
        "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
        "HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"}});
  Client client;
  std::string body;
  auto head = get(client, server.url("/"), body, "HEAD");
  ASSERT_TRUE(head) << head.error().message();
  EXPECT_EQ(head->find("content-length"), "99");
  EXPECT_EQ(get(client, server.url("/"), body)->status, 304);
  EXPECT_EQ(get(client, server.url("/"), body)->status, 204);
  auto last = get(client, server.url("/"), body);
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->reused);
  EXPECT_EQ(body, "body");
}

TEST(HttpClient, ChunkedWithTrailersAndInterimAnswers) {
  ScriptedServer server(
      {{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
        "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n"
        "X-Sum: 42\r\n\r\n"}});
  Client client;
  std::string body;
  int interim = 0;
  Request r{.url = *parse_url(server.url("/"))};
  Events e;
  e.on_interim = [&](const Response& i) { interim = i.status; };
  e.on_body = [&](std::string_view piece) {
    body += piece;
    return Status{};
  };
  auto resp = client.send(r, e, Deadline::after(5s));
  ASSERT_TRUE(resp) << resp.error().message();
  EXPECT_EQ(interim, 100);
  EXPECT_EQ(body, "abcde");
  EXPECT_EQ(resp->body_bytes, 5U);
  EXPECT_EQ(resp->trailers, (Fields{{"X-Sum", "42"}}));
}

TEST(HttpClient, ShortBodyIsAnError) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"s, ""s}});
  Client client;
  std::string body;
  auto r = get(client, server.url("/"), body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), HttpErrc::truncated_body);
  EXPECT_EQ(client.failed_phase(), Phase::receive);
  EXPECT_EQ(body, "abc");
  EXPECT_EQ(client.idle_connections(), 0U);
}

TEST(HttpClient, OneDeadlineOverTheWholeExchange) {
  ScriptedServer server({{"stall"}});
  Client client;
  std::string body;
  const auto start = Clock::now();
  auto r = get(client, server.url("/"), body, "GET", Deadline::after(200ms));
  ASSERT_FALSE(r);
  EXPECT_TRUE(is_timeout(r.error())) << r.error().message();
  EXPECT_LT(Clock::now() - start, 600ms);
}

TEST(HttpClient, FramingFieldsFromTheCallerAreRefused) {
  ScriptedServer server({{"stall"}});  // connected first: the head is refused after that
  Client client;
  Request r{.url = *parse_url(server.url("/"))};
  r.headers.push_back({"Content-Length", "5"});
  auto sent = client.send(r, {}, Deadline::after(5s));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error(), std::errc::invalid_argument);
  EXPECT_EQ(client.failed_phase(), Phase::send);
}

TEST(HttpInflate, GzipPiecesDecodeToTheText) {
  const unsigned char gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                              0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0xe7, 0x02, 0x00,
                              0x20, 0x30, 0x3a, 0x36, 0x06, 0x00, 0x00, 0x00};
  const std::string_view all(reinterpret_cast<const char*>(gz), sizeof gz);
  std::string out;
  Inflater inflater(Coding::gzip, [&](std::string_view s) {
    out += s;
    return Status{};
  });
  for (std::size_t i = 0; i < all.size(); i += 5)
    ASSERT_TRUE(inflater.feed(all.substr(i, 5)));
  EXPECT_TRUE(inflater.finish());
  EXPECT_EQ(out, "hello\n");
  Inflater cut(Coding::gzip, [](std::string_view) { return Status{}; });
  ASSERT_TRUE(cut.feed(all.substr(0, 12)));
  EXPECT_EQ(cut.finish().error(), std::errc::illegal_byte_sequence);
  EXPECT_EQ(parse_coding(" GZIP ").value(), Coding::gzip);
  EXPECT_EQ(parse_coding("br").error(), std::errc::not_supported);
}

}  // namespace
}  // namespace sockit::http
