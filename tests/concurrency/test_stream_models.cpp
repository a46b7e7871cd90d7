// Coroutine handlers (StreamHandler) under Server, on every model: the same handler
// start_server runs, now with the models' threads, the connection cap, allow/deny, stats and
// drain.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "sockit/server/server.hpp"
#include "support/server_fixture.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

std::atomic<int> g_running{0};

// Echoes until EOF, counting how many handlers run at once (and on how many threads: the
// reactors spread them).
Task<void> echo(AsyncStream s) {
  g_running.fetch_add(1);
  std::array<std::byte, 4096> buf;
  for (;;) {
    auto n = co_await s.read_some(buf, Deadline::after(10s));
    if (!n || *n == 0) break;
    if (!co_await s.send_all(std::span(buf).first(*n), Deadline::after(10s))) break;
  }
  g_running.fetch_sub(1);
}

// Echoes; when the server drains, says "bye\n" and returns.
Task<void> polite_echo(AsyncStream s) {
  std::array<std::byte, 4096> buf;
  for (;;) {
    auto n = co_await s.read_some(buf, Deadline::after(10s));
    if (!n && n.error() == Errc::draining) {
      (void)co_await s.send_all("bye\n", Deadline::after(2s));
      co_return;
    }
    if (!n || *n == 0) co_return;
    if (!co_await s.send_all(std::span(buf).first(*n), Deadline::after(10s))) co_return;
  }
}

// Echoes and does not stop for a drain: reads again after Errc::draining.
Task<void> stubborn_echo(AsyncStream s) {
  std::array<std::byte, 4096> buf;
  for (int reads = 0; reads < 100; ++reads) {
    auto n = co_await s.read_some(buf, Deadline::after(10s));
    if (!n && n.error() == Errc::draining) continue;
    if (!n || *n == 0) co_return;
    if (!co_await s.send_all(std::span(buf).first(*n), Deadline::after(10s))) co_return;
  }
}

// The server fixture for a handler: its base loop on a thread of its own.
class HandlerServer {
 public:
  explicit HandlerServer(ServerOptions options, StreamHandler handler = echo) {
    std::promise<std::uint16_t> ready;
    auto port = ready.get_future();
    thread_ = std::thread([&, opts = std::move(options), h = std::move(handler)]() mutable {
      auto loop = EventLoop::create();
      if (!loop) return ready.set_value(0);
      loop_ = loop->get();
      auto server = Server::listen(**loop, *Endpoint::parse("127.0.0.1:0"), h, std::move(opts));
      if (!server || !(*server)->start()) return ready.set_value(0);
      server_ = server->get();
      ready.set_value((*server)->local_endpoint().port());
      (void)(*loop)->run();
      server->reset();
    });
    port_ = port.get();
  }
  ~HandlerServer() {
    if (port_ != 0) loop_->stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  ServerStats stats() const { return server_->stats(); }
  // Keeps the base loop busy for `d` (from its next turn), as a loop under load would be.
  void stall(Clock::duration d) {
    loop_->post([d] { std::this_thread::sleep_for(d); });
  }
  DrainReport drain(Clock::duration deadline) {
    std::promise<DrainReport> done;
    auto report = done.get_future();
    loop_->post([&] { server_->drain(deadline, [&](DrainReport r) { done.set_value(r); }); });
    return report.get();
  }

 private:
  std::thread thread_;
  EventLoop* loop_ = nullptr;
  Server* server_ = nullptr;
  std::uint16_t port_ = 0;
};

class StreamModels : public ::testing::TestWithParam<Model> {};

TEST_P(StreamModels, CoroutineEchoServes200ClientsEveryByteChecked) {
  ServerOptions options;
  options.model = GetParam();
  options.threads = 2;
  HandlerServer server(options);
  ASSERT_NE(server.port(), 0);
  std::vector<test::Script> scripts(200);
  for (std::size_t c = 0; c < scripts.size(); ++c) {
    for (int r = 0; r < 3; ++r) {
      const std::string text = "client " + std::to_string(c) + " round " + std::to_string(r);
      scripts[c].steps.emplace_back(text, text);
    }
  }
  const auto outcome = test::run_clients(server.port(), scripts, 4, 20s);
  EXPECT_EQ(outcome.ok, scripts.size()) << outcome.first_error;
  for (int i = 0; i < 200 && server.stats().connections != 0; ++i)
    std::this_thread::sleep_for(10ms);
  const ServerStats stats = server.stats();
  EXPECT_EQ(stats.connections, 0U);
  EXPECT_EQ(stats.accepted, scripts.size());
  EXPECT_EQ(stats.refused, 0U);
}

TEST_P(StreamModels, TheCapRefusesWithTheServersLine) {
  ServerOptions options;
  options.model = GetParam();
  options.threads = 2;
  options.max_connections = 1;
  HandlerServer server(options);
  ASSERT_NE(server.port(), 0);
  test::Client first(server.port());
  ASSERT_TRUE(first.send("hi"));
  EXPECT_EQ(first.read_exact(2), "hi");  // its handler runs
  test::Client second(server.port());
  auto [got, ended] = second.read_to_eof(3s);
  EXPECT_EQ(got, "ERR server full\n");
  EXPECT_TRUE(ended);
  EXPECT_EQ(server.stats().refused, 1U);
}

// A handler that keeps reading after the drain's Errc::draining is waited for until the deadline
// and then cut; one that returns on its own (here: its client closes) is not.
TEST_P(StreamModels, DrainWaitsForHandlersThenCutsTheRest) {
  ServerOptions options;
  options.model = GetParam();
  options.threads = 2;
  HandlerServer server(options, stubborn_echo);
  ASSERT_NE(server.port(), 0);
  test::Client leaves(server.port());
  test::Client stays(server.port());
  ASSERT_TRUE(leaves.send("a") && stays.send("b"));
  EXPECT_EQ(leaves.read_exact(1), "a");
  EXPECT_EQ(stays.read_exact(1), "b");
  std::thread closer([&] {
    std::this_thread::sleep_for(50ms);
    leaves.shutdown_write();  // this handler returns during the drain
  });
  const DrainReport report = server.drain(500ms);
  closer.join();
  EXPECT_EQ(report.cut, 1U);  // `stays` never closed: cut at the deadline
  EXPECT_TRUE(leaves.read_to_eof(2s).second);
  EXPECT_TRUE(stays.read_to_eof(2s).second);
  EXPECT_EQ(server.stats().connections, 0U);
}

TEST_P(StreamModels, DenyClosesWithoutAWordAndCounts) {
  ServerOptions options;
  options.model = GetParam();
  options.threads = 2;
  options.deny = {*IpNetwork::parse("127.0.0.0/8")};
  HandlerServer server(options);
  ASSERT_NE(server.port(), 0);
  test::Client denied(server.port());
  auto [got, ended] = denied.read_to_eof(3s);
  EXPECT_EQ(got, "");
  EXPECT_TRUE(ended);
  EXPECT_EQ(server.stats().refused, 1U);
  EXPECT_EQ(server.stats().accepted, 0U);
}

// The pool's workers each run one handler at a time; the others wait in its queue, are counted
// there, and are served in turn once a worker is free.
TEST(StreamModelsPool, ConnectionsBeyondTheWorkersWaitAndAreServedInTurn) {
  ServerOptions options;
  options.model = Model::pool;
  options.threads = 1;
  HandlerServer server(options);
  ASSERT_NE(server.port(), 0);
  test::Client first(server.port());
  ASSERT_TRUE(first.send("one"));
  EXPECT_EQ(first.read_exact(3), "one");
  test::Client second(server.port());
  ASSERT_TRUE(second.send("two"));
  for (int i = 0; i < 300 && server.stats().waiting != 1; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server.stats().waiting, 1U);
  EXPECT_EQ(server.stats().threads, 1U);
  first.shutdown_write();
  EXPECT_TRUE(first.read_to_eof(3s).second);
  EXPECT_EQ(second.read_exact(3), "two");  // its handler runs once the worker is free
}

// Drain asks every handler to finish: an idle one reads Errc::draining, says goodbye and returns,
// so the drain ends long before its deadline and cuts nobody.
TEST_P(StreamModels, DrainAsksHandlersToFinishAndTheySayGoodbye) {
  ServerOptions options;
  options.model = GetParam();
  options.threads = 2;
  HandlerServer server(options, polite_echo);
  ASSERT_NE(server.port(), 0);
  test::Client a(server.port());
  test::Client b(server.port());
  ASSERT_TRUE(a.send("ping") && b.send("pong"));
  EXPECT_EQ(a.read_exact(4), "ping");
  EXPECT_EQ(b.read_exact(4), "pong");
  const auto start = Clock::now();
  const DrainReport report = server.drain(5s);
  EXPECT_LT(Clock::now() - start, 2s);  // the handlers ended; nobody waited for the deadline
  EXPECT_EQ(report.cut, 0U);
  EXPECT_EQ(report.unsent, 0U);
  for (auto* c : {&a, &b}) {
    auto [got, ended] = c->read_to_eof(3s);
    EXPECT_EQ(got, "bye\n");
    EXPECT_TRUE(ended);
  }
  EXPECT_EQ(server.stats().connections, 0U);
}

// A connection the drain's last accepts take (already in the backlog) is asked at once: its
// handler's first read that would wait fails with Errc::draining, after what the client sent.
TEST_P(StreamModels, AConnectionAcceptedDuringTheDrainIsAskedToo) {
  ServerOptions options;
  options.model = GetParam();
  options.threads = 2;
  options.max_connections = 10;
  HandlerServer server(options, polite_echo);
  ASSERT_NE(server.port(), 0);
  test::Client served(server.port());
  ASSERT_TRUE(served.send("x"));
  EXPECT_EQ(served.read_exact(1), "x");
  server.stall(200ms);               // the base loop accepts nobody meanwhile
  test::Client late(server.port());  // completed by the kernel, not yet accepted
  ASSERT_TRUE(late.send("hello"));
  const DrainReport report = server.drain(5s);  // queued behind the stall
  EXPECT_EQ(report.cut, 0U);
  auto [got, ended] = late.read_to_eof(3s);
  EXPECT_EQ(got, "hellobye\n");
  EXPECT_TRUE(ended);
  EXPECT_EQ(served.read_to_eof(3s).first, "bye\n");
}

INSTANTIATE_TEST_SUITE_P(Models, StreamModels,
                         ::testing::Values(Model::thread, Model::pool, Model::loop,
                                           Model::reactors),
                         [](const auto& param_info) {
                           return std::string(model_name(param_info.param));
                         });

}  // namespace
}  // namespace sockit
