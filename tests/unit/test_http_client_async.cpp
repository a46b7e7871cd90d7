// http::AsyncClient on an EventLoop against the same scripted server as the blocking client's
// tests: keep-alive reuse, chunked trailers, a short body, the one deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "sockit/async/async.hpp"
#include "sockit/http/async_client.hpp"
#include "unit/http_test_server.hpp"

namespace sockit::http {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

struct Fetched {
  Result<Response> response = fail(Errc::cancelled);
  std::string body;
};

// GETs each URL in order on one AsyncClient, run to completion on a fresh loop.
std::vector<Fetched> fetch(const std::vector<std::string>& urls, Clock::duration timeout = 5s) {
  auto loop = EventLoop::create();
  EXPECT_TRUE(loop);
  std::vector<Fetched> out(urls.size());
  auto task = [](EventLoop& l, const std::vector<std::string>& u, std::vector<Fetched>& o,
                 Clock::duration t) -> Task<void> {
    AsyncClient client(l);
    for (std::size_t i = 0; i < u.size(); ++i) {
      Request request;
      request.url = *parse_url(u[i]);
      Events events;
      events.on_body = [&o, i](std::string_view piece) {
        o[i].body += piece;
        return Status{};
      };
      o[i].response = co_await client.send(request, events, Deadline::after(t));
    }
  };
  EXPECT_TRUE(run_until_complete(**loop, task(**loop, urls, out, timeout)));
  return out;
}

TEST(HttpAsyncClient, KeepAliveReuseAndChunkedTrailers) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none"s,
                          "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\nX-T: 1\r\n\r\n"s}});
  auto got = fetch({server.url("/a"), server.url("/b")});
  ASSERT_TRUE(got[0].response) << got[0].response.error().message();
  ASSERT_TRUE(got[1].response) << got[1].response.error().message();
  EXPECT_EQ(got[0].body + got[1].body, "onetwo");
  EXPECT_FALSE(got[0].response->reused);
  EXPECT_TRUE(got[1].response->reused);
  EXPECT_EQ(got[1].response->trailers, (Fields{{"X-T", "1"}}));
  EXPECT_EQ(server.accepted(), 1);
}

TEST(HttpAsyncClient, ShortBodyIsAnError) {
  ScriptedServer server({{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"s, ""s}});
  auto got = fetch({server.url("/")});
  ASSERT_FALSE(got[0].response);
  EXPECT_EQ(got[0].response.error(), HttpErrc::truncated_body);
  EXPECT_EQ(got[0].body, "abc");
}

TEST(HttpAsyncClient, OneDeadline) {
  ScriptedServer server({{"stall"}});
  const auto start = Clock::now();
  auto got = fetch({server.url("/")}, 200ms);
  ASSERT_FALSE(got[0].response);
  EXPECT_TRUE(is_timeout(got[0].response.error())) << got[0].response.error().message();
  EXPECT_LT(Clock::now() - start, 600ms);
}

}  // namespace
}  // namespace sockit::http
