// StreamInterrupt: how a draining server asks a coroutine handler to finish. The waiting read
// (or the next read that has to wait) fails with the given error, once; bytes already there are
// read first; either side may go away first.
#include <array>
#include <string_view>

#include "async_test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using async_test::make_loop;
using async_test::make_pair;
using async_test::read_times_out;

Task<Result<std::size_t>> read_once(AsyncStream& s, std::array<std::byte, 16>& buf) {
  co_return co_await s.read_some(buf, Deadline::after(2s));
}

TEST(StreamInterrupt, TheWaitingReadFailsWithTheErrorOnceThenReadsWaitAgain) {
  auto loop = make_loop();
  ASSERT_TRUE(loop);
  auto pair = make_pair(*loop);
  StreamInterrupt handle;
  handle.attach(pair.ours);
  ASSERT_TRUE(handle.attached());
  (void)loop->run_after(20ms, [&] { handle.interrupt(make_error_code(Errc::draining)); });
  std::array<std::byte, 16> buf;
  const auto start = Clock::now();
  auto got = run_until_complete(*loop, read_once(pair.ours, buf));
  ASSERT_TRUE(got);
  ASSERT_FALSE(got->has_value());
  EXPECT_EQ(got->error(), Errc::draining);
  EXPECT_EQ(got->error(), std::errc::operation_canceled);
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_TRUE(read_times_out(*loop, pair.ours, 50ms));  // delivered once
}

TEST(StreamInterrupt, BytesAlreadyThereComeFirstThenTheNextReadThatWouldWaitFails) {
  auto loop = make_loop();
  ASSERT_TRUE(loop);
  auto pair = make_pair(*loop);
  StreamInterrupt handle;
  handle.attach(pair.ours);
  ASSERT_EQ(::send(pair.theirs.get(), "ab", 2, MSG_NOSIGNAL), 2);
  handle.interrupt(make_error_code(Errc::draining));  // nobody reads now: kept for later
  std::array<std::byte, 16> buf;
  auto first = run_until_complete(*loop, read_once(pair.ours, buf));
  ASSERT_TRUE(first && first->has_value());
  ASSERT_EQ(**first, 2U);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(buf.data()), 2), "ab");
  auto second = run_until_complete(*loop, read_once(pair.ours, buf));
  ASSERT_TRUE(second);
  ASSERT_FALSE(second->has_value());
  EXPECT_EQ(second->error(), Errc::draining);
  EXPECT_TRUE(read_times_out(*loop, pair.ours, 50ms));
}

TEST(StreamInterrupt, ClosingTheStreamDetachesTheHandle) {
  auto loop = make_loop();
  ASSERT_TRUE(loop);
  auto pair = make_pair(*loop);
  StreamInterrupt handle;
  handle.attach(pair.ours);
  AsyncStream moved = std::move(pair.ours);  // the binding follows the stream
  EXPECT_TRUE(handle.attached());
  moved.close();
  EXPECT_FALSE(handle.attached());
  handle.interrupt(make_error_code(Errc::draining));  // no stream: nothing happens
}

TEST(StreamInterrupt, DestroyingTheHandleLeavesTheStreamAsItWas) {
  auto loop = make_loop();
  ASSERT_TRUE(loop);
  auto pair = make_pair(*loop);
  {
    StreamInterrupt handle;
    handle.attach(pair.ours);
  }
  EXPECT_TRUE(read_times_out(*loop, pair.ours, 50ms));
  ASSERT_EQ(::send(pair.theirs.get(), "z", 1, MSG_NOSIGNAL), 1);
  std::array<std::byte, 16> buf;
  auto got = run_until_complete(*loop, read_once(pair.ours, buf));
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ(**got, 1U);
}

TEST(StreamInterrupt, ASecondHandleTakesTheBindingOver) {
  auto loop = make_loop();
  ASSERT_TRUE(loop);
  auto pair = make_pair(*loop);
  StreamInterrupt first;
  StreamInterrupt second;
  first.attach(pair.ours);
  second.attach(pair.ours);
  EXPECT_FALSE(first.attached());
  EXPECT_TRUE(second.attached());
  first.interrupt(make_error_code(Errc::draining));  // detached: no effect
  EXPECT_TRUE(read_times_out(*loop, pair.ours, 50ms));
}

}  // namespace
}  // namespace sockit
