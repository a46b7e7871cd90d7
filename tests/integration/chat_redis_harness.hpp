// Chat over Redis, for the tests: a redis-server of our own on a free loopback port, `sockit
// serve chat --redis` nodes, and clients that tell chat lines from notices.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli_peers.hpp"
#include "support/process.hpp"
#include "support/server_fixture.hpp"

namespace sockit::test {

using namespace std::chrono_literals;

/// redis-server on 127.0.0.1, no persistence (a restart loses the room, as a crash would).
struct RedisServer {
  int port = 0;
  std::unique_ptr<Process> process;
  explicit RedisServer(int at = 0, std::vector<std::string> extra = {}) { start(at, extra); }
  void start(int at, const std::vector<std::string>& extra = {}) {
    port = at != 0 ? at : free_port();
    std::vector<std::string> argv{
        "redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no",     "--daemonize",        "no"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process = std::make_unique<Process>(argv);
    ASSERT_TRUE(process->wait_stdout("Ready to accept connections", 5000ms)) << process->out();
  }
  void kill() {
    process->signal(SIGKILL);
    (void)process->wait(5000ms);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

struct ChatNode {
  std::unique_ptr<Process> process;
  std::uint16_t port = 0;
};

/// `sockit serve chat 0 --redis ... --node-id ID [extra]`, serving once it says so.
inline ChatNode start_node(const RedisServer& redis, const std::string& id,
                           std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{sockit_bin(), "serve",         "chat",      "0",
                                "--redis",    redis.address(), "--node-id", id};
  argv.insert(argv.end(), extra.begin(), extra.end());
  ChatNode node;
  node.process = std::make_unique<Process>(argv);
  EXPECT_TRUE(node.process->wait_stderr("serving chat on ", 5000ms)) << node.process->err();
  node.port = static_cast<std::uint16_t>(port_after(node.process->err(), "serving chat on "));
  return node;
}

/// A chat client that remembers its name and sorts what it reads into chat lines (with "m" in
/// the text: "guest3: m17") and everything else.
struct ChatClient {
  std::unique_ptr<Client> conn;
  std::string name;
  std::vector<std::string> chat, other;

  explicit ChatClient(std::uint16_t port) : conn(std::make_unique<Client>(port)) {
    const std::string welcome = conn->read_until("\n", 5000ms);
    const auto at = welcome.find("* welcome ");
    EXPECT_NE(at, std::string::npos) << welcome;
    if (at != std::string::npos) name = welcome.substr(at + 10, welcome.find(';', at) - at - 10);
  }
  bool say(const std::string& text) { return conn->send(text + "\n"); }
  /// Reads one line into `chat` or `other`; false on timeout or EOF.
  bool read_one(std::chrono::milliseconds timeout) {
    std::string line = conn->read_until("\n", timeout);
    if (line.empty() || line.back() != '\n') return false;
    line.pop_back();
    (line.find(": m") != std::string::npos && line[0] != '*' ? chat : other).push_back(line);
    return true;
  }
  /// Reads until `n` chat lines arrived in all, or `timeout` passed.
  void read_chat(std::size_t n, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (chat.size() < n && std::chrono::steady_clock::now() < end) {
      if (!read_one(std::chrono::duration_cast<std::chrono::milliseconds>(
              end - std::chrono::steady_clock::now())))
        break;
    }
  }
  /// Reads until a non-chat line containing `needle` arrived; true if it did.
  bool wait_other(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (const auto& l : other)
        if (l.find(needle) != std::string::npos) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left <= 0ms || !read_one(left)) return false;
    }
  }
};

/// `all` without the lines `name` sent: what `name` must receive, in this order.
inline std::vector<std::string> without_own(const std::vector<std::string>& all,
                                            const std::string& name) {
  std::vector<std::string> out;
  for (const auto& l : all)
    if (!l.starts_with(name + ": ")) out.push_back(l);
  return out;
}

// The chat lines (": m") a node's operator saw, in its order.
inline std::vector<std::string> operator_chat(const Process& node) {
  std::vector<std::string> out;
  std::istringstream in(node.out());
  for (std::string line; std::getline(in, line);)
    if (line.find(": m") != std::string::npos && line[0] != '*') out.push_back(line);
  return out;
}

// The last `n` of them.
inline std::vector<std::string> last_chat(const Process& node, std::size_t n) {
  auto all = operator_chat(node);
  if (all.size() > n) all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(n));
  return all;
}

// Every client got every other client's lines and none of its own, in the order the first
// node's operator saw; every node saw that same order. `sent` lists every chat line sent since
// the clients' chat lists were last cleared (the operators' earlier lines are not compared).
inline void expect_one_order(std::vector<ChatClient>& clients, std::vector<ChatNode*> nodes,
                             const std::vector<std::string>& sent) {
  const auto start = std::chrono::steady_clock::now();
  for (auto* n : nodes) {
    for (const auto& line : sent)
      ASSERT_TRUE(n->process->wait_stdout(line + "\n", 10000ms)) << line;
  }
  const auto global = last_chat(*nodes[0]->process, sent.size());
  ASSERT_EQ(global.size(), sent.size());
  for (auto* n : nodes)
    EXPECT_EQ(last_chat(*n->process, sent.size()), global);
  for (auto& c : clients) {
    const auto want = without_own(global, c.name);
    c.read_chat(want.size(), 10000ms);
    std::string heard;  // on failure: what else it heard
    for (const auto& l : c.other)
      heard += "\n  " + l;
    EXPECT_EQ(c.chat, want) << c.name << " also heard:" << heard;
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  EXPECT_LT(took, 5000ms) << "delivery took " << took.count() << " ms";
}

}  // namespace sockit::test
