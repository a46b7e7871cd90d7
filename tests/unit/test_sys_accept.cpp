// sys/accept.hpp: the one accept4() loop (try_accept, accept_wait) and is_out_of_descriptors,
// on loopback listeners bound to port 0.
#include "sockit/sys/accept.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "sockit/stream/tcp.hpp"
#include "sockit/sys/io.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {
namespace {

Endpoint loopback0() {
  return *Endpoint::parse("127.0.0.1:0");
}

TcpListener listen_loopback() {
  auto listener = TcpListener::bind(loopback0());
  EXPECT_TRUE(listener) << listener.error().message();
  return std::move(*listener);
}

TEST(SysAccept, EmptyListenerWouldBlock) {
  TcpListener listener = listen_loopback();
  SockAddr peer;
  auto conn = try_accept(listener.fd(), &peer);
  ASSERT_FALSE(conn);
  EXPECT_TRUE(would_block(conn.error()));
  EXPECT_EQ(conn.error(), std::errc::resource_unavailable_try_again);
}

TEST(SysAccept, TakesQueuedConnectionWithPeerAddressNonblockingAndCloexec) {
  TcpListener listener = listen_loopback();
  auto client = TcpStream::connect(*listener.local_endpoint(), Deadline::after(Millis(2000)));
  ASSERT_TRUE(client) << client.error().message();
  SockAddr peer;
  auto conn = accept_wait(listener.fd(), Deadline::after(Millis(2000)), &peer);
  ASSERT_TRUE(conn) << conn.error().message();
  auto from = Endpoint::from_sockaddr(peer.get(), peer.len);
  ASSERT_TRUE(from);
  EXPECT_EQ(*from, *local_endpoint(client->fd()));
  EXPECT_NE(::fcntl(conn->get(), F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(conn->get(), F_GETFD) & FD_CLOEXEC, 0);
  // The queue is empty again.
  auto again = try_accept(listener.fd());
  ASSERT_FALSE(again);
  EXPECT_TRUE(would_block(again.error()));
}

TEST(SysAccept, WithoutPeerPointerStillAccepts) {
  TcpListener listener = listen_loopback();
  auto client = TcpStream::connect(*listener.local_endpoint(), Deadline::after(Millis(2000)));
  ASSERT_TRUE(client);
  auto conn = accept_wait(listener.fd(), Deadline::after(Millis(2000)));
  ASSERT_TRUE(conn) << conn.error().message();
  EXPECT_TRUE(conn->valid());
}

TEST(SysAccept, WaitEndsAtDeadline) {
  TcpListener listener = listen_loopback();
  const auto start = Clock::now();
  auto conn = accept_wait(listener.fd(), Deadline::after(Millis(60)));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error(), make_error_code(Errc::deadline_passed));
  EXPECT_GE(Clock::now() - start, Millis(60));
}

TEST(SysAccept, NotListeningReportsTheKernelsError) {
  int sv[2] = {-1, -1};
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]);
  UniqueFd b(sv[1]);
  auto conn = try_accept(a.get());
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error(), sys_error(EINVAL));  // a connected socket is not listening
  auto bad = try_accept(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), sys_error(EBADF));
}

// With every descriptor slot below the limit taken, a queued connection gives EMFILE, which the
// servers tell apart from "nothing queued" with is_out_of_descriptors.
TEST(SysAccept, DescriptorExhaustionIsReportedNotSkipped) {
  TcpListener listener = listen_loopback();
  auto client = TcpStream::connect(*listener.local_endpoint(), Deadline::after(Millis(2000)));
  ASSERT_TRUE(client);
  ASSERT_TRUE(wait_ready(listener.fd(), Ready::read, Deadline::after(Millis(2000))));
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(listener.fd() + 8);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<UniqueFd> fillers;  // take every free slot below the limit (bounded by it)
  for (int i = 0; i < 16; ++i) {
    UniqueFd fd(::fcntl(listener.fd(), F_DUPFD_CLOEXEC, 0));
    if (!fd) break;
    fillers.push_back(std::move(fd));
  }
  ASSERT_FALSE(fillers.empty());
  auto conn = try_accept(listener.fd());
  fillers.clear();
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error(), sys_error(EMFILE));
  EXPECT_TRUE(is_out_of_descriptors(conn.error()));
  // The connection stayed queued: with descriptors back it is accepted.
  auto later = try_accept(listener.fd());
  EXPECT_TRUE(later) << later.error().message();
}

TEST(SysAccept, OutOfDescriptorsCodes) {
  for (int err : {EMFILE, ENFILE, ENOBUFS, ENOMEM})
    EXPECT_TRUE(is_out_of_descriptors(sys_error(err)));
  for (int err : {EAGAIN, ECONNABORTED, EINTR, EBADF, EINVAL}) {
    EXPECT_FALSE(is_out_of_descriptors(sys_error(err))) << err;
  }
  // The value alone is not enough: another category's 24 is not EMFILE.
  EXPECT_FALSE(is_out_of_descriptors(std::error_code(EMFILE, std::generic_category())));
  EXPECT_FALSE(is_out_of_descriptors(make_error_code(Errc::deadline_passed)));
}

}  // namespace
}  // namespace sockit
