// sys/io.hpp's try_peek: MSG_PEEK | MSG_DONTWAIT, bytes left queued, EOF, reset, would-block.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>
#include <string_view>

#include "sockit/stream/tcp.hpp"
#include "sockit/sys/accept.hpp"
#include "sockit/sys/io.hpp"
#include "sockit/sys/socket.hpp"
#include "support/socket_pair.hpp"

namespace sockit {
namespace {

using Pair = test::SocketPair;

Pair make_socketpair() {
  return test::make_socket_pair();
}

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}

std::string text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

TEST(SysPeek, LeavesTheBytesQueued) {
  Pair p = make_socketpair();
  ASSERT_EQ(*try_write(p.b.get(), bytes("hello")), 5u);
  std::array<std::byte, 3> small{};
  auto n = try_peek(p.a.get(), small);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(text(small), "hel");
  std::array<std::byte, 16> big{};
  n = try_peek(p.a.get(), big);
  ASSERT_TRUE(n);
  EXPECT_EQ(text(std::span(big).first(*n)), "hello");
  // A real read still gets every byte, once.
  n = try_read(p.a.get(), big);
  ASSERT_TRUE(n);
  EXPECT_EQ(text(std::span(big).first(*n)), "hello");
  n = try_peek(p.a.get(), big);
  ASSERT_FALSE(n);
  EXPECT_TRUE(would_block(n.error()));
}

TEST(SysPeek, NothingQueuedWouldBlockEvenOnABlockingSocket) {
  Pair p = make_socketpair();  // socketpair() without SOCK_NONBLOCK: MSG_DONTWAIT must hold
  ASSERT_EQ(::fcntl(p.a.get(), F_GETFL) & O_NONBLOCK, 0);
  std::array<std::byte, 4> out{};
  auto n = try_peek(p.a.get(), out);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), std::errc::resource_unavailable_try_again);
}

TEST(SysPeek, EndOfStreamIsZero) {
  Pair p = make_socketpair();
  p.b.reset();
  std::array<std::byte, 4> out{};
  auto n = try_peek(p.a.get(), out);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 0u);
}

TEST(SysPeek, EmptySpanMakesNoCall) {
  auto n = try_peek(-1, {});  // a call would fail with EBADF
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST(SysPeek, ResetPeerIsConnectionReset) {
  auto listener = TcpListener::bind(*Endpoint::parse("127.0.0.1:0"));
  ASSERT_TRUE(listener);
  auto client = TcpStream::connect(*listener->local_endpoint(), Deadline::after(Millis(2000)));
  ASSERT_TRUE(client);
  auto conn = accept_wait(listener->fd(), Deadline::after(Millis(2000)));
  ASSERT_TRUE(conn);
  ASSERT_TRUE(set_abortive_close(client->fd()));
  UniqueFd gone = client->release();
  gone.reset();  // RST
  ASSERT_TRUE(wait_ready(conn->get(), Ready::read, Deadline::after(Millis(2000))));
  std::array<std::byte, 1> out{};
  auto n = try_peek(conn->get(), out);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), sys_error(ECONNRESET));
}

TEST(SysPeek, NotASocketIsReported) {
  int fds[2] = {-1, -1};
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd r(fds[0]);
  UniqueFd w(fds[1]);
  std::array<std::byte, 1> out{};
  auto n = try_peek(r.get(), out);
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error(), sys_error(ENOTSOCK));
}

}  // namespace
}  // namespace sockit
