// The one accept path (src/server/acceptor.cpp) as start_server now uses it: allow/deny lists
// and the descriptor-exhaustion refusal that Server already had, counted in refused().
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "async_test_support.hpp"
#include "sockit/server/async_server.hpp"
#include "support/server_fixture.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using async_test::make_loop;

std::atomic<int> g_handlers{0};

Task<void> counting_echo(AsyncStream s) {
  g_handlers.fetch_add(1);
  return async_test::echo_handler(std::move(s));
}

// A coroutine server whose loop runs on a thread of its own; counters are read after stop().
class CoroServer {
 public:
  explicit CoroServer(AsyncServerOptions options) : loop_(make_loop()) {
    g_handlers = 0;
    auto server =
        start_server(*loop_, async_test::any_loopback_port(), counting_echo, std::move(options));
    if (!server) {
      ADD_FAILURE() << server.error().message();
      return;
    }
    server_.emplace(std::move(*server));
    thread_ = std::thread([this] { (void)loop_->run(); });
  }
  ~CoroServer() { stop(); }
  std::uint16_t port() const { return server_ ? server_->port() : 0; }
  void stop() {
    if (!thread_.joinable()) return;
    loop_->stop();
    thread_.join();
  }
  AsyncServer& server() { return *server_; }

 private:
  std::unique_ptr<EventLoop> loop_;
  std::optional<AsyncServer> server_;
  std::thread thread_;
};

IpNetwork net(const char* text) {
  return *IpNetwork::parse(text);
}

bool echoed_from(std::uint16_t port, const char* source) {
  test::Client c(port, source);
  return c.connected() && c.send("ping\n") && c.read_until("\n", 2s) == "ping\n";
}

TEST(AcceptPath, CoroutineServerDenyListClosesWithoutAWordAndCounts) {
  AsyncServerOptions options;
  options.deny = {net("127.0.0.2/32")};
  CoroServer s(std::move(options));
  ASSERT_NE(s.port(), 0);
  test::Client denied(s.port(), "127.0.0.2");
  auto [got, ended] = denied.read_to_eof(2s);
  EXPECT_EQ(got, "");
  EXPECT_TRUE(ended);
  EXPECT_TRUE(echoed_from(s.port(), "127.0.0.1"));
  s.stop();
  EXPECT_EQ(g_handlers.load(), 1) << "a denied peer must never reach the handler";
  EXPECT_EQ(s.server().refused(), 1U);
  EXPECT_EQ(s.server().accepted(), 2U);
}

TEST(AcceptPath, CoroutineServerAllowListAdmitsOnlyItsNetworksAndDenyWins) {
  AsyncServerOptions options;
  options.allow = {net("127.0.0.0/30")};
  options.deny = {net("127.0.0.2/32")};
  CoroServer s(std::move(options));
  ASSERT_NE(s.port(), 0);
  EXPECT_TRUE(echoed_from(s.port(), "127.0.0.1"));
  EXPECT_TRUE(echoed_from(s.port(), "127.0.0.3"));
  EXPECT_FALSE(echoed_from(s.port(), "127.0.0.2"));  // allowed, but denied wins
  EXPECT_FALSE(echoed_from(s.port(), "127.0.0.5"));  // outside the allow list
  s.stop();
  EXPECT_EQ(g_handlers.load(), 2);
  EXPECT_EQ(s.server().refused(), 2U);
}

// Restores RLIMIT_NOFILE and closes the fillers, whatever the test's outcome.
struct DescriptorSqueeze {
  rlimit saved{};
  std::vector<int> fillers;
  DescriptorSqueeze() { ::getrlimit(RLIMIT_NOFILE, &saved); }
  // Lowers the soft limit close to what is open, then opens /dev/null until EMFILE.
  bool exhaust() {
    auto open = count_open_fds();
    if (!open) return false;
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(*open) + 8;
    if (::setrlimit(RLIMIT_NOFILE, &low) != 0) return false;
    for (int i = 0; i < 64; ++i) {
      const int fd = ::dup(STDIN_FILENO);
      if (fd < 0) return errno == EMFILE;
      fillers.push_back(fd);
    }
    return false;
  }
  void release() {
    for (int fd : fillers)
      ::close(fd);
    fillers.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved);
  }
  ~DescriptorSqueeze() { release(); }
};

// Reads until EOF (or 3 s) from a blocking socket.
std::string read_all(int fd) {
  std::string got;
  for (int i = 0; i < 64; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) break;
    char buf[256];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

// Before the shared accept path, start_server left such a client in the backlog, unanswered,
// for as long as descriptors stayed exhausted; now it is told, as Server's clients are.
TEST(AcceptPath, CoroutineServerOutOfDescriptorsRefusesWithTheLineThenServesAgain) {
  CoroServer s(AsyncServerOptions{});
  ASSERT_NE(s.port(), 0);
  // One client served before the squeeze, so that every handler type the loop calls has been
  // called once: UBSan checks a virtual call's dynamic type the first time it sees it, with a
  // pipe(2) that fails without descriptors, and would then report a valid object as invalid.
  const auto baseline = count_open_fds();
  ASSERT_TRUE(baseline);
  ASSERT_TRUE(echoed_from(s.port(), "127.0.0.1"));
  // The squeeze counts what is open: wait (bounded) until the server has closed its side of
  // the warm-up connection, or that descriptor would come free later and admit the client.
  for (int i = 0; i < 200 && count_open_fds().value_or(0) != *baseline; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(count_open_fds().value_or(0), *baseline);
  // The client's socket exists before the squeeze; connecting needs no new descriptor.
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(client);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(s.port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  DescriptorSqueeze squeeze;
  ASSERT_TRUE(squeeze.exhaust());
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to), 0);
  const std::string got = read_all(client.get());
  squeeze.release();
  EXPECT_EQ(got, "ERR server full\n");
  // The server refuses its whole queue with the spare descriptor before taking it back, so a
  // client that connects in that instant is refused too: count such attempts exactly.
  int refused_later = 0;
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    served = echoed_from(s.port(), "127.0.0.1");
    if (!served) {
      ++refused_later;
      std::this_thread::sleep_for(20ms);
    }
  }
  EXPECT_TRUE(served);
  s.stop();
  EXPECT_EQ(s.server().refused(), 1U + static_cast<unsigned>(refused_later));
  EXPECT_EQ(g_handlers.load(), 2);  // the warm-up client and the one served afterwards
}

}  // namespace
}  // namespace sockit
