// The coroutine API over real sockets: results, exact error codes, deadlines, read limits,
// cancellation and teardown. (start_server under load and allocation-freedom:
// test_async_server.cpp)
#include "sockit/async/async.hpp"

#include "async_test_support.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <array>
#include <string>
#include <thread>
#include <vector>

#include "sockit/server/async_server.hpp"
#include "sockit/stream/tcp.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using namespace async_test;

void send_raw(int fd, std::string_view text) {
  ASSERT_EQ(::send(fd, text.data(), text.size(), MSG_NOSIGNAL), static_cast<ssize_t>(text.size()));
}
std::string text_of(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// ---- tasks and sleep on the loop ---------------------------------------------------------------

Task<Result<int>> slow_add(EventLoop& loop, int a, int b) {
  co_await sleep(loop, 2ms);
  if (a < 0) co_return fail(Errc::cancelled);
  co_return a + b;
}

Task<Result<int>> sum_of_three(EventLoop& loop, int a, int b, int c) {
  auto ab = co_await slow_add(loop, a, b);
  if (!ab) co_return fail(ab.error());
  co_return co_await slow_add(loop, *ab, c);
}

TEST(AsyncTask, ComposesAcrossSuspensionsAndPassesErrors) {
  auto loop = make_loop();
  auto good = run_until_complete(*loop, sum_of_three(*loop, 1, 2, 3));
  ASSERT_TRUE(good.has_value());
  ASSERT_TRUE(good->has_value());
  EXPECT_EQ(**good, 6);
  auto bad = run_until_complete(*loop, sum_of_three(*loop, -5, 2, 3));
  ASSERT_TRUE(bad.has_value());
  ASSERT_FALSE(bad->has_value());
  EXPECT_EQ(bad->error(), make_error_code(Errc::cancelled));
}

TEST(AsyncSleep, WakesInDeadlineOrder) {
  auto loop = make_loop();
  std::vector<int> order;
  TaskSet set;
  auto sleeper = [](EventLoop& l, std::vector<int>& o, int ms) -> Task<void> {
    co_await sleep(l, Millis(ms));
    o.push_back(ms);
  };
  for (int ms : {60, 20, 40, 0})
    set.spawn(sleeper(*loop, order, ms));
  EXPECT_EQ(order, std::vector<int>{0});  // a zero sleep does not suspend
  const auto start = Clock::now();
  ASSERT_TRUE(run_until_complete(
      *loop, [](EventLoop& l) -> Task<void> { co_await sleep(l, 100ms); }(*loop)));
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(order, (std::vector<int>{0, 20, 40, 60}));
  EXPECT_TRUE(set.empty());
  EXPECT_GE(elapsed, 100ms);
  EXPECT_LT(elapsed, 5s);
}

// ---- connect ----------------------------------------------------------------------------------

TEST(AsyncConnect, ClosedPortIsConnectionRefused) {
  Endpoint closed;
  {
    auto listener = TcpListener::bind(any_loopback_port());
    ASSERT_TRUE(listener);
    closed = *listener->local_endpoint();
  }  // closed again: nothing listens on that port now
  auto loop = make_loop();
  auto result =
      run_until_complete(*loop, [](EventLoop& l, Endpoint to) -> Task<Result<AsyncStream>> {
        co_return co_await AsyncStream::connect(l, to, Deadline::after(5s));
      }(*loop, closed));
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->has_value());
  EXPECT_EQ(result->error(), sys_error(ECONNREFUSED));
  EXPECT_TRUE(is_refused(result->error()));
}

TEST(AsyncConnect, DeadlineGivesTimedOutWhenTheListenerNeverAnswers) {
  // A listener that never accepts, with the smallest backlog: once its accept queue is full,
  // Linux drops further SYNs, so the next connect hangs until its deadline.
  ListenOptions options;
  options.backlog = 0;
  auto listener = TcpListener::bind(any_loopback_port(), options);
  ASSERT_TRUE(listener);
  auto loop = make_loop();
  const auto start = Clock::now();
  auto last = run_until_complete(*loop, [](EventLoop& l, Endpoint to) -> Task<std::error_code> {
    std::vector<AsyncStream> held;
    for (int i = 0; i < 8; ++i) {
      auto s = co_await AsyncStream::connect(l, to, Deadline::after(200ms));
      if (!s) co_return s.error();
      held.push_back(std::move(*s));
    }
    co_return std::error_code{};
  }(*loop, *listener->local_endpoint()));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, std::errc::timed_out);
  EXPECT_EQ(*last, Errc::deadline_passed);
  EXPECT_LT(Clock::now() - start, 5s);
}

// ---- reads: deadlines, limits, early close ----------------------------------------------------

TEST(AsyncRead, DeadlineGivesTimedOut) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  const auto start = Clock::now();
  ASSERT_TRUE(read_times_out(*loop, p.ours, 50ms));
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 50ms);
  EXPECT_LT(elapsed, 5s);
}

TEST(AsyncWrite, DeadlineGivesTimedOutWhenThePeerDoesNotRead) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  auto got = run_until_complete(*loop, [](AsyncStream& s) -> Task<Status> {
    std::vector<std::byte> big(8 << 20, std::byte{'x'});  // far more than the socket buffers
    co_return co_await s.send_all(big, Deadline::after(50ms));
  }(p.ours));
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->has_value());
  EXPECT_EQ(got->error(), std::errc::timed_out);
  EXPECT_EQ(got->error(), Errc::deadline_passed);
}

// The blocking form's rule (stream/io.hpp): max counts the line without its delimiter.
TEST(AsyncRead, RecvUntilMaxCountsTheLineWithoutItsDelimiter) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  send_raw(p.theirs.get(), "1234567890123456\n" + std::string(100, 'x'));
  std::string first;
  std::error_code second;
  ASSERT_TRUE(run_until_complete(
      *loop, [](AsyncStream& s, std::string& a, std::error_code& b) -> Task<void> {
        auto line = co_await s.recv_until("\n", 16);  // exactly 16 bytes without it: fits
        if (line) a = std::string(*line);
        auto next = co_await s.recv_until("\n", 16);
        if (!next) b = next.error();
      }(p.ours, first, second)));
  EXPECT_EQ(first, "1234567890123456");
  EXPECT_EQ(second, make_error_code(Errc::line_too_long));
}

TEST(AsyncRead, DelimiterPastMaxIsLineTooLongEvenWhenPresent) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  send_raw(p.theirs.get(), "12345678901234567\n");  // 17 bytes without the delimiter
  auto got = run_until_complete(*loop, [](AsyncStream& s) -> Task<Result<std::string_view>> {
    co_return co_await s.recv_until("\n", 16);
  }(p.ours));
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->has_value());
  EXPECT_EQ(got->error(), make_error_code(Errc::line_too_long));
}

TEST(AsyncRead, EndOfStreamAtABoundaryClosedEarlyInTheMiddle) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  send_raw(p.theirs.get(), "whole line\r\nab");
  p.theirs.reset();
  std::vector<std::string> seen;
  ASSERT_TRUE(
      run_until_complete(*loop, [](AsyncStream& s, std::vector<std::string>& out) -> Task<void> {
        auto line = co_await s.recv_until("\r\n", 64, Deadline::after(5s));
        out.push_back(line ? std::string(*line) : line.error().message());
        auto partial = co_await s.recv_until("\r\n", 64, Deadline::after(5s));
        out.push_back(partial ? "value:" + std::string(*partial) : partial.error().message());
      }(p.ours, seen)));
  EXPECT_EQ(seen, (std::vector<std::string>{"whole line",
                                            make_error_code(Errc::closed_early).message()}));

  Pair q = make_pair(*loop);
  send_raw(q.theirs.get(), "last\n");
  q.theirs.reset();
  auto eof = run_until_complete(*loop, [](AsyncStream& s) -> Task<Result<std::string_view>> {
    (void)co_await s.recv_until("\n", 64);
    co_return co_await s.recv_until("\n", 64);
  }(q.ours));
  ASSERT_TRUE(eof.has_value());
  ASSERT_FALSE(eof->has_value());
  EXPECT_EQ(eof->error(), make_error_code(Errc::end_of_stream));

  Pair r = make_pair(*loop);
  send_raw(r.theirs.get(), "four");
  r.theirs.reset();
  auto exact = run_until_complete(*loop, [](AsyncStream& s) -> Task<Status> {
    std::array<std::byte, 10> buf;
    co_return co_await s.recv_exact(buf, Deadline::after(5s));
  }(r.ours));
  ASSERT_TRUE(exact.has_value());
  ASSERT_FALSE(exact->has_value());
  EXPECT_EQ(exact->error(), make_error_code(Errc::closed_early));

  Pair e = make_pair(*loop);
  e.theirs.reset();
  std::size_t received = 99;
  auto none = run_until_complete(*loop, [](AsyncStream& s, std::size_t& n) -> Task<Status> {
    std::array<std::byte, 10> buf;
    co_return co_await s.recv_exact(buf, Deadline::after(5s), &n);
  }(e.ours, received));
  ASSERT_TRUE(none.has_value());
  ASSERT_FALSE(none->has_value());
  EXPECT_EQ(none->error(), make_error_code(Errc::end_of_stream));
  EXPECT_EQ(received, 0u);
}

TEST(AsyncRead, ReadAheadIsServedToLaterReads) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  send_raw(p.theirs.get(), "a\nbcdef");
  std::vector<std::string> seen;
  ASSERT_TRUE(
      run_until_complete(*loop, [](AsyncStream& s, std::vector<std::string>& out) -> Task<void> {
        auto line = co_await s.recv_until("\n", 64);
        out.emplace_back(line ? *line : "?");
        std::array<std::byte, 3> three;
        // (g++ 12 mishandles a co_await inside ?: with class temporaries: await first.)
        auto exact = co_await s.recv_exact(three);
        out.emplace_back(exact ? text_of(three) : "?");
        std::array<std::byte, 16> rest;
        auto n = co_await s.read_some(rest);
        out.emplace_back(n ? text_of(std::span(rest).first(*n)) : "?");
      }(p.ours, seen)));
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "bcd", "ef"}));
}

// ---- cancellation and teardown ----------------------------------------------------------------

TEST(AsyncCancel, StoppingTheLoopThenDestroyingTasksReleasesEverything) {
  const auto fds_before = count_open_fds();
  ASSERT_TRUE(fds_before);
  int destroyed = 0;
  {
    auto loop = make_loop();
    auto server = start_server(*loop, any_loopback_port(), echo_handler);
    ASSERT_TRUE(server);
    TaskSet tasks;
    for (int i = 0; i < 10; ++i) {
      // Connected, then waiting for bytes that never come (no deadline: only cancellation).
      tasks.spawn([](EventLoop& l, Endpoint to, int* d) -> Task<void> {
        Guard g(d);
        auto s = co_await AsyncStream::connect(l, to, Deadline::after(5s));
        if (!s) co_return;
        std::array<std::byte, 64> buf;
        (void)co_await s->read_some(buf);
      }(*loop, server->local_endpoint(), &destroyed));
      tasks.spawn([](EventLoop& l, int* d) -> Task<void> {
        Guard g(d);
        co_await sleep(l, 1h);
      }(*loop, &destroyed));
    }
    ASSERT_TRUE(run_until_complete(*loop, [](EventLoop& l, AsyncServer& srv) -> Task<void> {
      for (int i = 0; i < 500 && srv.connections() < 10; ++i)
        co_await sleep(l, 5ms);
    }(*loop, *server)));
    EXPECT_EQ(server->connections(), 10U);
    EXPECT_EQ(tasks.size(), 20U);
    EXPECT_EQ(destroyed, 0);
    tasks.cancel_all();
    EXPECT_EQ(destroyed, 20);
    // The loop keeps running fine after the cancellation (no dangling waits or timers).
    ASSERT_TRUE(run_until_complete(
        *loop, [](EventLoop& l) -> Task<void> { co_await sleep(l, 30ms); }(*loop)));
  }
  EXPECT_EQ(count_open_fds(), fds_before);
}

TEST(AsyncCancel, ClosingAStreamCancelsAnotherTasksPendingRead) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  Result<std::size_t> got = 0;
  TaskSet set;
  set.spawn([](AsyncStream& s, Result<std::size_t>& out) -> Task<void> {
    std::array<std::byte, 8> buf;
    out = co_await s.read_some(buf, Deadline::after(10s));
  }(p.ours, got));
  EXPECT_EQ(set.size(), 1U);
  p.ours.close();
  EXPECT_TRUE(set.empty());
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error(), make_error_code(Errc::cancelled));
}

TEST(AsyncCancel, ClosingStreamsWhoseEventsAreInTheBatchBeingDispatched) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  Pair q = make_pair(*loop);
  // Both readers wait, then both sockets become readable, so one epoll_wait reports both. The
  // first reader resumed closes the other stream (whose event is later in the batch: it must be
  // dropped, not delivered to freed memory); that reader, cancelled, closes the first one from
  // inside the first one's own callback (freed once the callback returns). asan checks both.
  std::vector<std::string> out;
  auto reader = [](AsyncStream& mine, AsyncStream& other,
                   std::vector<std::string>& o) -> Task<void> {
    std::array<std::byte, 8> buf;
    auto n = co_await mine.read_some(buf, Deadline::after(5s));
    o.push_back(n ? text_of(std::span(buf).first(*n)) : n.error().message());
    other.close();
  };
  TaskSet set;
  set.spawn(reader(p.ours, q.ours, out));
  set.spawn(reader(q.ours, p.ours, out));
  ASSERT_EQ(set.size(), 2U);
  send_raw(p.theirs.get(), "p");
  send_raw(q.theirs.get(), "q");
  ASSERT_TRUE(run_until_complete(*loop, [](EventLoop& l, TaskSet& s) -> Task<void> {
    for (int i = 0; i < 500 && !s.empty(); ++i)
      co_await sleep(l, 1ms);
  }(*loop, set)));
  EXPECT_TRUE(set.empty());
  ASSERT_EQ(out.size(), 2U);
  EXPECT_TRUE(out[0] == "p" || out[0] == "q") << out[0];
  EXPECT_EQ(out[1], make_error_code(Errc::cancelled).message());
  EXPECT_FALSE(p.ours.valid());
  EXPECT_FALSE(q.ours.valid());
}

TEST(AsyncStream, ConcurrentWritersAreServedWholeAndInOrder) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  const std::string a(300000, 'a'), b(300000, 'b');  // each bigger than the socket buffer
  TaskSet writers;
  for (const std::string* msg : {&a, &b}) {
    writers.spawn([](AsyncStream& s, const std::string& m) -> Task<void> {
      (void)co_await s.send_all(m, Deadline::after(10s));
    }(p.ours, *msg));
  }
  std::string received;
  std::thread reader([&] {
    char buf[65536];
    while (received.size() < a.size() + b.size()) {
      const ssize_t n = ::recv(p.theirs.get(), buf, sizeof buf, 0);
      if (n <= 0) break;
      received.append(buf, static_cast<std::size_t>(n));
    }
  });
  ASSERT_TRUE(run_until_complete(*loop, [](EventLoop& l, TaskSet& set) -> Task<void> {
    for (int i = 0; i < 1000 && !set.empty(); ++i)
      co_await sleep(l, 5ms);
  }(*loop, writers)));
  reader.join();
  EXPECT_EQ(received, a + b);
}

}  // namespace
}  // namespace sockit
