#include "sockit/async/poller.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

#include "sockit/sys/fd.hpp"

namespace sockit {
namespace {

struct Pair {
  UniqueFd a, b;
};

Pair socket_pair() {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

TEST(Poller, ReportsNothingWithinTimeoutWhenIdle) {
  auto poller = Poller::create();
  ASSERT_TRUE(poller);
  auto p = socket_pair();
  int token = 0;
  ASSERT_TRUE((*poller)->add(p.a.get(), kPollRead, &token));
  std::array<PollEvent, 8> out{};
  auto n = (*poller)->wait(out, 10);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST(Poller, ReportsReadableWithItsToken) {
  auto poller = Poller::create();
  ASSERT_TRUE(poller);
  auto p = socket_pair();
  int token = 0;
  ASSERT_TRUE((*poller)->add(p.a.get(), kPollRead, &token));
  ASSERT_EQ(::write(p.b.get(), "x", 1), 1);
  std::array<PollEvent, 8> out{};
  auto n = (*poller)->wait(out, 1000);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, 1u);
  EXPECT_EQ(out[0].token, &token);
  EXPECT_EQ(out[0].events, kPollRead);
}

TEST(Poller, ModifyToWriteReportsWritable) {
  auto poller = Poller::create();
  ASSERT_TRUE(poller);
  auto p = socket_pair();
  int token = 0, other = 0;
  ASSERT_TRUE((*poller)->add(p.a.get(), 0, &token));
  ASSERT_TRUE((*poller)->modify(p.a.get(), kPollWrite, &other));
  std::array<PollEvent, 8> out{};
  auto n = (*poller)->wait(out, 1000);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, 1u);
  EXPECT_EQ(out[0].token, &other);
  EXPECT_EQ(out[0].events, kPollWrite);
}

TEST(Poller, PeerCloseIsReadableAndHangup) {
  auto poller = Poller::create();
  ASSERT_TRUE(poller);
  auto p = socket_pair();
  int token = 0;
  ASSERT_TRUE((*poller)->add(p.a.get(), kPollRead, &token));
  p.b.reset();
  std::array<PollEvent, 8> out{};
  auto n = (*poller)->wait(out, 1000);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, 1u);
  EXPECT_EQ(out[0].events & (kPollRead | kPollHangup), kPollRead | kPollHangup);
}

// A half-close must not look like a hang-up: the side that sees the FIN may still owe output.
TEST(Poller, PeerHalfCloseIsReadableNotHangup) {
  auto poller = Poller::create();
  ASSERT_TRUE(poller);
  auto p = socket_pair();
  int token = 0;
  ASSERT_TRUE((*poller)->add(p.a.get(), kPollRead, &token));
  ASSERT_EQ(::shutdown(p.b.get(), SHUT_WR), 0);
  std::array<PollEvent, 8> out{};
  auto n = (*poller)->wait(out, 1000);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, 1u);
  EXPECT_EQ(out[0].events, kPollRead);
}

TEST(Poller, RemovedDescriptorIsSilent) {
  auto poller = Poller::create();
  ASSERT_TRUE(poller);
  auto p = socket_pair();
  int token = 0;
  ASSERT_TRUE((*poller)->add(p.a.get(), kPollRead, &token));
  ASSERT_TRUE((*poller)->remove(p.a.get()));
  ASSERT_EQ(::write(p.b.get(), "x", 1), 1);
  std::array<PollEvent, 8> out{};
  auto n = (*poller)->wait(out, 10);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST(Poller, ErrorsCarryErrno) {
  auto poller = Poller::create();
  ASSERT_TRUE(poller);
  auto p = socket_pair();
  EXPECT_EQ((*poller)->remove(p.a.get()).error(), std::errc::no_such_file_or_directory);
  int token = 0;
  ASSERT_TRUE((*poller)->add(p.a.get(), kPollRead, &token));
  EXPECT_EQ((*poller)->add(p.a.get(), kPollRead, &token).error(), std::errc::file_exists);
  EXPECT_EQ((*poller)->add(-1, kPollRead, &token).error(), std::errc::bad_file_descriptor);
}

}  // namespace
}  // namespace sockit
