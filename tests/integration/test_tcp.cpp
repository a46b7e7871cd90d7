// TcpStream and TcpListener over loopback: exact outcomes, deadlines, and no descriptor leaks.
#include "sockit/stream/tcp.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace sockit {
namespace {

using namespace std::chrono_literals;

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}

/// Reads until `n` bytes or EOF, with one overall deadline.
std::string read_n(TcpStream& s, std::size_t n, Deadline deadline = Deadline::after(5s)) {
  std::string out;
  std::array<std::byte, 4096> buf{};
  while (out.size() < n) {
    auto got = s.read_some(buf, deadline);
    if (!got || *got == 0) break;
    out.append(reinterpret_cast<const char*>(buf.data()), *got);
  }
  return out;
}

const Endpoint kLoop0(IPv4Address::loopback(), 0);

class Tcp : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = count_open_fds().value(); }
  void TearDown() override { EXPECT_EQ(count_open_fds().value(), fds_before_) << "fd leak"; }

  static TcpListener listen_loopback(const ListenOptions& options = {}) {
    auto l = TcpListener::bind(kLoop0, options);
    EXPECT_TRUE(l) << l.error().message();
    return std::move(*l);
  }
  static std::uint16_t port_of(const TcpListener& l) { return l.local_endpoint().value().port(); }

 private:
  int fds_before_ = 0;
};

TEST_F(Tcp, PortZeroIsReadBack) {
  auto l = listen_loopback();
  auto ep = l.local_endpoint();
  ASSERT_TRUE(ep) << ep.error().message();
  EXPECT_EQ(ep->address(), IpAddress(IPv4Address::loopback()));
  EXPECT_NE(ep->port(), 0);
}

TEST_F(Tcp, ConnectAcceptAndExchangeBytes) {
  auto l = listen_loopback();
  auto c = TcpStream::connect(l.local_endpoint().value(), Deadline::after(2s));
  ASSERT_TRUE(c) << c.error().message();
  auto a = l.accept(Deadline::after(2s));
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->peer, c->local_endpoint().value());
  EXPECT_EQ(c->peer_endpoint().value(), l.local_endpoint().value());
  ASSERT_EQ(c->write_some(bytes("ping"), Deadline::after(2s)).value(), 4u);
  EXPECT_EQ(read_n(a->stream, 4), "ping");
  ASSERT_EQ(a->stream.write_some(bytes("pong!"), Deadline::after(2s)).value(), 5u);
  EXPECT_EQ(read_n(*c, 5), "pong!");
}

TEST_F(Tcp, DescriptorsAreCloexecAndNonblocking) {
  auto l = listen_loopback();
  auto c = TcpStream::connect(l.local_endpoint().value(), Deadline::after(2s)).value();
  auto a = l.accept(Deadline::after(2s)).value();
  for (int fd : {l.fd(), c.fd(), a.stream.fd()}) {
    EXPECT_EQ(::fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC) << fd;
    EXPECT_EQ(::fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK) << fd;
  }
}

TEST_F(Tcp, ConnectToAClosedPortIsRefused) {
  std::uint16_t port = 0;
  {
    auto l = listen_loopback();
    port = port_of(l);
  }
  auto c = TcpStream::connect(Endpoint(IPv4Address::loopback(), port), Deadline::after(2s));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), std::errc::connection_refused);
  EXPECT_EQ(c.error().category(), std::system_category());
}

TEST_F(Tcp, AcceptDeadlineFires) {
  auto l = listen_loopback();
  const auto start = Clock::now();
  auto a = l.accept(Deadline::after(50ms));
  const auto took = Clock::now() - start;
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error(), std::errc::timed_out);
  EXPECT_GE(took, 50ms);
  EXPECT_LT(took, 1s);
}

TEST_F(Tcp, TryAcceptReportsEagainWithoutBlocking) {
  auto l = listen_loopback();
  auto a = l.try_accept();
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error(), std::errc::resource_unavailable_try_again);
  auto c = TcpStream::connect(l.local_endpoint().value(), Deadline::after(2s)).value();
  ASSERT_TRUE(wait_ready(l.fd(), Ready::read, Deadline::after(2s)));
  auto b = l.try_accept();
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(b->peer, c.local_endpoint().value());
}

// A listener with backlog 0 queues one connection; further SYNs are dropped while the queue is
// full, so a connect cannot complete and its deadline fires. No packet leaves the machine.
TEST_F(Tcp, ConnectDeadlineFiresWhenTheListenQueueIsFull) {
  auto l = listen_loopback(ListenOptions{.backlog = 0});
  std::vector<TcpStream> queued;
  std::error_code last;
  for (int i = 0; i < 4 && !last; ++i) {
    auto c = TcpStream::connect(l.local_endpoint().value(), Deadline::after(200ms));
    if (c) {
      queued.push_back(std::move(*c));
    } else {
      last = c.error();
    }
  }
  EXPECT_GE(queued.size(), 1u);
  EXPECT_EQ(last, std::errc::timed_out);
}

TEST_F(Tcp, ReadDeadlineFires) {
  auto l = listen_loopback();
  auto c = TcpStream::connect(l.local_endpoint().value(), Deadline::after(2s)).value();
  std::array<std::byte, 16> buf{};
  auto r = c.read_some(buf, Deadline::after(50ms));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), std::errc::timed_out);
}

TEST_F(Tcp, ShutdownWriteMakesThePeerReadEof) {
  auto l = listen_loopback();
  auto c = TcpStream::connect(l.local_endpoint().value(), Deadline::after(2s)).value();
  auto a = l.accept(Deadline::after(2s)).value();
  ASSERT_EQ(c.write_some(bytes("last words"), Deadline::after(2s)).value(), 10u);
  ASSERT_TRUE(c.shutdown(ShutdownHow::write));
  EXPECT_EQ(read_n(a.stream, 100), "last words");  // stops at EOF
  std::array<std::byte, 8> buf{};
  EXPECT_EQ(a.stream.read_some(buf, Deadline::after(2s)).value(), 0u);
  // The other direction still works after a half-close.
  ASSERT_EQ(a.stream.write_some(bytes("ok"), Deadline::after(2s)).value(), 2u);
  EXPECT_EQ(read_n(c, 2), "ok");
}

TEST_F(Tcp, BindingTheSamePortTwiceIsAddressInUse) {
  auto first = listen_loopback();
  auto second = TcpListener::bind(first.local_endpoint().value());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), std::errc::address_in_use);
}

TEST_F(Tcp, ReusePortLetsTwoListenersShareAPort) {
  auto first = listen_loopback(ListenOptions{.reuse_port = true});
  auto second =
      TcpListener::bind(first.local_endpoint().value(), ListenOptions{.reuse_port = true});
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->local_endpoint().value(), first.local_endpoint().value());
}

TEST_F(Tcp, Ipv6Loopback) {
  auto l = TcpListener::bind(Endpoint(IPv6Address::loopback(), 0));
  if (!l && l.error() == std::errc::address_not_available) GTEST_SKIP() << "::1 not configured";
  ASSERT_TRUE(l) << l.error().message();
  auto c = TcpStream::connect(l->local_endpoint().value(), Deadline::after(2s));
  ASSERT_TRUE(c) << c.error().message();
  auto a = l->accept(Deadline::after(2s)).value();
  EXPECT_EQ(a.peer.address(), IpAddress(IPv6Address::loopback()));
  ASSERT_EQ(c->write_some(bytes("v6"), Deadline::after(2s)).value(), 2u);
  EXPECT_EQ(read_n(a.stream, 2), "v6");
}

TEST_F(Tcp, DualStackListenerAcceptsIpv4AsMappedPeers) {
  auto l = TcpListener::bind(Endpoint(IPv6Address::any(), 0), ListenOptions{.dual_stack = true});
  if (!l && l.error() == std::errc::address_family_not_supported) GTEST_SKIP() << "no IPv6";
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_FALSE(v6_only(l->fd()).value());
  const auto port = l->local_endpoint().value().port();
  auto c = TcpStream::connect(Endpoint(IPv4Address::loopback(), port), Deadline::after(2s));
  ASSERT_TRUE(c) << c.error().message();
  auto a = l->accept(Deadline::after(2s)).value();
  EXPECT_EQ(a.peer.address(), IpAddress(IPv6Address::v4_mapped(IPv4Address::loopback())));
}

TEST_F(Tcp, Ipv6OnlyByDefault) {
  auto l = TcpListener::bind(Endpoint(IPv6Address::any(), 0));
  if (!l && l.error() == std::errc::address_family_not_supported) GTEST_SKIP() << "no IPv6";
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_TRUE(v6_only(l->fd()).value());
  const auto port = l->local_endpoint().value().port();
  auto c = TcpStream::connect(Endpoint(IPv4Address::loopback(), port), Deadline::after(2s));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), std::errc::connection_refused);
}

TEST_F(Tcp, FromFdAdoptsAnAcceptedSocket) {
  auto l = listen_loopback();
  auto c = TcpStream::connect(l.local_endpoint().value(), Deadline::after(2s)).value();
  ASSERT_TRUE(wait_ready(l.fd(), Ready::read, Deadline::after(2s)));
  UniqueFd raw(::accept4(l.fd(), nullptr, nullptr, SOCK_CLOEXEC));  // blocking on purpose
  ASSERT_TRUE(raw.valid());
  auto s = TcpStream::from_fd(std::move(raw));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(::fcntl(s->fd(), F_GETFL) & O_NONBLOCK, O_NONBLOCK);
  ASSERT_EQ(c.write_some(bytes("adopted"), Deadline::after(2s)).value(), 7u);
  EXPECT_EQ(read_n(*s, 7), "adopted");
  EXPECT_FALSE(TcpStream::from_fd(UniqueFd()));
}

TEST_F(Tcp, ReleasedListenerDescriptorKeepsListening) {
  auto l = listen_loopback();
  const auto at = l.local_endpoint().value();
  UniqueFd fd = l.release();
  EXPECT_FALSE(l.valid());
  ASSERT_TRUE(fd.valid());
  auto c = TcpStream::connect(at, Deadline::after(2s));
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_TRUE(wait_ready(fd.get(), Ready::read, Deadline::after(2s)));
  UniqueFd conn(::accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  EXPECT_TRUE(conn.valid());
}

TEST_F(Tcp, WriteToAClosedPeerIsAnErrorNotSigpipe) {
  auto l = listen_loopback();
  auto c = TcpStream::connect(l.local_endpoint().value(), Deadline::after(2s)).value();
  { auto a = l.accept(Deadline::after(2s)).value(); }  // the peer closes at once
  std::error_code error;
  const std::string chunk(4096, 'x');
  for (int i = 0; i < 100 && !error; ++i) {
    auto w = c.write_some(bytes(chunk), Deadline::after(2s));
    if (!w) error = w.error();
  }
  // The first write after the peer's close draws an RST; as the peer's FIN came first
  // (CLOSE_WAIT), the kernel reports the RST as EPIPE. Without MSG_NOSIGNAL this would have
  // killed the test with SIGPIPE.
  EXPECT_EQ(error, std::errc::broken_pipe) << error.message();
}

}  // namespace
}  // namespace sockit
