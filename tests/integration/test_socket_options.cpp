// socket.hpp: typed options read back from the kernel, SO_ERROR, linger/RST, addresses, shutdown.
#include "sockit/sys/socket.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>

#include <array>
#include <chrono>
#include <string_view>

#include "sockit/stream/tcp.hpp"
#include "sockit/stream/udp.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}

const Endpoint kLoop0(IPv4Address::loopback(), 0);

class SocketOptions : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = count_open_fds().value(); }
  void TearDown() override { EXPECT_EQ(count_open_fds().value(), fds_before_) << "fd leak"; }

 private:
  int fds_before_ = 0;
};

using Setter = Status (*)(int, bool);
using Getter = Result<bool> (*)(int);

void expect_flag_round_trip(int fd, Setter set, Getter get, const char* name) {
  ASSERT_TRUE(set(fd, true)) << name;
  EXPECT_TRUE(get(fd).value()) << name;
  ASSERT_TRUE(set(fd, false)) << name;
  EXPECT_FALSE(get(fd).value()) << name;
}

TEST_F(SocketOptions, BooleanOptionsReadBackWhatWasSet) {
  auto fd = open_socket(AF_INET6, SOCK_STREAM).value();
  expect_flag_round_trip(fd.get(), set_reuse_addr, reuse_addr, "SO_REUSEADDR");
  expect_flag_round_trip(fd.get(), set_reuse_port, reuse_port, "SO_REUSEPORT");
  expect_flag_round_trip(fd.get(), set_no_delay, no_delay, "TCP_NODELAY");
  expect_flag_round_trip(fd.get(), set_keep_alive, keep_alive, "SO_KEEPALIVE");
  expect_flag_round_trip(fd.get(), set_broadcast, broadcast, "SO_BROADCAST");
  expect_flag_round_trip(fd.get(), set_v6_only, v6_only, "IPV6_V6ONLY");
}

TEST_F(SocketOptions, BufferSizesAreAtLeastWhatWasAsked) {
  auto fd = open_socket(AF_INET, SOCK_STREAM).value();
  ASSERT_TRUE(set_send_buffer(fd.get(), 64 * 1024));
  ASSERT_TRUE(set_recv_buffer(fd.get(), 64 * 1024));
  // Linux doubles the value for its bookkeeping (and may clamp it to [wr]mem_max).
  EXPECT_GE(send_buffer(fd.get()).value(), 64 * 1024);
  EXPECT_GE(recv_buffer(fd.get()).value(), 64 * 1024);
}

TEST_F(SocketOptions, NoDelayOnAUdpSocketIsAnError) {
  auto udp = open_socket(AF_INET, SOCK_DGRAM).value();
  auto s = set_no_delay(udp.get(), true);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::errc::no_protocol_option);  // ENOPROTOOPT
}

TEST_F(SocketOptions, LingerOffByDefaultAndRoundTrips) {
  auto fd = open_socket(AF_INET, SOCK_STREAM).value();
  EXPECT_EQ(linger_timeout(fd.get()).value(), std::nullopt);
  ASSERT_TRUE(set_linger(fd.get(), 5s));
  EXPECT_EQ(linger_timeout(fd.get()).value(), std::optional(std::chrono::seconds(5)));
  ASSERT_TRUE(set_abortive_close(fd.get()));
  EXPECT_EQ(linger_timeout(fd.get()).value(), std::optional(std::chrono::seconds(0)));
  ASSERT_TRUE(set_linger(fd.get(), std::nullopt));
  EXPECT_EQ(linger_timeout(fd.get()).value(), std::nullopt);
  auto bad = set_linger(fd.get(), std::chrono::seconds(-1));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), std::errc::invalid_argument);
}

TEST_F(SocketOptions, AbortiveCloseResetsThePeer) {
  auto l = TcpListener::bind(kLoop0).value();
  auto c = TcpStream::connect(l.local_endpoint().value(), Deadline::after(2s)).value();
  auto a = l.accept(Deadline::after(2s)).value();
  ASSERT_TRUE(set_abortive_close(c.fd()));
  c = TcpStream();  // close() now sends RST instead of FIN
  std::array<std::byte, 8> buf{};
  auto r = a.stream.read_some(buf, Deadline::after(2s));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::connection_reset);
}

TEST_F(SocketOptions, PendingErrorIsEmptyOnAFreshSocket) {
  auto fd = open_socket(AF_INET, SOCK_STREAM).value();
  auto err = pending_error(fd.get());
  ASSERT_TRUE(err);
  EXPECT_FALSE(*err);
}

// ICMP port-unreachable for a connected UDP socket lands in SO_ERROR; reading clears it.
TEST_F(SocketOptions, PendingErrorReportsAndClearsConnectionRefused) {
  Endpoint closed;
  {
    auto gone = UdpSocket::bind(kLoop0).value();
    closed = gone.local_endpoint().value();
  }
  auto s = UdpSocket::open(Family::v4).value();
  ASSERT_TRUE(s.connect(closed));
  ASSERT_EQ(s.send(bytes("x"), Deadline::after(2s)).value(), 1u);
  pollfd p{s.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1);
  EXPECT_EQ(pending_error(s.fd()).value(), std::errc::connection_refused);
  EXPECT_FALSE(pending_error(s.fd()).value());
}

TEST_F(SocketOptions, EndpointsOfAConnection) {
  auto l = TcpListener::bind(kLoop0).value();
  auto c = TcpStream::connect(l.local_endpoint().value(), Deadline::after(2s)).value();
  auto a = l.accept(Deadline::after(2s)).value();
  EXPECT_EQ(peer_endpoint(c.fd()).value(), local_endpoint(a.stream.fd()).value());
  EXPECT_EQ(local_endpoint(c.fd()).value(), peer_endpoint(a.stream.fd()).value());
}

TEST_F(SocketOptions, UnconnectedSocketHasNoPeerAndCannotShutdown) {
  auto fd = open_socket(AF_INET, SOCK_STREAM).value();
  auto peer = peer_endpoint(fd.get());
  ASSERT_FALSE(peer);
  EXPECT_EQ(peer.error(), std::errc::not_connected);
  auto down = shutdown(fd.get(), ShutdownHow::both);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error(), std::errc::not_connected);
}

TEST_F(SocketOptions, ShutdownReadMakesLocalReadsReturnEof) {
  auto l = TcpListener::bind(kLoop0).value();
  auto c = TcpStream::connect(l.local_endpoint().value(), Deadline::after(2s)).value();
  auto a = l.accept(Deadline::after(2s)).value();
  ASSERT_TRUE(shutdown(c.fd(), ShutdownHow::read));
  std::array<std::byte, 8> buf{};
  EXPECT_EQ(c.read_some(buf, Deadline::after(2s)).value(), 0u);
}

TEST_F(SocketOptions, BadDescriptorIsEbadf) {
  EXPECT_EQ(set_no_delay(-1, true).error(), std::errc::bad_file_descriptor);
  EXPECT_EQ(local_endpoint(-1).error(), std::errc::bad_file_descriptor);
  EXPECT_EQ(pending_error(-1).error(), std::errc::bad_file_descriptor);
  std::array<std::byte, 1> buf{};
  EXPECT_EQ(read_some(-1, buf).error(), std::errc::bad_file_descriptor);
}

TEST_F(SocketOptions, ConnectSocketReportsRefused) {
  Endpoint closed;
  {
    auto gone = TcpListener::bind(kLoop0).value();
    closed = gone.local_endpoint().value();
  }
  auto fd = open_socket(AF_INET, SOCK_STREAM).value();
  auto refused = connect_socket(fd.get(), closed.to_sockaddr().value(), Deadline::after(2s));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), std::errc::connection_refused);
}

}  // namespace
}  // namespace sockit
