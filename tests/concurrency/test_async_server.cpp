// start_server under load (200 concurrent coroutine clients, every byte checked), the
// connection cap, and no heap allocation per read, write, deadline or sleep (a counting
// operator new).
#include "sockit/server/async_server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "async_test_support.hpp"
#include "sockit/async/async.hpp"
#include "support/alloc_counter.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using namespace async_test;

// ---- start_server: 200 concurrent coroutine clients -------------------------------------------

// Sends `chunks` chunks of a pattern unique to `id` and checks every echoed byte.
Task<Status> echo_client(EventLoop& loop, Endpoint to, int id, int chunks) {
  auto s = co_await AsyncStream::connect(loop, to, Deadline::after(10s));
  if (!s) co_return fail(s.error());
  std::array<std::byte, 1500> out, in;
  for (int c = 0; c < chunks; ++c) {
    const std::size_t size = 500 + static_cast<std::size_t>((id * 37 + c * 11) % 1000);
    for (std::size_t k = 0; k < size; ++k) {
      out[k] = static_cast<std::byte>(
          (static_cast<std::size_t>(id) * 31 + k * 7 + static_cast<std::size_t>(c)) & 0xff);
    }
    if (auto st = co_await s->send_all(std::span(out).first(size), Deadline::after(10s)); !st)
      co_return st;
    if (auto st = co_await s->recv_exact(std::span(in).first(size), Deadline::after(10s)); !st)
      co_return st;
    if (!std::equal(out.begin(), out.begin() + static_cast<long>(size), in.begin()))
      co_return fail(Errc::malformed_frame);
  }
  co_return Status{};
}

TEST(AsyncServer, EchoesEveryByteTo200ConcurrentClients) {
  constexpr int kClients = 200;
  constexpr int kChunks = 8;
  auto server_loop = make_loop();
  auto server = start_server(*server_loop, any_loopback_port(), echo_handler);
  ASSERT_TRUE(server) << server.error().message();
  const Endpoint at = server->local_endpoint();
  std::thread server_thread([&] { (void)server_loop->run(); });

  auto client_loop = make_loop();
  std::vector<Status> results(kClients, fail(Errc::cancelled));
  TaskSet clients;
  for (int i = 0; i < kClients; ++i) {
    clients.spawn([](EventLoop& l, Endpoint to, int id, Status& out) -> Task<void> {
      out = co_await echo_client(l, to, id, kChunks);
    }(*client_loop, at, i, results[static_cast<std::size_t>(i)]));
  }
  const auto start = Clock::now();
  // EXPECT, not ASSERT: returning early would leave the server thread running.
  EXPECT_TRUE(run_until_complete(*client_loop, [](EventLoop& l, TaskSet& set) -> Task<void> {
    for (int i = 0; i < 3000 && !set.empty(); ++i)
      co_await sleep(l, 10ms);
  }(*client_loop, clients)));
  EXPECT_TRUE(clients.empty());
  EXPECT_LT(Clock::now() - start, 30s);
  int ok = 0;
  for (const auto& r : results)
    ok += r.has_value() ? 1 : 0;
  EXPECT_EQ(ok, kClients) << "first failure: " << [&] {
    for (const auto& r : results)
      if (!r) return r.error().message();
    return std::string();
  }();

  // On the server's own thread: wait (bounded) until every handler has seen EOF, then stop.
  std::size_t left = 1;
  TaskSet watcher;  // used only on the server thread once spawned, destroyed after the join
  co_spawn(*server_loop, watcher, [](EventLoop& l, AsyncServer& srv, std::size_t& n) -> Task<void> {
    for (int i = 0; i < 500 && srv.connections() != 0; ++i)
      co_await sleep(l, 10ms);
    n = srv.connections();
    l.stop();
  }(*server_loop, *server, left));
  server_thread.join();
  EXPECT_EQ(left, 0U);
  EXPECT_EQ(server->accepted(), static_cast<std::uint64_t>(kClients));
}

TEST(AsyncServer, ClientOverTheCapGetsOneLineAndIsClosed) {
  auto loop = make_loop();
  AsyncServerOptions options;
  options.max_connections = 1;
  auto server = start_server(*loop, any_loopback_port(), echo_handler, options);
  ASSERT_TRUE(server);
  auto seen =
      run_until_complete(*loop, [](EventLoop& l, Endpoint to) -> Task<std::vector<std::string>> {
        std::vector<std::string> out;
        auto first = co_await AsyncStream::connect(l, to, Deadline::after(5s));
        if (!first) co_return out;
        (void)co_await first->send_all("ping\n");
        auto echo =
            co_await first->recv_until("\n", 64, Deadline::after(5s));  // handler is running
        out.emplace_back(echo ? *echo : "?");
        auto second = co_await AsyncStream::connect(l, to, Deadline::after(5s));
        if (!second) co_return out;
        auto refusal = co_await second->recv_until("\n", 64, Deadline::after(5s));
        out.emplace_back(refusal ? *refusal : "?");
        auto eof = co_await second->recv_until("\n", 64, Deadline::after(5s));
        out.emplace_back(eof ? "data" : eof.error() == Errc::end_of_stream ? "EOF" : "?");
        co_return out;
      }(*loop, server->local_endpoint()));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(*seen, (std::vector<std::string>{"ping", "ERR server full", "EOF"}));
  EXPECT_EQ(server->accepted(), 2U);
}

TEST(AsyncServer, ListensOnTwoDescriptorsAndCloseReleasesThem) {
  auto loop = make_loop();
  const auto before = count_open_fds();
  ASSERT_TRUE(before);
  auto server = start_server(*loop, any_loopback_port(), echo_handler);
  ASSERT_TRUE(server);
  // The listening socket, watched as it is, and the spare descriptor that lets the shared
  // accept path refuse clients politely when descriptors run out (EMFILE).
  EXPECT_EQ(*count_open_fds(), *before + 2);
  const Endpoint at = server->local_endpoint();
  server->close();
  EXPECT_EQ(*count_open_fds(), *before);
  // Nothing listens any more: the kernel refuses instead of queueing for a closed server.
  auto refused = run_until_complete(*loop, [](EventLoop& l, Endpoint to) -> Task<std::error_code> {
    auto s = co_await AsyncStream::connect(l, to, Deadline::after(5s));
    co_return s ? std::error_code{} : s.error();
  }(*loop, at));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(*refused, sys_error(ECONNREFUSED));
}

// ---- allocation-freedom -----------------------------------------------------------------------

Task<void> line_echo_handler(AsyncStream s) {
  for (;;) {
    auto line = co_await s.recv_until("\n", 256, Deadline::after(10s));
    if (!line) co_return;
    if (!co_await s.send_all(*line, Deadline::after(10s))) co_return;
    if (!co_await s.send_all("\n", Deadline::after(10s))) co_return;
  }
}

// Heap allocations (on any thread: the others are idle while a test counts) since `before`.
long allocations_since(std::size_t before) {
  return static_cast<long>(test::allocation_count() - before);
}

// `rounds` request/response exchanges against a line server and a byte echo server, counting
// heap allocations from the 11th round on (the first ten warm buffers and timers up).
Task<long> count_allocations(EventLoop& l, Endpoint lines, Endpoint bytes, int rounds) {
  auto a = co_await AsyncStream::connect(l, lines, Deadline::after(5s));
  auto b = co_await AsyncStream::connect(l, bytes, Deadline::after(5s));
  if (!a || !b) co_return -1;
  const std::string_view request = "the same line, over and over again\n";
  std::array<std::byte, 35> reply;
  std::size_t before = 0;
  for (int i = 0; i < rounds + 10; ++i) {
    if (i == 10) before = test::allocation_count();
    auto ok = co_await a->send_all(request, Deadline::after(5s));
    auto line = co_await a->recv_until("\n", 256, Deadline::after(5s));
    auto ok2 = co_await b->send_all(std::as_bytes(std::span(request)).first(35));
    auto ok3 = co_await b->recv_exact(reply, Deadline::after(5s));
    if (!ok || !line || *line != request.substr(0, 34) || !ok2 || !ok3) co_return -2;
  }
  co_return allocations_since(before);
}

// The counter itself works (so a zero means something).
void check_the_counter() {
  const std::size_t before = test::allocation_count();
  ::operator delete(::operator new(16));  // a direct call: not elidable like a new-expression
  ASSERT_EQ(allocations_since(before), 1);
}

TEST(AsyncAllocation, NoHeapAllocationPerReadOrWrite) {
  auto loop = make_loop();
  auto lines = start_server(*loop, any_loopback_port(), line_echo_handler);
  auto bytes = start_server(*loop, any_loopback_port(), echo_handler);
  ASSERT_TRUE(lines && bytes);
  ASSERT_NO_FATAL_FAILURE(check_the_counter());
  auto counted = run_until_complete(
      *loop, count_allocations(*loop, lines->local_endpoint(), bytes->local_endpoint(), 1000));
  ASSERT_TRUE(counted.has_value());
  EXPECT_EQ(*counted, 0) << "heap allocations during 1000 rounds of 8 awaited operations";
}

// Answers every "ping" with "pong" after a short sleep.
Task<void> pong_peer(EventLoop& l, AsyncStream& s) {
  std::array<std::byte, 4> ping;
  for (;;) {
    if (!co_await s.recv_exact(ping, Deadline::after(5s))) co_return;
    co_await sleep(l, 200us);
    if (!co_await s.send_all("pong", Deadline::after(5s))) co_return;
  }
}

// Every round: a read that times out (the stream's timer moves earlier and fires), a sleep, and
// a read whose deadline (200..400 ms, re-armed each round) waits for the peer's "pong".
Task<long> count_deadline_allocations(EventLoop& l, AsyncStream& s, int rounds) {
  std::array<std::byte, 4> reply;
  std::size_t before = 0;
  for (int i = 0; i < rounds + 10; ++i) {
    if (i == 10) before = test::allocation_count();
    auto timed_out = co_await s.read_some(reply, Deadline::after(1ms));
    co_await sleep(l, 300us);
    auto sent = co_await s.send_all("ping", Deadline::after(5s));
    auto got = co_await s.recv_exact(reply, Deadline::after(Millis(200 + 100 * (i % 3))));
    const bool pong = got && std::memcmp(reply.data(), "pong", 4) == 0;
    if (timed_out || timed_out.error() != std::errc::timed_out || !sent || !pong) co_return -2;
  }
  co_return allocations_since(before);
}

TEST(AsyncAllocation, NoHeapAllocationForDeadlinesThatWaitOrExpire) {
  auto loop = make_loop();
  int sv[2] = {-1, -1};
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  auto a = AsyncStream::adopt(*loop, UniqueFd(sv[0]));
  auto b = AsyncStream::adopt(*loop, UniqueFd(sv[1]));
  ASSERT_TRUE(a && b);
  TaskSet peer;
  peer.spawn(pong_peer(*loop, *b));
  ASSERT_NO_FATAL_FAILURE(check_the_counter());
  auto counted = run_until_complete(*loop, count_deadline_allocations(*loop, *a, 200));
  ASSERT_TRUE(counted.has_value());
  EXPECT_EQ(*counted, 0) << "heap allocations during 200 rounds of timed-out and waiting reads";
}

TEST(AsyncAllocation, SleepAllocatesNothingAfterWarmUp) {
  auto loop = make_loop();
  // Other sleepers keep several timers armed at once, so arming sifts through a real heap.
  TaskSet others;
  for (int k = 1; k <= 3; ++k) {
    others.spawn([](EventLoop& l, int period_us) -> Task<void> {
      for (int i = 0; i < 2000; ++i)
        co_await sleep(l, std::chrono::microseconds(period_us));
    }(*loop, 150 * k));
  }
  ASSERT_NO_FATAL_FAILURE(check_the_counter());
  auto counted = run_until_complete(*loop, [](EventLoop& l) -> Task<long> {
    std::size_t before = 0;
    for (int i = 0; i < 110; ++i) {
      if (i == 10) before = test::allocation_count();
      co_await sleep(l, 200us);
    }
    co_return allocations_since(before);
  }(*loop));
  ASSERT_TRUE(counted.has_value());
  EXPECT_EQ(*counted, 0) << "heap allocations during 100 sleeps";
}

}  // namespace
}  // namespace sockit
