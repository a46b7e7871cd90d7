#include "sockit/async/loop.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace sockit {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<EventLoop> make_loop() {
  auto loop = EventLoop::create();
  EXPECT_TRUE(loop) << loop.error().message();
  return std::move(*loop);
}

// Stops a loop that a broken test would otherwise leave running forever.
void guard(EventLoop& loop, Clock::duration limit = 5s) {
  loop.run_after(limit, [&loop] {
    ADD_FAILURE() << "loop still running after the test's time limit";
    loop.stop();
  });
}

TEST(EventLoop, PostFromManyThreadsRunsEveryTaskOnLoopThreadInOrderPerThread) {
  auto loop = make_loop();
  guard(*loop);
  constexpr int kThreads = 4, kPerThread = 10000;
  std::vector<std::vector<int>> seen(kThreads);
  int total = 0;
  bool all_on_loop = true;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        loop->post([&, t, i] {
          all_on_loop = all_on_loop && loop->in_loop_thread();
          seen[static_cast<std::size_t>(t)].push_back(i);
          if (++total == kThreads * kPerThread) loop->stop();
        });
      }
    });
  }
  ASSERT_TRUE(loop->run());
  for (auto& th : threads)
    th.join();
  EXPECT_TRUE(all_on_loop);
  for (auto& s : seen) {
    ASSERT_EQ(s.size(), static_cast<std::size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i)
      ASSERT_EQ(s[static_cast<std::size_t>(i)], i);
  }
}

TEST(EventLoop, StopFromAnotherThreadWakesABlockedLoop) {
  auto loop = make_loop();
  guard(*loop);
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    loop->stop();
  });
  const auto start = Clock::now();
  ASSERT_TRUE(loop->run());
  stopper.join();
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST(EventLoop, TimersFireInDeadlineOrderThenCreationOrder) {
  auto loop = make_loop();
  guard(*loop);
  std::string order;
  loop->run_after(30ms, [&] { order += 'c'; });
  loop->run_after(10ms, [&] { order += 'a'; });
  loop->run_after(20ms, [&] { order += 'b'; });
  loop->run_after(0ms, [&] { order += '1'; });
  loop->run_after(0ms, [&] { order += '2'; });
  loop->run_after(40ms, [&] { loop->stop(); });
  const auto start = Clock::now();
  ASSERT_TRUE(loop->run());
  EXPECT_EQ(order, "12abc");
  EXPECT_GE(Clock::now() - start, 40ms);
}

TEST(EventLoop, CancelledTimerNeverFires) {
  auto loop = make_loop();
  guard(*loop);
  bool fired = false;
  const auto id = loop->run_after(10ms, [&] { fired = true; });
  EXPECT_TRUE(loop->cancel(id));
  EXPECT_FALSE(loop->cancel(id));
  loop->run_after(50ms, [&] { loop->stop(); });
  ASSERT_TRUE(loop->run());
  EXPECT_FALSE(fired);
}

TEST(EventLoop, PeriodicTimerRepeatsUntilCancelledFromItsOwnCallback) {
  auto loop = make_loop();
  guard(*loop);
  int ticks = 0;
  EventLoop::TimerId id = 0;
  id = loop->run_every(5ms, [&] {
    if (++ticks == 5) {
      EXPECT_TRUE(loop->cancel(id));
    }
  });
  loop->run_after(100ms, [&] { loop->stop(); });
  ASSERT_TRUE(loop->run());
  EXPECT_EQ(ticks, 5);
}

struct Reader final : EventLoop::Handler {
  int fd = -1;
  std::string got;
  EventLoop* loop = nullptr;
  void on_ready(std::uint32_t events) override {
    char buf[64];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    if (n == 0 || (events & kPollHangup) != 0) {
      EXPECT_TRUE(loop->unwatch(fd));
      loop->stop();
    }
  }
};

TEST(EventLoop, WatchedDescriptorDeliversDataThenEof) {
  auto loop = make_loop();
  guard(*loop);
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd a(fds[0]), b(fds[1]);
  Reader reader;
  reader.fd = a.get();
  reader.loop = loop.get();
  ASSERT_TRUE(loop->watch(a.get(), kPollRead, reader));
  std::thread writer([&] {
    ASSERT_EQ(::write(b.get(), "hello", 5), 5);
    std::this_thread::sleep_for(10ms);
    b.reset();
  });
  ASSERT_TRUE(loop->run());
  writer.join();
  EXPECT_EQ(reader.got, "hello");
}

TEST(EventLoop, SignalBecomesAnEvent) {
  auto loop = make_loop();
  guard(*loop);
  int got = 0;
  ASSERT_TRUE(loop->on_signal(SIGUSR2, [&](int signo) {
    got = signo;
    loop->stop();
  }));
  loop->post([] { ::kill(::getpid(), SIGUSR2); });
  ASSERT_TRUE(loop->run());
  EXPECT_EQ(got, SIGUSR2);
}

TEST(EventLoop, RunCanBeRestartedAfterStop) {
  auto loop = make_loop();
  guard(*loop);
  int runs = 0;
  for (int i = 0; i < 2; ++i) {
    loop->post([&] {
      ++runs;
      loop->stop();
    });
    ASSERT_TRUE(loop->run());
  }
  EXPECT_EQ(runs, 2);
}

TEST(EventLoop, LoopThreadFollowsRun) {
  std::unique_ptr<EventLoop> loop = make_loop();
  EXPECT_TRUE(loop->in_loop_thread());
  std::atomic<bool> inside{false};
  std::thread runner([&] {
    loop->post([&] {
      inside = loop->in_loop_thread();
      loop->stop();
    });
    ASSERT_TRUE(loop->run());
  });
  runner.join();
  EXPECT_TRUE(inside.load());
  EXPECT_TRUE(loop->in_loop_thread());  // back to the thread that created it
}

struct Entry final : EventLoop::TimerEntry {
  std::string* log = nullptr;
  char name = '?';
  void on_timer() override { *log += name; }
};

TEST(EventLoop, TimerEntriesFireInDeadlineOrderInterleavedWithRunAfter) {
  auto loop = make_loop();
  guard(*loop);
  std::string order;
  Entry a, b, c, d;
  for (auto* e : {&a, &b, &c, &d})
    e->log = &order;
  a.name = 'a';
  b.name = 'b';
  c.name = 'c';
  d.name = 'd';
  const auto now = Clock::now();
  loop->arm(c, now + 30ms);
  loop->arm(a, now + 10ms);
  loop->arm(d, now + 40ms);
  loop->arm(b, now + 5ms);
  loop->arm(b, now + 20ms);  // re-arming moves it
  loop->run_after(15ms, [&] { order += '+'; });
  EXPECT_TRUE(loop->disarm(d));
  EXPECT_FALSE(loop->disarm(d));
  EXPECT_TRUE(c.armed());
  loop->run_after(60ms, [&] { loop->stop(); });
  ASSERT_TRUE(loop->run());
  EXPECT_EQ(order, "a+bc");
  EXPECT_FALSE(a.armed());
  EXPECT_FALSE(c.armed());
}

TEST(EventLoop, ManyTimerEntriesStayAHeap) {
  auto loop = make_loop();
  guard(*loop);
  std::string order;
  std::vector<Entry> entries(200);
  const auto base = Clock::now() + 5ms;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    entries[i].log = &order;
    entries[i].name = static_cast<char>('A' + (i * 37) % 50);
    loop->arm(entries[i], base + std::chrono::microseconds((i * 37) % 50 * 100));
  }
  for (std::size_t i = 0; i < entries.size(); i += 3)
    loop->disarm(entries[i]);
  loop->run_after(50ms, [&] { loop->stop(); });
  ASSERT_TRUE(loop->run());
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(order.size(), entries.size() - (entries.size() + 2) / 3);
}

struct Counter final : EventLoop::Handler {
  int calls = 0;
  void on_ready(std::uint32_t) override { ++calls; }
};

TEST(EventLoop, ForgottenHandlerGetsNoMoreEventsOfTheBatch) {
  auto loop = make_loop();
  guard(*loop);
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd a(fds[0]), b(fds[1]);
  // Two descriptors ready in the same batch; whichever handler runs first unwatches and
  // forgets the other, which then must not be called.
  auto second = std::make_unique<Counter>();
  struct First final : EventLoop::Handler {
    EventLoop* loop;
    int other_fd;
    std::unique_ptr<Counter>* other;
    int calls = 0;
    void on_ready(std::uint32_t) override {
      ++calls;
      if (*other) {
        EXPECT_TRUE(loop->unwatch(other_fd));
        loop->forget(**other);
        other->reset();
      }
      loop->stop();
    }
  };
  First first_a{}, first_b{};
  first_a.loop = first_b.loop = loop.get();
  first_a.other_fd = b.get();
  first_a.other = &second;
  ASSERT_TRUE(loop->watch(a.get(), kPollWrite, first_a));
  ASSERT_TRUE(loop->watch(b.get(), kPollWrite, *second));
  ASSERT_TRUE(loop->run());  // a use-after-free here would show under asan
  EXPECT_EQ(first_a.calls, 1);
  EXPECT_EQ(second, nullptr);
  EXPECT_TRUE(loop->unwatch(a.get()));
}

TEST(EventLoop, AtDestroyHooksRunOnTheLoopThreadWhileItStillWorks) {
  auto loop = make_loop();
  EventLoop* raw = loop.get();
  bool ran = false;
  loop->at_destroy([&ran, raw] {
    ran = raw->in_loop_thread();
    raw->post([] {});  // still usable
  });
  loop.reset();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace sockit
