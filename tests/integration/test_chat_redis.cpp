// serve chat --redis: one room over a Redis Stream, shared by several nodes (issue 16). Every
// test starts its own redis-server on a free loopback port and stops it.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "chat_redis_harness.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::ChatClient;
using test::ChatNode;
using test::expect_one_order;
using test::RedisServer;
using test::start_node;

TEST(ChatRedis, ThreeNodesOneOrderNoOwnLineBack) {
  RedisServer redis;
  ChatNode n1 = start_node(redis, "n1");
  ChatNode n2 = start_node(redis, "n2", {"--model", "reactors", "--threads", "2"});
  ChatNode n3 = start_node(redis, "n3");
  std::vector<ChatClient> clients;
  for (auto* n : {&n1, &n2, &n3, &n1, &n2, &n3})
    clients.emplace_back(n->port);
  constexpr int kRounds = 20;
  std::vector<std::string> sent;
  for (int r = 0; r < kRounds; ++r) {
    for (std::size_t i = 0; i < clients.size(); ++i) {
      const std::string text = "m" + std::to_string(r) + "-" + std::to_string(i);
      sent.push_back(clients[i].name + ": " + text);
      ASSERT_TRUE(clients[i].say(text));
    }
  }
  expect_one_order(clients, {&n1, &n2, &n3}, sent);
}

TEST(ChatRedis, JoinLeaveWhoAndNickAcrossNodes) {
  RedisServer redis;
  ChatNode n1 = start_node(redis, "n1");
  ChatNode n2 = start_node(redis, "n2");
  ChatClient a(n1.port);
  ChatClient b(n2.port);
  ASSERT_TRUE(a.wait_other("* " + b.name + " joined", 5000ms));
  ASSERT_TRUE(b.say("/who"));
  ASSERT_TRUE(b.wait_other("* online:", 5000ms));
  std::vector<std::string> names{a.name + "@n1", b.name + "@n2"};
  std::sort(names.begin(), names.end());
  EXPECT_EQ(b.other.back(), "* online: " + names[0] + " " + names[1]);

  ASSERT_TRUE(a.say("/nick alice"));
  ASSERT_TRUE(a.wait_other("* you are now alice", 5000ms));
  ASSERT_TRUE(b.wait_other("* " + a.name + " is now alice", 5000ms));
  ASSERT_TRUE(b.say("/nick alice"));  // taken on the other node
  ASSERT_TRUE(b.wait_other("* name taken: alice", 5000ms));

  a.conn.reset();
  EXPECT_TRUE(b.wait_other("* alice left", 5000ms));
  n1.process->signal(SIGTERM);
  EXPECT_EQ(n1.process->wait(), 0);
  n2.process->signal(SIGTERM);
  EXPECT_EQ(n2.process->wait(), 0);
}

TEST(ChatRedis, KilledNodeTheOthersLoseNothingAndHearItsClientsLeave) {
  RedisServer redis;
  ChatNode n1 = start_node(redis, "n1");
  ChatNode n2 = start_node(redis, "n2");
  ChatNode n3 = start_node(redis, "n3");
  std::vector<ChatClient> clients;
  for (auto* n : {&n1, &n2})
    clients.emplace_back(n->port);
  ChatClient doomed(n3.port);
  for (auto& c : clients)
    ASSERT_TRUE(c.wait_other("* " + doomed.name + " joined", 5000ms));
  std::vector<std::string> sent;
  for (int r = 0; r < 40; ++r) {
    if (r == 10) {
      n3.process->signal(SIGKILL);
      (void)n3.process->wait();
    }
    auto& c = clients[static_cast<std::size_t>(r) % 2];
    sent.push_back(c.name + ": m" + std::to_string(r));
    ASSERT_TRUE(c.say("m" + std::to_string(r)));
  }
  expect_one_order(clients, {&n1, &n2}, sent);
  // The survivors say goodbye for the dead node's clients once its heartbeat expires (3 s).
  for (auto& c : clients)
    EXPECT_TRUE(c.wait_other("* " + doomed.name + " left (node n3 is gone)", 8000ms));
}

TEST(ChatRedis, RedisRestartRefusesLinesMeanwhileThenResumesInOrder) {
  RedisServer redis;
  ChatNode n1 = start_node(redis, "n1");
  ChatNode n2 = start_node(redis, "n2");
  ChatClient a(n1.port);
  ChatClient b(n2.port);
  ASSERT_TRUE(a.wait_other("* " + b.name + " joined", 5000ms));
  ASSERT_TRUE(a.say("m-before"));
  b.read_chat(1, 5000ms);
  ASSERT_EQ(b.chat, std::vector<std::string>{a.name + ": m-before"});

  const int port = redis.port;
  redis.kill();
  const std::string notice =
      "* room degraded: Redis is unreachable; your lines are refused until it is back";
  ASSERT_TRUE(a.wait_other(notice, 5000ms));
  ASSERT_TRUE(b.wait_other(notice, 5000ms));
  ASSERT_TRUE(a.say("m-during"));
  ASSERT_TRUE(
      a.wait_other("* not sent, the room is degraded (Redis unreachable): m-during", 5000ms));

  redis.start(port);
  ASSERT_TRUE(a.wait_other("* room restored", 5000ms));
  ASSERT_TRUE(b.wait_other("* room restored", 5000ms));
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE((i % 2 == 0 ? a : b).say("m-after" + std::to_string(i)));
  a.read_chat(5, 5000ms);
  b.read_chat(6, 5000ms);
  EXPECT_EQ(a.chat, (std::vector<std::string>{b.name + ": m-after1", b.name + ": m-after3",
                                              b.name + ": m-after5", b.name + ": m-after7",
                                              b.name + ": m-after9"}));
  EXPECT_EQ(b.chat, (std::vector<std::string>{a.name + ": m-before", a.name + ": m-after0",
                                              a.name + ": m-after2", a.name + ": m-after4",
                                              a.name + ": m-after6", a.name + ": m-after8"}));
  // The degraded notice came once, not once per failed reconnect.
  EXPECT_EQ(std::count(a.other.begin(), a.other.end(), notice), 1);
}

TEST(ChatRedis, LinkCutWhileRedisKeepsTheRoomNoGhostInWhoNoLineLost) {
  RedisServer redis;
  ChatNode n1 = start_node(redis, "n1");
  ChatNode n2 = start_node(redis, "n2");
  ChatClient a(n1.port);
  auto leaving = std::make_unique<ChatClient>(n1.port);
  ChatClient b(n2.port);
  ASSERT_TRUE(a.wait_other("* " + b.name + " joined", 5000ms));
  const std::string gone = leaving->name;
  // Redis stays, with the room; every node's connections are cut and come back within ~100 ms.
  auto kill = test::run(
      {"redis-cli", "-p", std::to_string(redis.port), "CLIENT", "KILL", "TYPE", "normal"});
  ASSERT_EQ(kill.exit_code, 0) << kill.err;
  ASSERT_TRUE(a.wait_other("* room degraded", 5000ms));
  leaving.reset();  // leaves while its node cannot tell the room
  ASSERT_TRUE(a.wait_other("* room restored", 5000ms));
  ASSERT_TRUE(b.wait_other("* room restored", 5000ms));
  std::vector<std::string> names{a.name + "@n1", b.name + "@n2"};
  std::sort(names.begin(), names.end());
  const std::string expected = "* online: " + names[0] + " " + names[1];
  // The node may learn of the close before the link is back (the room never hears of the
  // member again) or after (its leave goes to Redis then): either way the member is gone from
  // /who within moments. A ghost (the bug this guards against) would stay for good.
  for (int i = 0; i < 30; ++i) {
    b.other.clear();
    ASSERT_TRUE(b.say("/who"));
    ASSERT_TRUE(b.wait_other("* online:", 5000ms));
    if (b.other.back() == expected) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(b.other.back(), expected) << gone << " lingers";
  for (int i = 0; i < 6; ++i)
    ASSERT_TRUE((i % 2 == 0 ? a : b).say("m" + std::to_string(i)));
  a.read_chat(3, 5000ms);
  b.read_chat(3, 5000ms);
  EXPECT_EQ(a.chat, (std::vector<std::string>{b.name + ": m1", b.name + ": m3", b.name + ": m5"}));
  EXPECT_EQ(b.chat, (std::vector<std::string>{a.name + ": m0", a.name + ": m2", a.name + ": m4"}));
}

TEST(ChatRedis, NodeFallenBehindMaxlenSaysHowManyLinesItMissed) {
  // Small stream nodes so that MAXLEN ~ 10 really trims (Redis trims whole nodes only).
  RedisServer redis(0, {"--stream-node-max-entries", "5"});
  ChatNode fast = start_node(redis, "fast", {"--redis-maxlen", "10"});
  ChatNode slow = start_node(redis, "slow", {"--redis-maxlen", "10"});
  ChatClient talker(fast.port);
  ChatClient reader(slow.port);
  ASSERT_TRUE(talker.wait_other("* " + reader.name + " joined", 5000ms));
  // The slow node has read everything so far (its operator hears its own client's join too).
  ASSERT_TRUE(slow.process->wait_stdout("* " + reader.name + " joined", 5000ms));
  slow.process->signal(SIGSTOP);
  constexpr int kLines = 100;
  for (int i = 0; i < kLines; ++i)
    ASSERT_TRUE(talker.say("m" + std::to_string(i)));
  ASSERT_TRUE(fast.process->wait_stdout(talker.name + ": m99", 5000ms));
  slow.process->signal(SIGCONT);
  ASSERT_TRUE(reader.wait_other("* this node missed ", 5000ms));
  const std::string& missed = reader.other.back();
  const long n = std::stol(missed.substr(std::string("* this node missed ").size()));
  EXPECT_EQ(missed, "* this node missed " + std::to_string(n) +
                        " lines (it fell more than 10 lines behind the room)");
  reader.read_chat(static_cast<std::size_t>(kLines - n), 5000ms);
  ASSERT_EQ(reader.chat.size(), static_cast<std::size_t>(kLines - n));
  // What it got is the conversation in order with one gap of exactly n lines (a reply already
  // on its way when the node stopped may come before the gap).
  std::vector<long> got;
  for (const auto& line : reader.chat)
    got.push_back(std::stol(line.substr(line.find(": m") + 3)));
  long gaps = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const long expected = i == 0 ? 0 : got[i - 1] + 1;
    if (got[i] != expected) {
      ++gaps;
      EXPECT_EQ(got[i] - expected, n) << "at " << i;
    }
  }
  EXPECT_EQ(gaps, 1);
}

// Like the in-memory room, the node a client joined tells its operator where the client comes
// from: behind a proxy, the address of its PROXY header. Other nodes' operators, and every
// member, see only the name.
TEST(ChatRedis, OperatorSeesTheProxyHeadersAddressOfALocalJoin) {
  RedisServer redis;
  ChatNode n1 = start_node(redis, "n1", {"--proxy-protocol"});
  ChatNode n2 = start_node(redis, "n2");
  ChatClient watcher(n2.port);
  test::Client c(n1.port);
  ASSERT_TRUE(c.send("PROXY TCP4 203.0.113.7 198.51.100.1 41000 443\r\n"));
  const std::string welcome = c.read_until("\n", 5000ms);
  ASSERT_EQ(welcome.rfind("* welcome guest", 0), 0u) << welcome;
  const std::string name = welcome.substr(10, welcome.find(';') - 10);
  EXPECT_TRUE(n1.process->wait_stdout("* " + name + " joined from 203.0.113.7:41000\n", 5000ms))
      << n1.process->out();
  ASSERT_TRUE(watcher.wait_other("* " + name + " joined", 5000ms));
  EXPECT_EQ(watcher.other.back(), "* " + name + " joined");
  EXPECT_TRUE(n2.process->wait_stdout("* " + name + " joined\n", 5000ms)) << n2.process->out();
  // The line is printed once, with the address, and only by the node the client joined.
  const std::string& log1 = n1.process->out();
  EXPECT_EQ(log1.find("* " + name + " joined\n"), std::string::npos) << log1;
  EXPECT_EQ(log1.find(" joined from "), log1.rfind(" joined from ")) << log1;
  EXPECT_EQ(n2.process->out().find("203.0.113.7"), std::string::npos) << n2.process->out();
}

TEST(ChatRedis, UsageErrorsAndUnreachableRedis) {
  auto usage = [](std::vector<std::string> args, const std::string& line) {
    args.insert(args.begin(), test::sockit_bin());
    auto r = test::run(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(line), std::string::npos) << r.err;
  };
  usage({"serve", "echo", "0", "--redis", "127.0.0.1:6379"},
        "--redis is for serve chat (over TCP or a Unix socket)");
  usage({"serve", "chat", "0", "--redis", "127.0.0.1:6379", "--model", "thread"},
        "chat --redis runs on --model loop or reactors, not thread");
  usage({"serve", "chat", "0", "--redis", "127.0.0.1"},
        "--redis wants HOST:PORT (port 1-65535), not '127.0.0.1'");
  usage({"serve", "chat", "0", "--room", "x"},
        "--room, --node-id and --redis-maxlen are for serve chat --redis");
  usage({"serve", "chat", "0", "--redis", "127.0.0.1:6379", "--node-id", "a/b"},
        "--node-id: 1-64 visible characters without '/' or '@', not 'a/b'");
  const int port = test::free_port();  // nothing listens there
  auto r = test::run(
      {test::sockit_bin(), "serve", "chat", "0", "--redis", "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("sockit: cannot reach Redis at 127.0.0.1:" + std::to_string(port) +
                       ": Connection refused"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace sockit
