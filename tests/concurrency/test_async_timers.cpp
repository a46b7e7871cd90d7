// Deadlines without descriptors (an AsyncStream's deadline is a TimerEntry, not a timerfd),
// their re-arming when an earlier deadline arrives, and co_spawn(loop, task): tasks owned by
// the loop itself, destroyed cleanly with it. (Allocation-freedom: test_async_server.cpp)
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <array>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "async_test_support.hpp"
#include "sockit/async/async.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using namespace async_test;

int open_fds() {
  auto n = count_open_fds();
  EXPECT_TRUE(n) << n.error().message();
  return n ? *n : -1;
}

// ---- deadlines --------------------------------------------------------------------------------

TEST(AsyncDeadline, WaitingWithADeadlineOpensNoDescriptor) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  const int before = open_fds();
  ASSERT_GT(before, 0);
  int during = -1;
  TaskSet set;
  // Counts while the read below is suspended on its deadline.
  set.spawn([](EventLoop& l, int& out) -> Task<void> {
    co_await sleep(l, 10ms);
    out = open_fds();
  }(*loop, during));
  ASSERT_TRUE(read_times_out(*loop, p.ours, 40ms));
  EXPECT_EQ(during, before);
  EXPECT_EQ(open_fds(), before);  // nothing kept for the stream's next deadline either
  EXPECT_TRUE(p.ours.valid());
}

TEST(AsyncDeadline, EarlierDeadlineOnAStreamWithALaterOneArmedStillFiresOnTime) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  // A write that cannot finish holds the stream's timer at +10 s; a read with +30 ms arrives
  // after it and must move the timer earlier, not wait for the write's expiry.
  std::vector<std::byte> big(8 << 20, std::byte{'x'});
  Status write_result;
  TaskSet set;
  set.spawn([](AsyncStream& s, std::span<const std::byte> data, Status& out) -> Task<void> {
    out = co_await s.send_all(data, Deadline::after(10s));
  }(p.ours, big, write_result));
  ASSERT_EQ(set.size(), 1U);  // suspended: the peer reads nothing
  const auto start = Clock::now();
  ASSERT_TRUE(read_times_out(*loop, p.ours, 30ms));
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 30ms);
  EXPECT_LT(elapsed, 2s);
  EXPECT_EQ(set.size(), 1U);  // the write is still waiting for its own deadline
  p.ours.close();
  EXPECT_TRUE(set.empty());
  ASSERT_FALSE(write_result.has_value());
  EXPECT_EQ(write_result.error(), make_error_code(Errc::cancelled));
}

TEST(AsyncDeadline, ExpiryOfAFinishedReadsDeadlineLeavesTheNextReadWaiting) {
  auto loop = make_loop();
  Pair p = make_pair(*loop);
  // First read: deadline +30 ms, satisfied after 10 ms, which leaves the stream's timer armed
  // for +30 ms. Second read: deadline +5 s, satisfied after 80 ms. The stale expiry at 30 ms
  // must find nothing due and re-arm, not fail or drop the second read.
  std::thread peer([fd = p.theirs.get()] {
    std::this_thread::sleep_for(10ms);
    (void)::send(fd, "a", 1, MSG_NOSIGNAL);
    std::this_thread::sleep_for(70ms);
    (void)::send(fd, "b", 1, MSG_NOSIGNAL);
  });
  auto got = run_until_complete(*loop, [](AsyncStream& s) -> Task<std::string> {
    std::array<std::byte, 1> one;
    std::string out;
    auto first = co_await s.recv_exact(one, Deadline::after(30ms));
    out += first ? static_cast<char>(one[0]) : '?';
    auto second = co_await s.recv_exact(one, Deadline::after(5s));
    out += second ? static_cast<char>(one[0]) : '?';
    co_return out;
  }(p.ours));
  peer.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "ab");
}

// ---- co_spawn(loop, task): tasks owned by the loop --------------------------------------------

TEST(AsyncSpawn, LoopOwnedTasksRunToTheirEnd) {
  auto loop = make_loop();
  std::vector<int> order;
  for (int ms : {30, 10, 20}) {
    co_spawn(*loop, [](EventLoop& l, std::vector<int>& o, int d) -> Task<void> {
      co_await sleep(l, Millis(d));
      o.push_back(d);
    }(*loop, order, ms));
  }
  EXPECT_TRUE(order.empty());  // started, and suspended in their sleeps
  ASSERT_TRUE(run_until_complete(
      *loop, [](EventLoop& l) -> Task<void> { co_await sleep(l, 60ms); }(*loop)));
  EXPECT_EQ(order, (std::vector<int>{10, 20, 30}));
}

TEST(AsyncSpawn, TasksStillPendingAreDestroyedWithTheLoop) {
  const int fds_before = open_fds();
  int destroyed = 0;
  int finished = 0;
  {
    auto loop = make_loop();
    Pair p = make_pair(*loop);
    // Owns the stream and waits on it without a deadline: only the loop's teardown ends it.
    co_spawn(*loop, [](AsyncStream s, int* d) -> Task<void> {
      Guard g(d);
      std::array<std::byte, 8> buf;
      (void)co_await s.read_some(buf);
    }(std::move(p.ours), &destroyed));
    for (int i = 0; i < 3; ++i) {
      co_spawn(*loop, [](EventLoop& l, int* d) -> Task<void> {
        Guard g(d);
        co_await sleep(l, 1h);
      }(*loop, &destroyed));
    }
    co_spawn(*loop, [](EventLoop& l, int* f) -> Task<void> {
      co_await sleep(l, 1ms);
      ++*f;
    }(*loop, &finished));
    ASSERT_TRUE(run_until_complete(
        *loop, [](EventLoop& l) -> Task<void> { co_await sleep(l, 20ms); }(*loop)));
    EXPECT_EQ(finished, 1);
    EXPECT_EQ(destroyed, 0);
  }
  EXPECT_EQ(destroyed, 4);
  EXPECT_EQ(open_fds(), fds_before);  // the loop, both socket ends: all closed
}

TEST(AsyncSpawn, EachLoopHasItsOwnTasks) {
  int destroyed_a = 0;
  int destroyed_b = 0;
  auto a = make_loop();
  {
    auto b = make_loop();
    co_spawn(*a, [](EventLoop& l, int* d) -> Task<void> {
      Guard g(d);
      co_await sleep(l, 1h);
    }(*a, &destroyed_a));
    co_spawn(*b, [](EventLoop& l, int* d) -> Task<void> {
      Guard g(d);
      co_await sleep(l, 1h);
    }(*b, &destroyed_b));
  }
  EXPECT_EQ(destroyed_b, 1);
  EXPECT_EQ(destroyed_a, 0);
  a.reset();
  EXPECT_EQ(destroyed_a, 1);
  // A loop created afterwards (possibly at a reused address) starts with no tasks of its own.
  auto c = make_loop();
  int ran = 0;
  co_spawn(*c, [](int* r) -> Task<void> {
    ++*r;
    co_return;
  }(&ran));
  EXPECT_EQ(ran, 1);
}

TEST(AsyncSpawn, FromAnotherThreadStartsOnTheLoopThread) {
  auto loop = make_loop();
  const auto loop_thread = std::this_thread::get_id();
  std::thread::id ran_on;
  (void)loop->run_after(5s, [&] { loop->stop(); });  // bound: never hang the test
  std::thread other([&] {
    co_spawn(*loop, [](EventLoop& l, std::thread::id& on) -> Task<void> {
      co_await sleep(l, 1ms);  // awaiting loop operations is allowed: this is the loop thread
      on = std::this_thread::get_id();
      l.stop();
    }(*loop, ran_on));
  });
  const auto start = Clock::now();
  ASSERT_TRUE(loop->run());
  other.join();
  EXPECT_EQ(ran_on, loop_thread);
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST(AsyncSpawn, PostedToALoopThatNeverRunsIsDestroyedUnstarted) {
  int started = 0;
  auto token = std::make_shared<int>(0);  // a copy lives in the task's frame
  auto loop = make_loop();
  std::thread other([&] {
    co_spawn(*loop, [](int* s, std::shared_ptr<int>) -> Task<void> {
      ++*s;
      co_return;
    }(&started, token));
  });
  other.join();
  EXPECT_EQ(token.use_count(), 2);  // posted, not started, not destroyed
  loop.reset();
  EXPECT_EQ(started, 0);
  EXPECT_EQ(token.use_count(), 1);  // the frame was destroyed with the loop
}

}  // namespace
}  // namespace sockit
