// The system resolver as this machine really answers (no network: DNS names do not resolve).
//
// What this machine returns for "www.abc.invalid" (RFC 6761: .invalid never resolves):
// getaddrinfo fails with EAI_NONAME (-2), "Name or service not known", within milliseconds.
#include "sockit/net/resolver.hpp"

#include <gtest/gtest.h>
#include <netdb.h>

#include <chrono>
#include <thread>
#include <vector>

#include "net/resolver_testing.hpp"
#include "sockit/stream/tcp.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

void expect_no_such_name(const Result<std::vector<Endpoint>>& r) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().category(), gai_category());
  EXPECT_EQ(r.error().value(), EAI_NONAME);
  EXPECT_EQ(r.error().message(), "Name or service not known");
  EXPECT_TRUE(is_dns_error(r.error()));
}

TEST(SystemResolver, InvalidNameIsEaiNonameOnTheCallingThread) {
  expect_no_such_name(resolve("www.abc.invalid", "80"));
}

TEST(SystemResolver, InvalidNameIsEaiNonameOnAWorkerWithADeadline) {
  expect_no_such_name(resolve("www.abc.invalid", "80", {.deadline = Deadline::after(10s)}));
  for (int i = 0; i < 100 && detail::lookup_threads_alive() != 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(detail::lookup_threads_alive(), 0u);
}

TEST(SystemResolver, ExplainGivesTheOsTextAndTheLikelyCause) {
  auto r = resolve("www.abc.invalid", "80");
  ASSERT_FALSE(r);
  EXPECT_EQ(explain(r.error(), "cannot connect to www.abc.invalid port 80"),
            "cannot connect to www.abc.invalid port 80: Name or service not known (the name "
            "does not exist in DNS)");
}

TEST(SystemResolver, ConnectByAnInvalidNameReturnsTheResolverError) {
  std::vector<ConnectAttempt> attempts;
  auto s =
      TcpStream::connect("www.abc.invalid", "80",
                         {.deadline = Deadline::after(10s),
                          .observer = [&](const ConnectAttempt& a) { attempts.push_back(a); }});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), gai_error(EAI_NONAME));
  EXPECT_TRUE(attempts.empty());
}

TEST(SystemResolver, LocalhostFromEtcHostsWhenTheBuiltinIsOff) {
  auto r = resolve("localhost", "80", {.family = FamilyHint::v4, .builtin_localhost = false});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, std::vector<Endpoint>{Endpoint(IPv4Address::loopback(), 80)});
}

TEST(SystemResolver, ReverseLookupOfLoopbackIsLocalhost) {
  auto name = reverse_lookup(IPv4Address::loopback(), Deadline::after(10s));
  ASSERT_TRUE(name) << name.error().message();
  EXPECT_EQ(*name, "localhost");
  auto same = reverse_lookup(IPv4Address::loopback());  // on the calling thread
  ASSERT_TRUE(same) << same.error().message();
  EXPECT_EQ(*same, "localhost");
}

}  // namespace
}  // namespace sockit
