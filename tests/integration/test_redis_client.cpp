// RedisClient: hiredis's async API on our EventLoop, against a redis-server of the test's own.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "chat_redis_harness.hpp"
#include "sockit/redis/redis.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

struct LoopFixture {
  std::unique_ptr<EventLoop> loop = std::move(EventLoop::create().value());
  /// Runs the loop until `done` or 5 s.
  void run_until(const bool& done) {
    const auto end = std::chrono::steady_clock::now() + 5s;
    while (!done && std::chrono::steady_clock::now() < end) {
      loop->run_after(10ms, [this] { loop->stop(); });
      ASSERT_TRUE(loop->run());
    }
  }
};

TEST(RedisClient, CommandsRunInOrderAndRepliesAreCopied) {
  test::RedisServer redis;
  LoopFixture f;
  bool up = false;
  auto client = RedisClient::connect(
      *f.loop, "127.0.0.1", static_cast<std::uint16_t>(redis.port), [&] { up = true; },
      [](const RedisFailure&) {});
  ASSERT_TRUE(client);
  std::vector<std::string> seen;
  bool done = false;
  (*client)->command({"SET", "k", std::string("a\0b", 3)}, [&](Result<RedisReply> r) {
    ASSERT_TRUE(r);
    seen.push_back(r->str);
  });
  (*client)->command({"GET", "k"}, [&](Result<RedisReply> r) {
    ASSERT_TRUE(r);
    seen.push_back(r->str);
  });
  (*client)->command({"RPUSH", "l", "x", "y"}, [&](Result<RedisReply> r) {
    ASSERT_TRUE(r);
    seen.push_back(std::to_string(r->integer));
  });
  (*client)->command({"LRANGE", "l", "0", "-1"}, [&](Result<RedisReply> r) {
    ASSERT_TRUE(r);
    ASSERT_EQ(r->type, RedisReply::Type::array);
    for (const auto& e : r->element)
      seen.push_back(e.str);
  });
  (*client)->command({"NOSUCHCOMMAND"}, [&](Result<RedisReply> r) {
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->is_error());
    seen.push_back(r->str.substr(0, 19));
    done = true;
  });
  f.run_until(done);
  EXPECT_TRUE(up);
  EXPECT_TRUE((*client)->up());
  EXPECT_EQ(seen, (std::vector<std::string>{"OK", std::string("a\0b", 3), "2", "x", "y",
                                            "ERR unknown command"}));
}

TEST(RedisClient, RefusedConnectionGoesDownOnceWithTheOsError) {
  LoopFixture f;
  const int port = test::free_port();  // nothing listens there
  std::optional<RedisFailure> failure;
  int downs = 0;
  auto client = RedisClient::connect(*f.loop, "127.0.0.1", static_cast<std::uint16_t>(port),
                                     nullptr, [&](const RedisFailure& why) {
                                       failure = why;
                                       ++downs;
                                     });
  ASSERT_TRUE(client);
  bool cancelled = false;
  (*client)->command({"PING"}, [&](Result<RedisReply> r) {
    ASSERT_FALSE(r);
    cancelled = true;
  });
  f.run_until(cancelled);
  bool later = false;
  f.loop->run_after(50ms, [&] { later = true; });
  f.run_until(later);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->code, std::errc::connection_refused) << failure->text;
  EXPECT_EQ(downs, 1);
  EXPECT_TRUE((*client)->down());
  bool refused = false;  // a client that is down answers every later command with cancelled
  (*client)->command({"PING"}, [&](Result<RedisReply> r) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::cancelled);
    refused = true;
  });
  f.run_until(refused);
}

TEST(RedisClient, ServerGoingAwayFailsTheBlockedCommandAndReportsDown) {
  test::RedisServer redis;
  LoopFixture f;
  std::optional<RedisFailure> failure;
  auto client = RedisClient::connect(*f.loop, "127.0.0.1", static_cast<std::uint16_t>(redis.port),
                                     nullptr, [&](const RedisFailure& why) { failure = why; });
  ASSERT_TRUE(client);
  bool failed = false;
  (*client)->command({"BLPOP", "nothing", "0"}, [&](Result<RedisReply> r) {
    EXPECT_FALSE(r);
    failed = true;
  });
  bool blocked = false;
  f.loop->run_after(100ms, [&] { blocked = true; });
  f.run_until(blocked);
  redis.kill();
  f.run_until(failed);
  EXPECT_TRUE(failed);
  bool reported = false;
  f.loop->run_after(50ms, [&] { reported = true; });
  f.run_until(reported);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->code, Errc::closed_early) << failure->text;
  EXPECT_TRUE((*client)->down());
}

}  // namespace
}  // namespace sockit
