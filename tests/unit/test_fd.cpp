#include "sockit/sys/fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace sockit {
namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

TEST(UniqueFd, ClosesOnDestruction) {
  int raw = -1;
  {
    UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    raw = fd.get();
    ASSERT_TRUE(fd.valid());
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFd, MoveTransfersOwnership) {
  UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int raw = a.get();
  UniqueFd b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(b.get(), raw);
  UniqueFd c;
  c = std::move(b);
  EXPECT_EQ(c.get(), raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFd, ReleaseDoesNotClose) {
  UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  int raw = a.release();
  EXPECT_FALSE(a.valid());
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

TEST(WaitReady, TimesOutWithEtimedout) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  auto start = Clock::now();
  auto r = wait_ready(a.get(), Ready::read, Deadline::after(Millis(50)));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::timed_out);
  EXPECT_EQ(r.error(), Errc::deadline_passed);  // our deadline, not the kernel's ETIMEDOUT
  EXPECT_GE(Clock::now() - start, Millis(45));
}

TEST(WaitReady, ReturnsWhenReadable) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  std::thread writer([&] {
    std::this_thread::sleep_for(Millis(20));
    ASSERT_EQ(::write(b.get(), "x", 1), 1);
  });
  EXPECT_TRUE(wait_ready(a.get(), Ready::read, Deadline::after(Millis(5000))));
  writer.join();
}

TEST(Deadline, NeverAndExpired) {
  EXPECT_TRUE(Deadline::never().is_never());
  EXPECT_EQ(Deadline::never().poll_timeout_ms(), -1);
  EXPECT_FALSE(Deadline::never().expired());
  auto past = Deadline::after(Millis(-1));
  EXPECT_TRUE(past.expired());
  EXPECT_EQ(past.poll_timeout_ms(), 0);
  EXPECT_TRUE(Deadline::after_or_never(Millis(0)).is_never());
  auto soon = Deadline::after(Millis(1000));
  EXPECT_GT(soon.poll_timeout_ms(), 900);
  EXPECT_LE(soon.poll_timeout_ms(), 1000);
  EXPECT_EQ(earliest(soon, Deadline::never()).at(), soon.at());
}

TEST(Fds, CountTracksOpenAndClose) {
  auto before = count_open_fds();
  ASSERT_TRUE(before);
  {
    UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    EXPECT_EQ(*count_open_fds(), *before + 1);
  }
  EXPECT_EQ(*count_open_fds(), *before);
}

TEST(Fds, SetNonblockingTogglesFlag) {
  UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(set_nonblocking(fd.get(), true));
  EXPECT_TRUE(::fcntl(fd.get(), F_GETFL) & O_NONBLOCK);
  ASSERT_TRUE(set_nonblocking(fd.get(), false));
  EXPECT_FALSE(::fcntl(fd.get(), F_GETFL) & O_NONBLOCK);
  auto bad = set_nonblocking(-1, true);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), std::errc::bad_file_descriptor);
}

}  // namespace
}  // namespace sockit
