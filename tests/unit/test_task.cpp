// Task<T> and TaskSet without an event loop: composition, result passing, laziness, symmetric
// transfer (deep chains must not grow the stack) and destruction of suspended chains.
#include "sockit/async/task.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sockit/core/error.hpp"

namespace sockit {
namespace {

// A hand-driven awaitable: suspends until fire() is called. Its awaiter unregisters itself when
// destroyed while suspended, the way sockit's loop awaiters withdraw their fd/timer interest.
class Trigger {
 public:
  struct Awaiter {
    Trigger* t;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept {
      t->waiter_ = h;
      t->awaiter_ = this;
    }
    int await_resume() noexcept {
      t->awaiter_ = nullptr;
      return t->value_;
    }
    Awaiter(Trigger* trig) : t(trig) {}
    Awaiter(const Awaiter&) = delete;
    ~Awaiter() {
      if (t->awaiter_ == this) {  // destroyed while suspended: withdraw
        t->awaiter_ = nullptr;
        t->waiter_ = {};
        ++t->withdrawn_;
      }
    }
  };
  Awaiter operator co_await() noexcept { return Awaiter{this}; }

  bool armed() const { return static_cast<bool>(waiter_); }
  int withdrawn() const { return withdrawn_; }
  void fire(int value) {
    value_ = value;
    std::exchange(waiter_, {}).resume();
  }

 private:
  std::coroutine_handle<> waiter_;
  Awaiter* awaiter_ = nullptr;
  int value_ = 0;
  int withdrawn_ = 0;
};

// Counts destructions, to prove frames (and their locals) are torn down.
struct Guard {
  int* count;
  explicit Guard(int* c) : count(c) {}
  Guard(const Guard&) = delete;
  ~Guard() { ++*count; }
};

Task<Result<int>> parse_digit(char c) {
  if (c < '0' || c > '9') co_return fail(Errc::malformed_frame);
  co_return c - '0';
}

Task<Result<int>> parse_number(std::string text) {
  int value = 0;
  for (char c : text) {
    auto d = co_await parse_digit(c);
    if (!d) co_return fail(d.error());
    value = value * 10 + *d;
  }
  co_return value;
}

TEST(Task, ComposesAndPassesResults) {
  TaskSet set;
  Result<int> good = 0, bad = 0;
  set.spawn([](Result<int>& g, Result<int>& b) -> Task<void> {
    g = co_await parse_number("4711");
    b = co_await parse_number("47x1");
  }(good, bad));
  EXPECT_TRUE(set.empty());
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(*good, 4711);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error(), make_error_code(Errc::malformed_frame));
}

TEST(Task, IsLazyUntilAwaited) {
  int runs = 0;
  auto body = [](int& r) -> Task<int> {
    ++r;
    co_return 7;
  };
  Task<int> t = body(runs);
  EXPECT_EQ(runs, 0);
  EXPECT_TRUE(t.valid());
  EXPECT_FALSE(t.done());
  int got = 0;
  TaskSet set;
  set.spawn([](Task<int> inner, int& out) -> Task<void> { out = co_await std::move(inner); }(
                                              std::move(t), got));
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(got, 7);
}

TEST(Task, DestroyingUnstartedTaskRunsNothing) {
  int runs = 0;
  {
    auto body = [](int& r) -> Task<void> {
      ++r;
      co_return;
    };
    Task<void> t = body(runs);
    Task<void> moved = std::move(t);
    EXPECT_FALSE(t.valid());  // NOLINT(bugprone-use-after-move): moved-from state is specified
    EXPECT_TRUE(moved.valid());
  }
  EXPECT_EQ(runs, 0);
}

Task<int> one() {
  co_return 1;
}

TEST(Task, LongSynchronousChainDoesNotGrowTheStack) {
  // Each co_await starts a child that finishes at once. If each completion nested a resume()
  // call (as unoptimised symmetric transfer does), two million of them would overflow the stack.
  constexpr int kSteps = 2'000'000;
  long total = 0;
  TaskSet set;
  set.spawn([](long& sum) -> Task<void> {
    for (int i = 0; i < kSteps; ++i)
      sum += co_await one();
  }(total));
  EXPECT_EQ(total, kSteps);
}

Task<int> depth(int n) {
  if (n == 0) co_return 0;
  co_return 1 + co_await depth(n - 1);
}

TEST(Task, RecursionPassesValuesUp) {
  // Synchronous recursion costs stack like ordinary recursion; 10,000 levels fit easily.
  int got = -1;
  TaskSet set;
  set.spawn([](int& out) -> Task<void> { out = co_await depth(10'000); }(got));
  EXPECT_EQ(got, 10'000);
}

Task<int> wait_twice(Trigger& a, Trigger& b, int* destroyed) {
  Guard g(destroyed);
  int x = co_await a;
  int y = co_await b;
  co_return x * 100 + y;
}

TEST(Task, SuspendsAndResumesThroughNestedTasks) {
  Trigger a, b;
  int destroyed = 0;
  int result = 0;
  TaskSet set;
  set.spawn([](Trigger& ta, Trigger& tb, int* d, int& out) -> Task<void> {
    out = co_await wait_twice(ta, tb, d);
  }(a, b, &destroyed, result));
  EXPECT_EQ(set.size(), 1U);
  ASSERT_TRUE(a.armed());
  a.fire(4);
  EXPECT_EQ(result, 0);
  ASSERT_TRUE(b.armed());
  b.fire(2);
  EXPECT_EQ(result, 402);
  EXPECT_EQ(destroyed, 1);
  EXPECT_TRUE(set.empty());
}

TEST(Task, CancelAllDestroysSuspendedChainsAndWithdrawsAwaiters) {
  std::vector<Trigger> triggers(3);
  int destroyed = 0;
  TaskSet set;
  for (auto& t : triggers) {
    set.spawn([](Trigger& tr, int* d) -> Task<void> {
      Guard outer(d);
      Trigger never;
      (void)co_await wait_twice(tr, never, d);
    }(t, &destroyed));
  }
  EXPECT_EQ(set.size(), 3U);
  triggers[1].fire(5);  // moves the second chain on to its inner `never` trigger
  set.cancel_all();
  EXPECT_TRUE(set.empty());
  EXPECT_EQ(destroyed, 6);  // both guards of each of the three chains
  EXPECT_EQ(triggers[0].withdrawn(), 1);
  EXPECT_EQ(triggers[1].withdrawn(), 0);  // already fired: nothing to withdraw
  EXPECT_EQ(triggers[2].withdrawn(), 1);
  EXPECT_FALSE(triggers[0].armed());
  EXPECT_FALSE(triggers[2].armed());
}

TEST(Task, TaskSetDestructorCancels) {
  Trigger t;
  int destroyed = 0;
  {
    TaskSet set;
    set.spawn([](Trigger& tr, int* d) -> Task<void> {
      Guard g(d);
      (void)co_await tr;
    }(t, &destroyed));
    EXPECT_TRUE(t.armed());
  }
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(t.withdrawn(), 1);
}

TEST(Task, ResetDestroysSuspendedFrame) {
  Trigger t;
  int destroyed = 0;
  auto body = [](Trigger& tr, int* d) -> Task<int> {
    Guard g(d);
    co_return co_await tr;
  };
  Task<int> task = body(t, &destroyed);
  // Drive the task by hand to its first suspension, then destroy it.
  Task<void> driver = [](Task<int>& inner) -> Task<void> { (void)co_await std::move(inner); }(task);
  TaskSet set;
  set.spawn(std::move(driver));
  EXPECT_TRUE(t.armed());
  set.cancel_all();  // destroys the driver only: `task` still owns the suspended frame
  EXPECT_EQ(destroyed, 0);
  EXPECT_TRUE(t.armed());
  task.reset();
  EXPECT_FALSE(task.valid());
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(t.withdrawn(), 1);
}

}  // namespace
}  // namespace sockit
