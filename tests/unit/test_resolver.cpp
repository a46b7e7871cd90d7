// Resolver paths that never need DNS: literals, service names from /etc/services, the builtin
// "localhost", and the deadline machinery driven by a slow stand-in for getaddrinfo.
#include "sockit/net/resolver.hpp"

#include <gtest/gtest.h>
#include <netdb.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "net/resolver_testing.hpp"
#include "sockit/sys/fd.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

std::atomic<int> g_calls{0};

// Counts calls and answers like the real thing (literal hosts only).
int counting_getaddrinfo(const char* host, const char* service, const addrinfo* hints,
                         addrinfo** result) {
  ++g_calls;
  return ::getaddrinfo(host, service, hints, result);
}

// A resolver that takes 300 ms, then answers 127.0.0.1 (so the worker frees a real list).
int slow_getaddrinfo(const char*, const char* service, const addrinfo* hints, addrinfo** result) {
  ++g_calls;
  std::this_thread::sleep_for(300ms);
  addrinfo numeric = *hints;
  numeric.ai_flags |= AI_NUMERICHOST;
  numeric.ai_family = AF_INET;
  return ::getaddrinfo("127.0.0.1", service, &numeric, result);
}

// Answers with every socket type (stream, datagram, raw): the same address three times.
int all_socktypes_getaddrinfo(const char*, const char* service, const addrinfo* hints,
                              addrinfo** result) {
  ++g_calls;
  addrinfo any_type = *hints;
  any_type.ai_flags |= AI_NUMERICHOST;
  any_type.ai_family = AF_INET;
  any_type.ai_socktype = 0;
  return ::getaddrinfo("127.0.0.1", service, &any_type, result);
}

class ResolverHook : public ::testing::Test {
 protected:
  void SetUp() override { g_calls = 0; }
  void TearDown() override { detail::set_getaddrinfo_for_testing(nullptr); }
};

bool ipv6_loopback_configured() {
  auto addr = Endpoint(IPv6Address::loopback(), 0).to_sockaddr();
  UniqueFd fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  return addr && fd && ::bind(fd.get(), addr->get(), addr->len) == 0;
}

const Endpoint kV4Loop80(IPv4Address::loopback(), 80);

TEST_F(ResolverHook, Ipv4LiteralNeedsNoGetaddrinfo) {
  detail::set_getaddrinfo_for_testing(counting_getaddrinfo);
  auto r = resolve("127.0.0.1", "80");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, std::vector<Endpoint>{kV4Loop80});
  EXPECT_EQ(g_calls.load(), 0);
}

TEST_F(ResolverHook, DuplicateAnswersAreMerged) {
  detail::set_getaddrinfo_for_testing(all_socktypes_getaddrinfo);
  const addrinfo hints{};
  addrinfo* raw = nullptr;
  ASSERT_EQ(all_socktypes_getaddrinfo("x", "80", &hints, &raw), 0);
  int entries = 0;
  for (const addrinfo* ai = raw; ai != nullptr; ai = ai->ai_next)
    ++entries;
  ::freeaddrinfo(raw);
  ASSERT_GT(entries, 1) << "the stand-in should produce duplicates";
  auto r = resolve("dup.example", "80");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, std::vector<Endpoint>{kV4Loop80});
}

TEST_F(ResolverHook, Ipv6LiteralWithAndWithoutBrackets) {
  detail::set_getaddrinfo_for_testing(counting_getaddrinfo);
  const std::vector<Endpoint> want{Endpoint(IPv6Address::loopback(), 8080)};
  EXPECT_EQ(resolve("::1", "8080").value(), want);
  EXPECT_EQ(resolve("[::1]", "8080").value(), want);
  EXPECT_EQ(g_calls.load(), 0);
}

TEST(Resolver, LiteralOfTheWrongFamilyIsEaiAddrfamily) {
  ResolveOptions v6;
  v6.family = FamilyHint::v6;
  auto r = resolve("127.0.0.1", "80", v6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), gai_error(EAI_ADDRFAMILY));
  EXPECT_EQ(r.error().category(), gai_category());
}

TEST(Resolver, ServiceNameComesFromEtcServices) {
  auto r = resolve("127.0.0.1", "http");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, std::vector<Endpoint>{kV4Loop80});
}

TEST(Resolver, UnknownServiceIsEaiService) {
  auto r = resolve("127.0.0.1", "no-such-service-here");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), gai_error(EAI_SERVICE));
}

// glibc's getaddrinfo would wrap 65536 to port 0; sockit refuses it.
TEST(Resolver, PortAbove65535IsInvalidPort) {
  auto literal = resolve("127.0.0.1", "65536");
  ASSERT_FALSE(literal);
  EXPECT_EQ(literal.error(), Errc::invalid_port);
  auto name = resolve("host.example", "65536");
  ASSERT_FALSE(name);
  EXPECT_EQ(name.error(), Errc::invalid_port);
}

TEST(Resolver, EmptyServiceMeansPortZero) {
  EXPECT_EQ(resolve("127.0.0.1", "").value(),
            std::vector<Endpoint>{Endpoint(IPv4Address::loopback(), 0)});
}

TEST_F(ResolverHook, LocalhostIsBuiltinWithIpv6First) {
  detail::set_getaddrinfo_for_testing(counting_getaddrinfo);
  std::vector<Endpoint> want;
  if (ipv6_loopback_configured()) want.emplace_back(IPv6Address::loopback(), 80);
  want.push_back(kV4Loop80);
  EXPECT_EQ(resolve("localhost", "80").value(), want);
  EXPECT_EQ(resolve("LocalHost.", "80").value(), want);
  EXPECT_EQ(resolve("app.localhost", "80").value(), want);
  EXPECT_EQ(g_calls.load(), 0);
}

TEST(Resolver, LocalhostHonoursTheFamilyHint) {
  ResolveOptions v4;
  v4.family = FamilyHint::v4;
  EXPECT_EQ(resolve("localhost", "80", v4).value(), std::vector<Endpoint>{kV4Loop80});
  if (!ipv6_loopback_configured()) GTEST_SKIP() << "::1 is not configured on this machine";
  ResolveOptions v6;
  v6.family = FamilyHint::v6;
  EXPECT_EQ(resolve("localhost", "80", v6).value(),
            std::vector<Endpoint>{Endpoint(IPv6Address::loopback(), 80)});
}

TEST_F(ResolverHook, NotLocalhostGoesToGetaddrinfo) {
  detail::set_getaddrinfo_for_testing(counting_getaddrinfo);
  (void)resolve("mylocalhost", "80");  // "mylocalhost" is not under .localhost
  (void)resolve("localhost", "80", ResolveOptions{.builtin_localhost = false});
  EXPECT_EQ(g_calls.load(), 2);
}

TEST(Resolver, EmptyPassiveHostGivesWildcards) {
  ResolveOptions passive;
  passive.passive = true;
  auto r = resolve("", "8080", passive);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_NE(std::find(r->begin(), r->end(), Endpoint(IPv4Address::any(), 8080)), r->end());
  for (const auto& e : *r) {
    EXPECT_TRUE(e.address() == IpAddress(IPv4Address::any()) ||
                e.address() == IpAddress(IPv6Address::any()))
        << e.to_string();
  }
}

TEST_F(ResolverHook, DeadlineAbandonsASlowLookup) {
  detail::set_getaddrinfo_for_testing(slow_getaddrinfo);
  const int fds_before = count_open_fds().value();
  const auto start = Clock::now();
  auto r = resolve("slow.example", "80", ResolveOptions{.deadline = Deadline::after(50ms)});
  const auto took = Clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::resolve_timed_out);
  EXPECT_TRUE(is_timeout(r.error()));
  EXPECT_GE(took, 50ms);
  EXPECT_LT(took, 250ms);  // returned well before the 300 ms lookup ended
  // The abandoned worker finishes on its own and gives its slot back.
  for (int i = 0; i < 200 && detail::lookup_threads_alive() != 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(detail::lookup_threads_alive(), 0u);
  EXPECT_EQ(count_open_fds().value(), fds_before);
}

TEST_F(ResolverHook, FinishedSlowLookupReturnsItsAnswer) {
  detail::set_getaddrinfo_for_testing(slow_getaddrinfo);
  auto r = resolve("slow.example", "80", ResolveOptions{.deadline = Deadline::after(5s)});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, std::vector<Endpoint>{kV4Loop80});
}

TEST_F(ResolverHook, AbandonedLookupsAreBounded) {
  detail::set_getaddrinfo_for_testing(slow_getaddrinfo);
  std::size_t most_alive = 0;
  constexpr std::size_t kTries = kMaxLookupThreads + 8;
  for (std::size_t i = 0; i < kTries; ++i) {
    auto r = resolve("slow.example", "80", ResolveOptions{.deadline = Deadline::after(5ms)});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::resolve_timed_out);
    most_alive = std::max(most_alive, detail::lookup_threads_alive());
  }
  EXPECT_EQ(most_alive, kMaxLookupThreads);
  for (int i = 0; i < 300 && detail::lookup_threads_alive() != 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(detail::lookup_threads_alive(), 0u);
  // The calls beyond the cap found no free slot and never started a lookup.
  EXPECT_EQ(static_cast<std::size_t>(g_calls.load()), kMaxLookupThreads);
}

TEST_F(ResolverHook, ExpiredDeadlineStartsNoLookup) {
  detail::set_getaddrinfo_for_testing(counting_getaddrinfo);
  auto r = resolve("name.example", "80", ResolveOptions{.deadline = Deadline::after(0ms)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Errc::resolve_timed_out);
  EXPECT_EQ(g_calls.load(), 0);
}

}  // namespace
}  // namespace sockit
