// The event loop's raw byte calls (src/sys/stream_io.hpp): exact bytes, 0 at end of stream,
// minus errno for errors (-EAGAIN when a non-blocking descriptor would block, -EPIPE without a
// signal), readv/sendmsg over two areas, MSG_MORE holding a header for the next send, splice
// through a pipe and back.
#include "sys/stream_io.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>

#include "sockit/core/unique_fd.hpp"
#include "support/socket_pair.hpp"

namespace sockit {
namespace {

using Pair = test::SocketPair;

Pair socket_pair() {
  return test::make_socket_pair(SOCK_NONBLOCK);
}

// a = read end, b = write end.
Pair pipe_pair() {
  int p[2] = {-1, -1};
  EXPECT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  return {UniqueFd(p[0]), UniqueFd(p[1])};
}

// A connected TCP pair on 127.0.0.1, both ends non-blocking (a: client, b: accepted).
Pair tcp_pair() {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), len), 0);
  EXPECT_EQ(::listen(listener.get(), 1), 0);
  EXPECT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), len), 0);
  UniqueFd server(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
  EXPECT_EQ(::fcntl(client.get(), F_SETFL, O_NONBLOCK), 0);
  return {std::move(client), std::move(server)};
}

std::span<std::byte> bytes_of(std::string& s) {
  return std::as_writable_bytes(std::span(s));
}

bool readable_within(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

// Reads until `want` bytes came or 2 s passed.
std::string read_all(int fd, std::size_t want) {
  std::string got;
  std::string chunk(256, '\0');
  for (int i = 0; i < 200 && got.size() < want; ++i) {
    if (!readable_within(fd, 10)) continue;
    const ssize_t n = stream_io::receive(fd, bytes_of(chunk));
    if (n <= 0) break;
    got.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return got;
}

// Fills `fd`'s send side until the kernel refuses; returns the last result (-EAGAIN expected).
ssize_t fill(int fd) {
  const std::string block(64 * 1024, 'x');
  ssize_t n = 0;
  for (int i = 0; i < 10'000 && n >= 0; ++i)
    n = stream_io::transmit(fd, block);
  return n;
}

TEST(SysStreamIo, WouldBlockIsEagainOnly) {
  EXPECT_TRUE(stream_io::would_block(-EAGAIN));
  EXPECT_TRUE(stream_io::would_block(-EWOULDBLOCK));
  EXPECT_FALSE(stream_io::would_block(0));
  EXPECT_FALSE(stream_io::would_block(EAGAIN));
  EXPECT_FALSE(stream_io::would_block(-EPIPE));
}

TEST(SysStreamIo, ReceiveGivesExactBytesThenZeroAtEnd) {
  auto [a, b] = socket_pair();
  ASSERT_EQ(::write(b.get(), "hello", 5), 5);
  std::string out(16, '\0');
  ASSERT_EQ(stream_io::receive(a.get(), bytes_of(out)), 5);
  EXPECT_EQ(out.substr(0, 5), "hello");
  b.reset();
  EXPECT_EQ(stream_io::receive(a.get(), bytes_of(out)), 0);
}

TEST(SysStreamIo, ReceiveOnEmptyNonBlockingSocketIsMinusEagain) {
  auto [a, b] = socket_pair();
  std::string out(16, '\0');
  EXPECT_EQ(stream_io::receive(a.get(), bytes_of(out)), -EAGAIN);
}

TEST(SysStreamIo, ReceiveOnBadDescriptorIsMinusEbadf) {
  std::string out(16, '\0');
  EXPECT_EQ(stream_io::receive(-1, bytes_of(out)), -EBADF);
}

TEST(SysStreamIo, Receive2FillsFirstThenSecond) {
  auto [a, b] = socket_pair();
  ASSERT_EQ(::write(b.get(), "0123456789", 10), 10);
  std::string first(4, '\0');
  std::string second(16, '-');
  ASSERT_EQ(stream_io::receive2(a.get(), bytes_of(first), bytes_of(second)), 10);
  EXPECT_EQ(first, "0123");
  EXPECT_EQ(second, "456789----------");
  EXPECT_EQ(stream_io::receive2(a.get(), bytes_of(first), bytes_of(second)), -EAGAIN);
}

TEST(SysStreamIo, Receive2WithEmptyFirstReadsIntoSecond) {
  auto [a, b] = socket_pair();
  std::string second(8, '-');
  EXPECT_EQ(stream_io::receive2(a.get(), {}, bytes_of(second)), -EAGAIN);
  ASSERT_EQ(::write(b.get(), "abc", 3), 3);
  ASSERT_EQ(stream_io::receive2(a.get(), {}, bytes_of(second)), 3);
  EXPECT_EQ(second, "abc-----");
  b.reset();
  EXPECT_EQ(stream_io::receive2(a.get(), {}, bytes_of(second)), 0);
}

TEST(SysStreamIo, TransmitSendsExactBytesAndFullSocketIsMinusEagain) {
  auto [a, b] = socket_pair();
  ASSERT_EQ(stream_io::transmit(a.get(), "ping"), 4);
  EXPECT_EQ(read_all(b.get(), 4), "ping");
  EXPECT_EQ(fill(a.get()), -EAGAIN);
}

TEST(SysStreamIo, TransmitToClosedPeerIsMinusEpipeWithoutSignal) {
  // With SIGPIPE at its default a missing MSG_NOSIGNAL would kill the test process.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGPIPE, &dfl, &old), 0);
  auto [a, b] = socket_pair();
  b.reset();
  EXPECT_EQ(stream_io::transmit(a.get(), "x"), -EPIPE);
  EXPECT_EQ(stream_io::transmit2(a.get(), "x", "y"), -EPIPE);
  EXPECT_EQ(stream_io::transmit_more(a.get(), "x"), -EPIPE);
  ::sigaction(SIGPIPE, &old, nullptr);
}

TEST(SysStreamIo, Transmit2SendsBothPiecesInOrder) {
  auto [a, b] = socket_pair();
  ASSERT_EQ(stream_io::transmit2(a.get(), "head:", "body"), 9);
  ASSERT_EQ(stream_io::transmit2(a.get(), "only", {}), 4);
  EXPECT_EQ(read_all(b.get(), 13), "head:bodyonly");
  EXPECT_EQ(fill(a.get()), -EAGAIN);
  EXPECT_EQ(stream_io::transmit2(a.get(), "a", "b"), -EAGAIN);
}

TEST(SysStreamIo, TransmitvSendsEveryPieceInOrder) {
  auto [a, b] = socket_pair();
  std::string p1 = "ab", p2 = "cde", p3 = "f";
  const std::array<iovec, 3> three{
      {{p1.data(), p1.size()}, {p2.data(), p2.size()}, {p3.data(), p3.size()}}};
  ASSERT_EQ(stream_io::transmitv(a.get(), three), 6);
  ASSERT_EQ(stream_io::transmitv(a.get(), std::span(three).first(1)), 2);  // one piece: send(2)
  EXPECT_EQ(read_all(b.get(), 8), "abcdefab");
  EXPECT_EQ(fill(a.get()), -EAGAIN);
  EXPECT_EQ(stream_io::transmitv(a.get(), three), -EAGAIN);
  b.reset();
  // No SIGPIPE (it would end this program): -EPIPE, for one piece and for several.
  EXPECT_EQ(stream_io::transmitv(a.get(), std::span(three).first(1)), -EPIPE);
  EXPECT_EQ(stream_io::transmitv(a.get(), three), -EPIPE);
}

// MSG_MORE: the header stays in the sender's kernel until the next send without it, then both
// arrive together.
TEST(SysStreamIo, TransmitMoreHoldsBytesForTheNextSend) {
  auto [client, server] = tcp_pair();
  ASSERT_TRUE(client.valid());
  ASSERT_TRUE(server.valid());
  ASSERT_EQ(stream_io::transmit_more(server.get(), "HEAD "), 5);
  EXPECT_FALSE(readable_within(client.get(), 50));
  std::string out(16, '\0');
  EXPECT_EQ(stream_io::receive(client.get(), bytes_of(out)), -EAGAIN);
  ASSERT_EQ(stream_io::transmit(server.get(), "BODY"), 4);
  EXPECT_EQ(read_all(client.get(), 9), "HEAD BODY");
}

TEST(SysStreamIo, SpliceMovesSocketToPipeAndBack) {
  auto [a, b] = socket_pair();
  auto [r, w] = pipe_pair();
  EXPECT_EQ(stream_io::splice_some(a.get(), w.get(), 1024), -EAGAIN);  // nothing to read
  ASSERT_EQ(::write(b.get(), "spliced!", 8), 8);
  ASSERT_EQ(stream_io::splice_some(a.get(), w.get(), 1024), 8);
  EXPECT_EQ(stream_io::splice_some(r.get(), a.get(), 3), 3);  // part of what the pipe holds
  EXPECT_EQ(stream_io::splice_some(r.get(), a.get(), 1024), 5);
  EXPECT_EQ(read_all(b.get(), 8), "spliced!");
  EXPECT_EQ(stream_io::splice_some(r.get(), a.get(), 1024), -EAGAIN);  // the pipe is empty
  b.reset();
  EXPECT_EQ(stream_io::splice_some(a.get(), w.get(), 1024), 0);  // the peer's EOF
}

TEST(SysStreamIo, SpliceIntoFullSocketIsMinusEagain) {
  auto [a, b] = socket_pair();
  auto [r, w] = pipe_pair();
  ASSERT_EQ(::write(w.get(), "pending", 7), 7);
  ASSERT_EQ(fill(a.get()), -EAGAIN);
  EXPECT_EQ(stream_io::splice_some(r.get(), a.get(), 7), -EAGAIN);
  std::string out(16, '\0');
  ASSERT_EQ(stream_io::read_pipe(r.get(), bytes_of(out)), 7);  // still in the pipe
  EXPECT_EQ(out.substr(0, 7), "pending");
}

TEST(SysStreamIo, ReadPipeExactBytesEmptyAndEnd) {
  auto [r, w] = pipe_pair();
  std::string out(4, '\0');
  EXPECT_EQ(stream_io::read_pipe(r.get(), bytes_of(out)), -EAGAIN);
  ASSERT_EQ(::write(w.get(), "abcdef", 6), 6);
  ASSERT_EQ(stream_io::read_pipe(r.get(), bytes_of(out)), 4);
  EXPECT_EQ(out, "abcd");
  ASSERT_EQ(stream_io::read_pipe(r.get(), bytes_of(out)), 2);
  EXPECT_EQ(out.substr(0, 2), "ef");
  w.reset();
  EXPECT_EQ(stream_io::read_pipe(r.get(), bytes_of(out)), 0);
}

TEST(SysStreamIo, ReadFileAtUsesOffsetNotPosition) {
  std::FILE* tmp = std::tmpfile();
  ASSERT_NE(tmp, nullptr);
  const int fd = ::fileno(tmp);
  ASSERT_EQ(::write(fd, "0123456789", 10), 10);
  ASSERT_EQ(::lseek(fd, 2, SEEK_SET), 2);
  std::string out(4, '\0');
  ASSERT_EQ(stream_io::read_file_at(fd, bytes_of(out), 5), 4);
  EXPECT_EQ(out, "5678");
  EXPECT_EQ(stream_io::read_file_at(fd, bytes_of(out), 8), 2);
  EXPECT_EQ(stream_io::read_file_at(fd, bytes_of(out), 10), 0);  // the file ends there
  EXPECT_EQ(::lseek(fd, 0, SEEK_CUR), 2);                        // position untouched
  EXPECT_EQ(stream_io::read_file_at(-1, bytes_of(out), 0), -EBADF);
  std::fclose(tmp);
}

}  // namespace
}  // namespace sockit
