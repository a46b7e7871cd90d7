// Limits of `sockit serve`, each with its exact outcome: connection cap, oversized line, idle
// and partial-message deadlines, allow/deny (deny wins), graceful drain with messages in flight.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>

#include "sockit/server/udp_server.hpp"
#include "support/process.hpp"
#include "support/server_fixture.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::Client;
using test::Process;
using SteadyClock = std::chrono::steady_clock;

// Starts `sockit serve ARGS...` and reads the port it announces.
struct Serve {
  explicit Serve(std::vector<std::string> args) : proc(command(std::move(args))) {
    if (proc.wait_stderr(" on 127.0.0.1:")) {
      port = static_cast<std::uint16_t>(test::port_after(proc.err(), " on "));
    }
  }
  static std::vector<std::string> command(std::vector<std::string> args) {
    args.insert(args.begin(), {test::sockit_bin(), "serve"});
    return args;
  }
  Process proc;
  std::uint16_t port = 0;
};

class CapModels : public ::testing::TestWithParam<std::string> {};

TEST_P(CapModels, TenOfFiftyClientsAreServedTheRestGetTheRefusalLine) {
  Serve s({"greet", "0", "--framing", "line", "--max-conns", "10", "--model", GetParam()});
  ASSERT_NE(s.port, 0) << s.proc.err();
  std::vector<std::unique_ptr<Client>> clients, served_clients;
  int served = 0, refused = 0;
  for (int i = 0; i < 50; ++i) {
    clients.push_back(std::make_unique<Client>(s.port));
    const std::string first = clients.back()->read_until("\n");
    if (first == "Welcome to the Server\n") {
      ++served;
      served_clients.push_back(std::move(clients.back()));
    } else if (first == "ERR server full\n") {
      ++refused;
      auto [rest, ended] = clients.back()->read_to_eof();
      EXPECT_EQ(rest, "");
      EXPECT_TRUE(ended);
    } else {
      ADD_FAILURE() << "client " << i << " got '" << first << "'";
    }
  }
  EXPECT_EQ(served, 10);
  EXPECT_EQ(refused, 40);
  // The ten are really served, not just greeted.
  for (auto& c : served_clients) {
    ASSERT_TRUE(c->send("hi\n"));
    EXPECT_EQ(c->read_until("\n", 2s), "Hello I am server: hi\n");
  }
  s.proc.signal(SIGTERM);
  EXPECT_EQ(s.proc.wait(10s), 0);
}

INSTANTIATE_TEST_SUITE_P(Models, CapModels, ::testing::Values("loop", "thread"));

TEST(Limits, OversizedLineGetsTheErrorLineThenClose) {
  Serve s({"echo", "0", "--framing", "line", "--max-line", "100"});
  ASSERT_NE(s.port, 0) << s.proc.err();
  Client c(s.port);
  ASSERT_TRUE(c.send(std::string(100, 'a') + "\n"));  // exactly the limit is fine
  EXPECT_EQ(c.read_until("\n"), std::string(100, 'a') + "\n");
  ASSERT_TRUE(c.send(std::string(101, 'b') + "\n"));
  auto [got, ended] = c.read_to_eof();
  EXPECT_EQ(got, "ERR line too long\n");
  EXPECT_TRUE(ended);
}

TEST(Limits, IdleClientIsClosedAtTheDeadlineActiveOneIsNot) {
  Serve s({"echo", "0", "--framing", "line", "--idle-timeout", "1"});
  ASSERT_NE(s.port, 0) << s.proc.err();
  const auto start = SteadyClock::now();
  Client idle(s.port);
  Client active(s.port);
  for (int i = 0; i < 6; ++i) {  // 1.8 s of traffic, every 0.3 s
    ASSERT_TRUE(active.send("ping\n"));
    ASSERT_EQ(active.read_until("\n"), "ping\n");
    std::this_thread::sleep_for(300ms);
  }
  auto [got, ended] = idle.read_to_eof(5s);
  const auto took = SteadyClock::now() - start;
  EXPECT_EQ(got, "ERR idle timeout\n");
  EXPECT_TRUE(ended);
  EXPECT_GE(took, 1s);
  EXPECT_LT(took, 4s);
  ASSERT_TRUE(active.send("still here\n"));
  EXPECT_EQ(active.read_until("\n"), "still here\n");
}

TEST(Limits, SlowlorisIsClosedAtThePartialMessageDeadline) {
  Serve s({"echo", "0", "--framing", "line", "--partial-timeout", "1", "--idle-timeout", "30"});
  ASSERT_NE(s.port, 0) << s.proc.err();
  Client slow(s.port);
  const auto start = SteadyClock::now();
  std::string got;
  bool ended = false;
  // One byte every 200 ms, never a whole line: input keeps arriving, the message never ends.
  for (int i = 0; i < 25 && !ended; ++i) {
    if (!slow.send("x")) break;
    std::tie(got, ended) = slow.read_to_eof(200ms);
  }
  const auto took = SteadyClock::now() - start;
  EXPECT_EQ(got, "ERR message timeout\n");
  EXPECT_TRUE(ended);
  EXPECT_GE(took, 1s);
  EXPECT_LT(took, 4s);
}

// An echo round trip works from `source`; a refused client is closed without a byte.
bool served_from(std::uint16_t port, const char* source) {
  Client c(port, source);
  if (!c.connected() || !c.send("x\n")) return false;
  return c.read_until("\n", 2s) == "x\n";
}

TEST(Limits, AllowAndDenyListsWithDenyWinning) {
  Serve s({"echo", "0", "--framing", "line", "--allow", "127.0.0.0/8", "--deny", "127.0.0.2"});
  ASSERT_NE(s.port, 0) << s.proc.err();
  EXPECT_TRUE(served_from(s.port, "127.0.0.1"));
  EXPECT_TRUE(served_from(s.port, "127.0.0.3"));
  EXPECT_FALSE(served_from(s.port, "127.0.0.2"));
  Client denied(s.port, "127.0.0.2");
  auto [got, ended] = denied.read_to_eof(2s);
  EXPECT_EQ(got, "");
  EXPECT_TRUE(ended);

  Serve only({"echo", "0", "--framing", "line", "--allow", "127.0.0.5/32,127.0.0.6"});
  ASSERT_NE(only.port, 0) << only.proc.err();
  EXPECT_FALSE(served_from(only.port, "127.0.0.1"));
  EXPECT_TRUE(served_from(only.port, "127.0.0.5"));
  EXPECT_TRUE(served_from(only.port, "127.0.0.6"));
}

TEST(Limits, BadLimitValuesAreUsageErrors) {
  auto r = test::run({test::sockit_bin(), "serve", "echo", "0", "--allow", "10.0.0.0/33"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--allow"), std::string::npos) << r.err;
  r = test::run({test::sockit_bin(), "serve", "echo", "0", "--model", "forks"});
  EXPECT_EQ(r.exit_code, 2);
  r = test::run({test::sockit_bin(), "serve", "chat", "0", "-u"});
  EXPECT_EQ(r.exit_code, 2);
}

// UDP runs on one loop whatever --model says; asking for threads is refused, not ignored.
TEST(Limits, UdpWithAThreadedModelIsAUsageError) {
  for (const std::string model : {"reactors", "thread", "pool"}) {
    auto r = test::run({test::sockit_bin(), "serve", "echo", "-u", "0", "--model", model});
    EXPECT_EQ(r.exit_code, 2) << model;
    EXPECT_EQ(r.err, "sockit: -u serves datagrams on one event loop; --model " + model +
                         " is for TCP and Unix stream sockets\n");
  }
  Serve loop({"echo", "-u", "0", "--model", "loop"});
  EXPECT_NE(loop.port, 0) << loop.proc.err();
}

class DrainModels : public ::testing::TestWithParam<std::string> {};

TEST_P(DrainModels, SigtermWithMessagesInFlightLosesNoneAndExitsZero) {
  Serve s({"echo", "0", "--framing", "line", "--model", GetParam(), "--threads", "4"});
  ASSERT_NE(s.port, 0) << s.proc.err();
  constexpr int kClients = 20, kLines = 200;
  std::vector<std::unique_ptr<Client>> clients;
  std::string lines;
  for (int i = 0; i < kLines; ++i)
    lines += "request " + std::to_string(i) + "\n";
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(s.port));
    ASSERT_TRUE(clients.back()->send(lines));  // pipelined: none read yet
  }
  s.proc.signal(SIGTERM);
  for (auto& c : clients) {
    auto [got, ended] = c->read_to_eof(10s);
    EXPECT_EQ(got, lines);
    EXPECT_TRUE(ended);
  }
  EXPECT_EQ(s.proc.wait(10s), 0);
  EXPECT_NE(s.proc.err().find("drained: every connection finished"), std::string::npos)
      << s.proc.err();
}

INSTANTIATE_TEST_SUITE_P(Models, DrainModels,
                         ::testing::Values("thread", "pool", "loop", "reactors"));

TEST(Udp, EchoesTheLargestDatagramExactly) {
  Serve s({"echo", "-u", "0"});
  ASSERT_NE(s.port, 0) << s.proc.err();
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(s.port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string big(65507, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 31);
  ASSERT_EQ(::sendto(fd, big.data(), big.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
            static_cast<ssize_t>(big.size()));
  std::string back(70000, '\0');
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  const ssize_t n = ::recv(fd, back.data(), back.size(), 0);
  ::close(fd);
  ASSERT_EQ(n, static_cast<ssize_t>(big.size()));
  back.resize(static_cast<std::size_t>(n));
  EXPECT_EQ(back, big);
}

TEST(Udp, TruncatedDatagramIsCountedAndNeverEchoed) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  auto server = UdpServer::bind(**loop, *Endpoint::parse("127.0.0.1:0"),
                                UdpServerOptions{.echo = true, .max_datagram = 1000});
  ASSERT_TRUE(server);
  ASSERT_TRUE((*server)->start());
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons((*server)->local_endpoint().port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string too_big(1001, 'x'), fits(1000, 'y');
  auto* sa = reinterpret_cast<sockaddr*>(&to);
  ASSERT_EQ(::sendto(fd, too_big.data(), too_big.size(), 0, sa, sizeof to), 1001);
  ASSERT_EQ(::sendto(fd, fits.data(), fits.size(), 0, sa, sizeof to), 1000);
  (*loop)->run_after(200ms, [&] { (*loop)->stop(); });
  ASSERT_TRUE((*loop)->run());
  std::string back(4096, '\0');
  EXPECT_EQ(::recv(fd, back.data(), back.size(), 0), 1000);  // only the one that fit
  EXPECT_EQ(::recv(fd, back.data(), back.size(), 0), -1);
  ::close(fd);
  const auto stats = (*server)->stats();
  EXPECT_EQ(stats.truncated, 1u);
  EXPECT_EQ(stats.datagrams, 1u);
  EXPECT_EQ(stats.bytes_out, 1000u);
  server->reset();
}

class FdModels : public ::testing::TestWithParam<std::string> {};

// With 40 descriptors the server runs out long before 60 clients have connected. It must not
// spin on the listener meanwhile, must turn the excess away (loop: the reserved-descriptor
// trick answers "ERR server full") or leave it queued (thread: accepting pauses), and must
// serve again once descriptors are free.
TEST_P(FdModels, DescriptorExhaustionNeitherSpinsNorCrashesAndRecovers) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Sanitizer runtimes open descriptors of their own (UBSan probes memory through a pipe), so
  // a server capped at 40 descriptors fails inside the runtime, not in sockit. The dev preset
  // runs this test; integration_abuse covers the same recovery with RLIMIT_NOFILE 64.
  GTEST_SKIP() << "sanitizer runtimes need spare descriptors; run in the dev preset";
#endif
  const std::string cmd = test::sockit_bin() + " serve echo 0 --framing line --model " + GetParam();
  Process server({"/bin/sh", "-c", "ulimit -n 40 && exec " + cmd});
  ASSERT_TRUE(server.wait_stderr(" on 127.0.0.1:")) << server.err();
  const auto port = static_cast<std::uint16_t>(test::port_after(server.err(), " on "));
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 60; ++i)
    clients.push_back(std::make_unique<Client>(port));
  // Refusing the backlog is work, not a spin: let it finish (a spin never settles).
  test::wait_cpu_quiet(server.pid(), 250ms, 5000ms);
  const long before = test::cpu_ticks(server.pid());
  std::this_thread::sleep_for(1s);
  const long used = test::cpu_ticks(server.pid()) - before;
  EXPECT_LE(used, 10) << "ticks of CPU in one second while out of descriptors";

  int served = 0, refused = 0;
  for (auto& c : clients) {
    if (!c->send("x\n")) continue;
    const std::string reply = c->read_until("\n", 300ms);
    served += reply == "x\n";
    refused += reply == "ERR server full\n";
  }
  EXPECT_GE(served, 5);  // each thread-model connection costs three descriptors
  EXPECT_LT(served, 40);
  if (GetParam() == "loop") {
    EXPECT_EQ(served + refused, 60);
  }
  clients.clear();  // descriptors come back
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 5; ++i) {
    Client again(port);
    ASSERT_TRUE(again.send("again\n"));
    EXPECT_EQ(again.read_until("\n", 2s), "again\n");
  }
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), 0) << server.err();
}

INSTANTIATE_TEST_SUITE_P(Models, FdModels, ::testing::Values("loop", "thread"));

}  // namespace
}  // namespace sockit
