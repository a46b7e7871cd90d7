// Scaffolding shared by the coroutine tests (test_async*.cpp): a loop, socket pairs with one
// end on the loop, an echo handler, a destruction counter, and a read that must time out.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <utility>

#include "sockit/async/async.hpp"

namespace sockit::async_test {

inline std::unique_ptr<EventLoop> make_loop() {
  auto loop = EventLoop::create();
  if (!loop) ADD_FAILURE() << loop.error().message();
  return loop ? std::move(*loop) : nullptr;
}

inline Endpoint any_loopback_port() {
  return *Endpoint::parse("127.0.0.1:0");
}

// Two connected AF_UNIX stream sockets: `ours` for the loop, `theirs` driven with plain calls.
struct Pair {
  AsyncStream ours;
  UniqueFd theirs;
};
inline Pair make_pair(EventLoop& loop) {
  int sv[2] = {-1, -1};
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  auto ours = AsyncStream::adopt(loop, UniqueFd(sv[0]));
  EXPECT_TRUE(ours);
  return Pair{std::move(*ours), UniqueFd(sv[1])};
}

inline Task<void> echo_handler(AsyncStream s) {
  std::array<std::byte, 4096> buf;
  for (;;) {
    auto n = co_await s.read_some(buf, Deadline::after(std::chrono::seconds(10)));
    if (!n || *n == 0) co_return;
    if (!co_await s.send_all(std::span(buf).first(*n), Deadline::after(std::chrono::seconds(10))))
      co_return;
  }
}

// Counts its own destruction: held by a coroutine, it shows that the frame was destroyed.
struct Guard {
  int* count;
  explicit Guard(int* c) : count(c) {}
  Guard(const Guard&) = delete;
  ~Guard() { ++*count; }
};

// Runs one read_some() on `s` with a deadline `after` from now, to its end; success means it
// ended with timed_out.
inline ::testing::AssertionResult read_times_out(EventLoop& loop, AsyncStream& s, Millis after) {
  auto got = run_until_complete(loop, [](AsyncStream& st, Millis d) -> Task<Result<std::size_t>> {
    std::array<std::byte, 16> buf;
    co_return co_await st.read_some(buf, Deadline::after(d));
  }(s, after));
  if (!got) return ::testing::AssertionFailure() << "the read did not complete";
  if (got->has_value()) return ::testing::AssertionFailure() << "read " << **got << " bytes";
  if (got->error() != std::errc::timed_out)
    return ::testing::AssertionFailure() << "failed with " << got->error().message();
  return ::testing::AssertionSuccess();
}

}  // namespace sockit::async_test
