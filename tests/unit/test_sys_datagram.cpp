// socket.hpp's non-waiting datagram calls (try_recv_from, try_send_to) on loopback UDP sockets
// bound to port 0: exact bytes, the sender's address, MSG_TRUNC, empty datagrams, would-block.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/stream/udp.hpp"
#include "sockit/sys/io.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {
namespace {

UdpSocket bound() {
  auto s = UdpSocket::bind(*Endpoint::parse("127.0.0.1:0"));
  EXPECT_TRUE(s) << s.error().message();
  return std::move(*s);
}

SockAddr address_of(const UdpSocket& s) {
  auto local = s.local_endpoint();
  EXPECT_TRUE(local);
  auto addr = local->to_sockaddr();
  EXPECT_TRUE(addr);
  return *addr;
}

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}

// Loopback delivers at once, but a bounded wait keeps the test honest on a busy machine.
void wait_readable(const UdpSocket& s) {
  ASSERT_TRUE(wait_ready(s.fd(), Ready::read, Deadline::after(Millis(2000))));
}

TEST(SysDatagram, NothingQueuedWouldBlock) {
  UdpSocket b = bound();
  SockAddr from;
  std::array<std::byte, 16> buf{};
  auto got = try_recv_from(b.fd(), buf, from);
  ASSERT_FALSE(got);
  EXPECT_TRUE(would_block(got.error()));
}

TEST(SysDatagram, ExactBytesAndSender) {
  UdpSocket a = bound();
  UdpSocket b = bound();
  auto sent = try_send_to(a.fd(), bytes("ping!"), address_of(b));
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, 5u);
  wait_readable(b);
  SockAddr from;
  std::array<std::byte, 16> buf{};
  auto got = try_recv_from(b.fd(), buf, from);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->size, 5u);
  EXPECT_EQ(got->real_size, 5u);
  EXPECT_FALSE(got->truncated);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), got->size), "ping!");
  auto sender = Endpoint::from_sockaddr(from.get(), from.len);
  ASSERT_TRUE(sender);
  EXPECT_EQ(*sender, *a.local_endpoint());
  // The raw address answers the sender as it is.
  ASSERT_TRUE(try_send_to(b.fd(), bytes("pong"), from));
  wait_readable(a);
  SockAddr back;
  got = try_recv_from(a.fd(), buf, back);
  ASSERT_TRUE(got);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), got->size), "pong");
}

TEST(SysDatagram, TruncationReportsTheRealSizeAndDropsTheRest) {
  UdpSocket a = bound();
  UdpSocket b = bound();
  std::string big(100, 'x');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  ASSERT_EQ(*try_send_to(a.fd(), bytes(big), address_of(b)), 100u);
  wait_readable(b);
  SockAddr from;
  std::array<std::byte, 10> small{};
  auto got = try_recv_from(b.fd(), small, from);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->size, 10u);
  EXPECT_EQ(got->real_size, 100u);
  EXPECT_TRUE(got->truncated);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(small.data()), 10), "abcdefghij");
  auto next = try_recv_from(b.fd(), small, from);  // the other 90 bytes are gone
  ASSERT_FALSE(next);
  EXPECT_TRUE(would_block(next.error()));
}

TEST(SysDatagram, EmptyDatagramIsSentAndReceived) {
  UdpSocket a = bound();
  UdpSocket b = bound();
  auto sent = try_send_to(a.fd(), {}, address_of(b));
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, 0u);
  wait_readable(b);
  SockAddr from;
  std::array<std::byte, 4> buf{};
  auto got = try_recv_from(b.fd(), buf, from);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->size, 0u);
  EXPECT_EQ(got->real_size, 0u);
  EXPECT_FALSE(got->truncated);
}

TEST(SysDatagram, WaitingFormStillReportsSenderAndTruncation) {
  UdpSocket a = bound();
  UdpSocket b = bound();
  ASSERT_TRUE(try_send_to(a.fd(), bytes("0123456789"), address_of(b)));
  std::array<std::byte, 4> small{};
  auto d = recv_datagram(b.fd(), small, Deadline::after(Millis(2000)));
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->size, 4u);
  EXPECT_EQ(d->real_size, 10u);
  EXPECT_TRUE(d->truncated);
  EXPECT_EQ(d->from, *a.local_endpoint());
}

TEST(SysDatagram, SendErrorsAreReported) {
  UdpSocket a = bound();
  auto v6 = Endpoint::parse("[::1]:9")->to_sockaddr();  // an IPv6 address on an IPv4 socket
  ASSERT_TRUE(v6);
  auto sent = try_send_to(a.fd(), bytes("x"), *v6);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error(), sys_error(EAFNOSUPPORT));
}

}  // namespace
}  // namespace sockit
