// serve chat --redis behind HAProxy (Debian's 2.6, mode tcp, balance leastconn, health checks):
// clients spread over three nodes still see one room. HAProxy sends a PROXY v2 header
// (send-proxy-v2, nodes with --proxy-protocol): its health checks (LOCAL, then it hangs up) never
// reach the room, so no guest joins and leaves every check interval.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "chat_redis_harness.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::ChatClient;
using test::ChatNode;
using test::RedisServer;
using test::start_node;

std::string haproxy_config(int front, const std::vector<ChatNode*>& nodes) {
  std::string cfg =
      "global\n  maxconn 200\ndefaults\n  mode tcp\n  timeout connect 2s\n"
      "  timeout client 60s\n  timeout server 60s\n"
      "  retries 2\n  option redispatch\n"
      "frontend chat\n  bind 127.0.0.1:" +
      std::to_string(front) + "\n  default_backend nodes\nbackend nodes\n  balance leastconn\n";
  int i = 0;
  for (auto* n : nodes)
    cfg += "  server n" + std::to_string(++i) + " 127.0.0.1:" + std::to_string(n->port) +
           " send-proxy-v2 check inter 200ms\n";
  return cfg;
}

TEST(ChatRedisHaproxy, ThirtyClientsThousandLinesOneOrderThenANodeDiesAndItsClientsMove) {
  RedisServer redis;
  ChatNode n1 = start_node(redis, "n1", {"--proxy-protocol"});
  ChatNode n2 =
      start_node(redis, "n2", {"--model", "reactors", "--threads", "2", "--proxy-protocol"});
  ChatNode n3 = start_node(redis, "n3", {"--proxy-protocol"});
  const int front = test::free_port();
  const std::string cfg_path =
      ::testing::TempDir() + "chat_haproxy_" + std::to_string(::getpid()) + ".cfg";
  std::ofstream(cfg_path) << haproxy_config(front, {&n1, &n2, &n3});
  test::Process haproxy({"/usr/sbin/haproxy", "-f", cfg_path, "-db"});
  ASSERT_TRUE(test::wait_bound(front)) << haproxy.err();

  std::vector<ChatClient> clients;
  for (int i = 0; i < 30; ++i) {
    clients.emplace_back(static_cast<std::uint16_t>(front));
    ASSERT_FALSE(clients.back().name.empty()) << "client " << i;
  }
  // leastconn spread them: every node has clients (/who names each member's node).
  ASSERT_TRUE(clients[0].say("/who"));
  ASSERT_TRUE(clients[0].wait_other("* online:", 5000ms));
  for (const char* node : {"@n1", "@n2", "@n3"})
    EXPECT_NE(clients[0].other.back().find(node), std::string::npos) << clients[0].other.back();

  std::mt19937 random(16);  // fixed seed: a failure can be replayed
  std::vector<std::string> sent;
  for (int i = 0; i < 1000; ++i) {
    auto& c = clients[random() % clients.size()];
    const std::string text = "m" + std::to_string(i);
    sent.push_back(c.name + ": " + text);
    ASSERT_TRUE(c.say(text));
  }
  test::expect_one_order(clients, {&n1, &n2, &n3}, sent);
  // Checks go on every 200 ms on three nodes: after 0.8 s of them (read up to the answer of a
  // /who), not one has joined the room.
  std::this_thread::sleep_for(800ms);
  clients[0].other.clear();
  ASSERT_TRUE(clients[0].say("/who"));
  ASSERT_TRUE(clients[0].wait_other("* online:", 5000ms));
  for (const auto& line : clients[0].other) {
    if (!line.ends_with(" joined") && !line.ends_with(" left")) continue;
    const std::string who = line.substr(2, line.find(' ', 2) - 2);
    EXPECT_TRUE(std::any_of(clients.begin(), clients.end(), [&](const ChatClient& c) {
      return c.name == who;
    })) << line;
  }

  // Kill n3: its clients see the end, reconnect through HAProxy (which redispatches a refused
  // connect to a live node), and the room goes on for everyone.
  clients[0].other.clear();  // the first /who's answer is in there
  ASSERT_TRUE(clients[0].say("/who"));
  ASSERT_TRUE(clients[0].wait_other("* online:", 5000ms));
  const std::string who = clients[0].other.back();
  n3.process->signal(SIGKILL);
  (void)n3.process->wait();
  int moved = 0;
  for (auto& c : clients) {
    c.chat.clear();
    if (who.find(" " + c.name + "@n3") == std::string::npos) continue;
    EXPECT_TRUE(c.conn->read_to_eof(5000ms).second) << c.name;
    c = ChatClient(static_cast<std::uint16_t>(front));
    ASSERT_FALSE(c.name.empty());
    ++moved;
  }
  EXPECT_GT(moved, 0);
  std::vector<std::string> after;
  for (int i = 0; i < 200; ++i) {
    auto& c = clients[random() % clients.size()];
    const std::string text = "m" + std::to_string(1000 + i);
    after.push_back(c.name + ": " + text);
    ASSERT_TRUE(c.say(text));
  }
  test::expect_one_order(clients, {&n1, &n2}, after);
  haproxy.signal(SIGTERM);
  (void)haproxy.wait();
  std::remove(cfg_path.c_str());
}

}  // namespace
}  // namespace sockit
