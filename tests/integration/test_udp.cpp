// UdpSocket over loopback: datagram boundaries, truncation, connected-UDP errors, deadlines.
#include "sockit/stream/udp.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <string_view>

namespace sockit {
namespace {

using namespace std::chrono_literals;

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}
std::string text(std::span<const std::byte> b, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(b.data()), n);
}

const Endpoint kLoop0(IPv4Address::loopback(), 0);

class Udp : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = count_open_fds().value(); }
  void TearDown() override { EXPECT_EQ(count_open_fds().value(), fds_before_) << "fd leak"; }

 private:
  int fds_before_ = 0;
};

TEST_F(Udp, SendToAndRecvFromKeepDatagramBoundaries) {
  auto a = UdpSocket::bind(kLoop0).value();
  auto b = UdpSocket::bind(kLoop0).value();
  const auto to = a.local_endpoint().value();
  ASSERT_EQ(b.send_to(bytes("one"), to, Deadline::after(2s)).value(), 3u);
  ASSERT_EQ(b.send_to(bytes("two!"), to, Deadline::after(2s)).value(), 4u);
  std::array<std::byte, 64> buf{};
  auto d1 = a.recv_from(buf, Deadline::after(2s));
  ASSERT_TRUE(d1) << d1.error().message();
  EXPECT_EQ(text(buf, d1->size), "one");
  EXPECT_EQ(d1->real_size, 3u);
  EXPECT_FALSE(d1->truncated);
  EXPECT_EQ(d1->from, b.local_endpoint().value());
  auto d2 = a.recv_from(buf, Deadline::after(2s)).value();
  EXPECT_EQ(text(buf, d2.size), "two!");
}

TEST_F(Udp, DescriptorIsCloexecAndNonblocking) {
  auto a = UdpSocket::bind(kLoop0).value();
  EXPECT_EQ(::fcntl(a.fd(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(::fcntl(a.fd(), F_GETFL) & O_NONBLOCK, O_NONBLOCK);
}

TEST_F(Udp, SmallBufferReportsTruncationAndRealSize) {
  auto a = UdpSocket::bind(kLoop0).value();
  auto b = UdpSocket::open(Family::v4).value();
  const std::string hundred(100, 'z');
  ASSERT_EQ(b.send_to(bytes(hundred), a.local_endpoint().value(), Deadline::after(2s)).value(),
            100u);
  std::array<std::byte, 10> small{};
  auto d = a.recv_from(small, Deadline::after(2s));
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_TRUE(d->truncated);
  EXPECT_EQ(d->size, 10u);
  EXPECT_EQ(d->real_size, 100u);
  EXPECT_EQ(text(small, d->size), std::string(10, 'z'));
}

TEST_F(Udp, EmptyDatagramIsNotEndOfStream) {
  auto a = UdpSocket::bind(kLoop0).value();
  auto b = UdpSocket::open(Family::v4).value();
  ASSERT_EQ(b.send_to({}, a.local_endpoint().value(), Deadline::after(2s)).value(), 0u);
  std::array<std::byte, 8> buf{};
  auto d = a.recv_from(buf, Deadline::after(2s));
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->size, 0u);
  EXPECT_EQ(d->real_size, 0u);
  EXPECT_FALSE(d->truncated);
}

// An ICMP port-unreachable for a connected socket's send comes back on the next recv.
TEST_F(Udp, ConnectedSocketSeesPortUnreachableAsConnectionRefused) {
  Endpoint closed;
  {
    auto gone = UdpSocket::bind(kLoop0).value();
    closed = gone.local_endpoint().value();
  }
  auto s = UdpSocket::open(Family::v4).value();
  ASSERT_TRUE(s.connect(closed));
  EXPECT_EQ(s.peer_endpoint().value(), closed);
  ASSERT_EQ(s.send(bytes("anyone?"), Deadline::after(2s)).value(), 7u);
  std::array<std::byte, 16> buf{};
  auto d = s.recv(buf, Deadline::after(2s));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), std::errc::connection_refused);
}

TEST_F(Udp, ConnectedSocketExchangesWithItsPeer) {
  auto a = UdpSocket::bind(kLoop0).value();
  auto b = UdpSocket::bind(kLoop0).value();
  ASSERT_TRUE(b.connect(a.local_endpoint().value()));
  ASSERT_EQ(b.send(bytes("hi"), Deadline::after(2s)).value(), 2u);
  std::array<std::byte, 16> buf{};
  auto d = a.recv_from(buf, Deadline::after(2s)).value();
  ASSERT_EQ(a.send_to(bytes("back"), d.from, Deadline::after(2s)).value(), 4u);
  auto r = b.recv(buf, Deadline::after(2s));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(text(buf, r->size), "back");
  EXPECT_EQ(r->from, a.local_endpoint().value());
}

TEST_F(Udp, RecvDeadlineFires) {
  auto a = UdpSocket::bind(kLoop0).value();
  std::array<std::byte, 16> buf{};
  const auto start = Clock::now();
  auto d = a.recv_from(buf, Deadline::after(50ms));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error(), std::errc::timed_out);
  EXPECT_GE(Clock::now() - start, 50ms);
}

TEST_F(Udp, PortZeroIsReadBack) {
  auto a = UdpSocket::bind(kLoop0).value();
  auto ep = a.local_endpoint().value();
  EXPECT_EQ(ep.address(), IpAddress(IPv4Address::loopback()));
  EXPECT_NE(ep.port(), 0);
}

TEST_F(Udp, BindingTheSamePortTwiceIsAddressInUse) {
  auto a = UdpSocket::bind(kLoop0).value();
  auto b = UdpSocket::bind(a.local_endpoint().value());
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), std::errc::address_in_use);
}

TEST_F(Udp, ReusePortLetsTwoSocketsShareAPort) {
  auto a = UdpSocket::bind(kLoop0, UdpOptions{.reuse_port = true}).value();
  auto b = UdpSocket::bind(a.local_endpoint().value(), UdpOptions{.reuse_port = true});
  ASSERT_TRUE(b) << b.error().message();
}

TEST_F(Udp, BroadcastOptionIsSet) {
  auto a = UdpSocket::open(Family::v4, UdpOptions{.broadcast = true}).value();
  EXPECT_TRUE(broadcast(a.fd()).value());
  auto b = UdpSocket::open(Family::v4).value();
  EXPECT_FALSE(broadcast(b.fd()).value());
}

TEST_F(Udp, Ipv6Loopback) {
  auto a = UdpSocket::bind(Endpoint(IPv6Address::loopback(), 0));
  if (!a && a.error() == std::errc::address_not_available) GTEST_SKIP() << "::1 not configured";
  ASSERT_TRUE(a) << a.error().message();
  auto b = UdpSocket::open(Family::v6).value();
  ASSERT_EQ(b.send_to(bytes("six"), a->local_endpoint().value(), Deadline::after(2s)).value(), 3u);
  std::array<std::byte, 16> buf{};
  auto d = a->recv_from(buf, Deadline::after(2s)).value();
  EXPECT_EQ(text(buf, d.size), "six");
  EXPECT_EQ(d.from.address(), IpAddress(IPv6Address::loopback()));
}

TEST_F(Udp, UnixEndpointIsRejected) {
  auto b = UdpSocket::open(Family::v4).value();
  auto r = b.send_to(bytes("x"), Endpoint(UnixPath{"/tmp/x"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::invalid_endpoint);
}

}  // namespace
}  // namespace sockit
