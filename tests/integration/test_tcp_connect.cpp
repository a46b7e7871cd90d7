// TcpStream::connect over several addresses: Happy Eyeballs (RFC 8305), sequential mode, the
// observer, one overall deadline, and which error wins when every attempt fails.
//
// Local stand-ins for network conditions, none of which sends a packet off the machine:
//   refusing address:  a TCP socket bound to a port but not listening (the kernel answers RST);
//   silent address:    a listener with backlog 0 whose single queue slot is taken (SYNs dropped).
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <vector>

#include "sockit/stream/tcp.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

const Endpoint kV4(IPv4Address::loopback(), 0);
const Endpoint kV6(IPv6Address::loopback(), 0);

/// A socket bound to `at` without listen(): connecting to it is refused.
struct Refusing {
  UniqueFd fd;
  Endpoint endpoint;
};

Result<Refusing> refusing(const Endpoint& at) {
  auto fd = open_socket(at.domain(), SOCK_STREAM);
  if (!fd) return fail(fd.error());
  if (at.domain() == AF_INET6) (void)set_v6_only(fd->get(), true);
  auto addr = at.to_sockaddr().value();
  if (::bind(fd->get(), addr.get(), addr.len) < 0) return fail(sys_error());
  auto local = local_endpoint(fd->get());
  if (!local) return fail(local.error());
  return Refusing{std::move(*fd), *local};
}

/// A listener whose queue is full: a further connect never completes.
struct Silent {
  TcpListener listener;
  TcpStream queued;
  Endpoint endpoint;
};

Result<Silent> silent(const Endpoint& at) {
  auto l = TcpListener::bind(at, ListenOptions{.backlog = 0});
  if (!l) return fail(l.error());
  auto ep = l->local_endpoint().value();
  auto first = TcpStream::connect(ep, Deadline::after(2s));
  if (!first) return fail(first.error());
  return Silent{std::move(*l), std::move(*first), ep};
}

bool has_ipv6_loopback() {
  return TcpListener::bind(kV6).has_value();
}

class TcpConnect : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!has_ipv6_loopback()) GTEST_SKIP() << "::1 is not configured on this machine";
    fds_before_ = count_open_fds().value();
    options_.observer = [this](const ConnectAttempt& a) { attempts_.push_back(a); };
  }
  void TearDown() override {
    if (fds_before_ >= 0) {
      EXPECT_EQ(count_open_fds().value(), fds_before_) << "fd leak";
    }
  }

  ConnectOptions options_;
  std::vector<ConnectAttempt> attempts_;

 private:
  int fds_before_ = -1;
};

// "localhost" resolves to ::1 and 127.0.0.1; only IPv4 listens. Happy Eyeballs tries ::1
// first (RFC 6724 order), is refused, and falls back to IPv4 at once.
TEST_F(TcpConnect, ByNameLocalhostFallsBackFromRefusedIpv6ToIpv4) {
  auto l = TcpListener::bind(kV4).value();
  const auto port = l.local_endpoint().value().port();
  auto v6 = refusing(Endpoint(IPv6Address::loopback(), port));  // ::1 on the same port refuses
  ASSERT_TRUE(v6) << v6.error().message();
  options_.deadline = Deadline::after(2s);
  auto s = TcpStream::connect("localhost", std::to_string(port), options_);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->peer_endpoint().value(), Endpoint(IPv4Address::loopback(), port));
  ASSERT_EQ(attempts_.size(), 2u);
  EXPECT_EQ(attempts_[0].endpoint, Endpoint(IPv6Address::loopback(), port));
  EXPECT_EQ(attempts_[0].result, std::errc::connection_refused);
  EXPECT_EQ(attempts_[1].endpoint, Endpoint(IPv4Address::loopback(), port));
  EXPECT_FALSE(attempts_[1].result);
  EXPECT_TRUE(l.accept(Deadline::after(2s)));
}

// The first address never answers: after the attempt delay the next one starts, wins, and the
// first is closed and reported as cancelled.
TEST_F(TcpConnect, SilentFirstAddressLosesAfterTheAttemptDelay) {
  auto v6 = silent(kV6).value();
  auto l = TcpListener::bind(kV4).value();
  const std::vector<Endpoint> candidates{v6.endpoint, l.local_endpoint().value()};
  options_.deadline = Deadline::after(3s);
  options_.attempt_delay = 100ms;
  const auto start = Clock::now();
  auto s = TcpStream::connect(candidates, options_);
  const auto took = Clock::now() - start;
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 1s);
  ASSERT_EQ(attempts_.size(), 2u);
  EXPECT_EQ(attempts_[0].endpoint, candidates[1]);
  EXPECT_FALSE(attempts_[0].result);
  EXPECT_EQ(attempts_[1].endpoint, candidates[0]);
  EXPECT_EQ(attempts_[1].result, Errc::cancelled);
}

// RFC 8305 requires a lower bound on the attempt delay: 0 ms is raised to 10 ms.
TEST_F(TcpConnect, AttemptDelayHasATenMillisecondFloor) {
  auto v6 = silent(kV6).value();
  auto l = TcpListener::bind(kV4).value();
  const std::vector<Endpoint> candidates{v6.endpoint, l.local_endpoint().value()};
  options_.deadline = Deadline::after(3s);
  options_.attempt_delay = 0ms;
  auto s = TcpStream::connect(candidates, options_);
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(attempts_.size(), 2u);
  EXPECT_EQ(attempts_[1].endpoint, candidates[0]);
  EXPECT_EQ(attempts_[1].result, Errc::cancelled);
  EXPECT_GE(attempts_[1].elapsed, 10ms);  // the silent attempt ran alone for the floor
}

// Without Happy Eyeballs the silent first address uses up the one deadline.
TEST_F(TcpConnect, SequentialModeSpendsTheDeadlineOnASilentAddress) {
  auto v6 = silent(kV6).value();
  auto l = TcpListener::bind(kV4).value();
  const std::vector<Endpoint> candidates{v6.endpoint, l.local_endpoint().value()};
  options_.happy_eyeballs = false;
  options_.deadline = Deadline::after(200ms);
  auto s = TcpStream::connect(candidates, options_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::errc::timed_out);
  ASSERT_EQ(attempts_.size(), 1u);
  EXPECT_EQ(attempts_[0].endpoint, candidates[0]);
  EXPECT_EQ(attempts_[0].result, std::errc::timed_out);
}

TEST_F(TcpConnect, AllFailedReportsRefusedOverTimeout) {
  auto v6 = silent(kV6).value();
  auto v4 = refusing(kV4).value();
  const std::vector<Endpoint> candidates{v6.endpoint, v4.endpoint};
  options_.deadline = Deadline::after(300ms);
  options_.attempt_delay = 50ms;
  auto s = TcpStream::connect(candidates, options_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::errc::connection_refused);
  ASSERT_EQ(attempts_.size(), 2u);
  EXPECT_EQ(attempts_[0].endpoint, v4.endpoint);
  EXPECT_EQ(attempts_[0].result, std::errc::connection_refused);
  EXPECT_EQ(attempts_[1].endpoint, v6.endpoint);
  EXPECT_EQ(attempts_[1].result, std::errc::timed_out);
}

class Interleave : public TcpConnect {
 protected:
  void SetUp() override {
    TcpConnect::SetUp();
    if (IsSkipped()) return;
    for (const Endpoint* at : {&kV6, &kV6, &kV4, &kV4})
      refusers_.push_back(refusing(*at).value());
    for (const auto& r : refusers_)
      candidates_.push_back(r.endpoint);
  }
  void TearDown() override {
    refusers_.clear();
    TcpConnect::TearDown();
  }
  std::vector<Endpoint> tried() const {
    std::vector<Endpoint> out;
    for (const auto& a : attempts_)
      out.push_back(a.endpoint);
    return out;
  }
  std::vector<Refusing> refusers_;
  std::vector<Endpoint> candidates_;  // v6a, v6b, v4a, v4b
};

TEST_F(Interleave, HappyEyeballsAlternatesFamilies) {
  auto s = TcpStream::connect(candidates_, options_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::errc::connection_refused);
  const auto& c = candidates_;
  EXPECT_EQ(tried(), (std::vector<Endpoint>{c[0], c[2], c[1], c[3]}));
  for (const auto& a : attempts_)
    EXPECT_EQ(a.result, std::errc::connection_refused);
}

TEST_F(Interleave, SequentialModeKeepsTheGivenOrder) {
  options_.happy_eyeballs = false;
  auto s = TcpStream::connect(candidates_, options_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::errc::connection_refused);
  EXPECT_EQ(tried(), candidates_);
}

TEST_F(Interleave, FamilyHintFiltersCandidates) {
  options_.family = FamilyHint::v4;
  auto s = TcpStream::connect(candidates_, options_);
  ASSERT_FALSE(s);
  EXPECT_EQ(tried(), (std::vector<Endpoint>{candidates_[2], candidates_[3]}));
  options_.family = FamilyHint::v6;
  auto none = TcpStream::connect(std::vector<Endpoint>{candidates_[2]}, options_);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), Errc::no_addresses);
}

TEST_F(TcpConnect, ExpiredDeadlineTriesNothing) {
  auto l = TcpListener::bind(kV4).value();
  const std::vector<Endpoint> candidates{l.local_endpoint().value()};
  options_.deadline = Deadline::after(0ms);
  auto s = TcpStream::connect(candidates, options_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), std::errc::timed_out);
  EXPECT_TRUE(attempts_.empty());
}

}  // namespace
}  // namespace sockit
