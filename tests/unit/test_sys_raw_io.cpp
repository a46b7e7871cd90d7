// src/sys/raw_io.hpp: the bench engine's inline send/recv/sendmsg keep the system calls' result
// shape (-1 and errno) with the sys rules: MSG_NOSIGNAL on every send, would-block as EAGAIN.
#include "sys/raw_io.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <string>

#include "sockit/core/unique_fd.hpp"
#include "support/socket_pair.hpp"

namespace sockit {
namespace {

using Pair = test::SocketPair;

Pair make_socketpair() {
  return test::make_socket_pair(SOCK_NONBLOCK);
}

TEST(SysRawIo, SendAndRecvMoveExactBytes) {
  Pair p = make_socketpair();
  EXPECT_EQ(raw::send(p.a.get(), "hello", 5), 5);
  std::array<char, 16> out{};
  ASSERT_EQ(raw::recv(p.b.get(), out.data(), out.size()), 5);
  EXPECT_EQ(std::string(out.data(), 5), "hello");
}

TEST(SysRawIo, SendmsgWritesThePiecesInOrder) {
  Pair p = make_socketpair();
  std::string head = "ab";
  std::string tail = "cde";
  std::array<iovec, 2> iov{{{head.data(), head.size()}, {tail.data(), tail.size()}}};
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  EXPECT_EQ(raw::sendmsg(p.a.get(), &msg), 5);
  std::array<char, 16> out{};
  ASSERT_EQ(raw::recv(p.b.get(), out.data(), out.size()), 5);
  EXPECT_EQ(std::string(out.data(), 5), "abcde");
}

TEST(SysRawIo, EmptyNonblockingSocketGivesEagain) {
  Pair p = make_socketpair();
  std::array<char, 4> out{};
  errno = 0;
  EXPECT_EQ(raw::recv(p.b.get(), out.data(), out.size()), -1);
  EXPECT_EQ(errno, EAGAIN);
}

TEST(SysRawIo, EndOfStreamIsZero) {
  Pair p = make_socketpair();
  p.a.reset();
  std::array<char, 4> out{};
  EXPECT_EQ(raw::recv(p.b.get(), out.data(), out.size()), 0);
}

// Without MSG_NOSIGNAL the default SIGPIPE would end this test program.
TEST(SysRawIo, SendToAClosedPeerIsEpipeNotSigpipe) {
  Pair p = make_socketpair();
  p.b.reset();
  errno = 0;
  EXPECT_EQ(raw::send(p.a.get(), "x", 1), -1);
  EXPECT_EQ(errno, EPIPE);
  std::string one = "y";
  iovec iov{one.data(), one.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  errno = 0;
  EXPECT_EQ(raw::sendmsg(p.a.get(), &msg), -1);
  EXPECT_EQ(errno, EPIPE);
}

}  // namespace
}  // namespace sockit
