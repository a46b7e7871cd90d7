#include "sockit/net/cidr.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace sockit {
namespace {

struct BadCase {
  std::string_view text;
  Errc code;
  std::string_view why;
};

IPv4Network net4(std::string_view text) {
  auto r = IPv4Network::parse(text);
  EXPECT_TRUE(r.has_value()) << text;
  return r.value_or(IPv4Network{});
}

IPv6Network net6(std::string_view text) {
  auto r = IPv6Network::parse(text);
  EXPECT_TRUE(r.has_value()) << text;
  return r.value_or(IPv6Network{});
}

std::string s(IPv4Address a) {
  return a.to_string();
}
std::string s(const IPv6Address& a) {
  return a.to_string();
}

TEST(IPv4Network, Slash24WithHostBits) {
  const auto n = net4("192.168.1.10/24");
  EXPECT_EQ(s(n.address()), "192.168.1.10");
  EXPECT_TRUE(n.has_host_bits());
  EXPECT_EQ(n.prefix_length(), 24);
  EXPECT_EQ(s(n.network()), "192.168.1.0");
  EXPECT_EQ(s(n.netmask()), "255.255.255.0");
  EXPECT_EQ(s(n.hostmask()), "0.0.0.255");
  EXPECT_EQ(s(n.broadcast()), "192.168.1.255");
  EXPECT_EQ(s(n.first_host()), "192.168.1.1");
  EXPECT_EQ(s(n.last_host()), "192.168.1.254");
  EXPECT_EQ(n.host_count(), 254u);
  EXPECT_EQ(n.address_count(), 256u);
  EXPECT_EQ(n.to_string(), "192.168.1.0/24");
  EXPECT_FALSE(net4("192.168.1.0/24").has_host_bits());
  EXPECT_EQ(n, net4("192.168.1.0/24"));
}

TEST(IPv4Network, EdgePrefixes) {
  const auto all = net4("0.0.0.0/0");
  EXPECT_EQ(s(all.netmask()), "0.0.0.0");
  EXPECT_EQ(s(all.broadcast()), "255.255.255.255");
  EXPECT_EQ(s(all.first_host()), "0.0.0.1");
  EXPECT_EQ(s(all.last_host()), "255.255.255.254");
  EXPECT_EQ(all.host_count(), 4294967294u);
  EXPECT_EQ(all.address_count(), 4294967296u);

  const auto p2p = net4("10.0.0.1/31");  // RFC 3021: both addresses are hosts
  EXPECT_EQ(s(p2p.first_host()), "10.0.0.0");
  EXPECT_EQ(s(p2p.last_host()), "10.0.0.1");
  EXPECT_EQ(p2p.host_count(), 2u);

  const auto one = net4("10.0.0.7/32");
  EXPECT_EQ(s(one.network()), "10.0.0.7");
  EXPECT_EQ(s(one.broadcast()), "10.0.0.7");
  EXPECT_EQ(s(one.first_host()), "10.0.0.7");
  EXPECT_EQ(s(one.last_host()), "10.0.0.7");
  EXPECT_EQ(one.host_count(), 1u);
  EXPECT_EQ(s(one.netmask()), "255.255.255.255");

  const auto p30 = net4("10.0.0.4/30");
  EXPECT_EQ(p30.host_count(), 2u);
  EXPECT_EQ(s(p30.first_host()), "10.0.0.5");
  EXPECT_EQ(s(p30.last_host()), "10.0.0.6");
}

TEST(IPv4Network, MaskForms) {
  EXPECT_EQ(net4("172.16.5.4/255.240.0.0").to_string(), "172.16.0.0/12");
  EXPECT_EQ(net4("1.2.3.4/0.0.0.0").prefix_length(), 0);
  EXPECT_EQ(net4("1.2.3.4/255.255.255.255").prefix_length(), 32);
  auto two = IPv4Network::parse("10.1.2.3", "255.255.0.0");
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->to_string(), "10.1.0.0/16");
  EXPECT_EQ(IPv4Network::parse("10.1.2.3", "8")->to_string(), "10.0.0.0/8");
  EXPECT_EQ(prefix_from_netmask(IPv4Address(0xFFFFF000)).value(), 20);
  EXPECT_EQ(prefix_from_netmask(IPv4Address(0xFF00FF00)).error(),
            make_error_code(Errc::invalid_prefix));
}

TEST(IPv4Network, RejectsWithExactReason) {
  const BadCase cases[] = {
      {"", Errc::invalid_address, "empty address"},
      {"10.0.0.0", Errc::invalid_prefix, "missing '/' and prefix length"},
      {"10.0.0.0/", Errc::invalid_prefix, "missing prefix length after '/'"},
      {"10.0.0.0/33", Errc::invalid_prefix, "prefix length 33 is above 32"},
      {"10.0.0.0/99999999999", Errc::invalid_prefix, "prefix length 99999999999 is above 32"},
      {"10.0.0.0/08", Errc::invalid_prefix, "prefix length has a leading zero (\"08\")"},
      {"10.0.0.0/-1", Errc::invalid_prefix, "unexpected '-' in prefix length"},
      {"10.0.0.0/24 ", Errc::invalid_prefix, "unexpected ' ' in prefix length"},
      {"10.0.0.0/24/8", Errc::invalid_prefix, "unexpected '/' in prefix length"},
      {"10.0.0.256/24", Errc::invalid_address, "octet 4 is 256, above 255"},
      {"10.0.0.0/255.0.255.0", Errc::invalid_prefix, "netmask 255.0.255.0 is not contiguous"},
      {"10.0.0.0/255.255.0", Errc::invalid_prefix, "netmask: expected 4 octets, found 3"},
  };
  for (const auto& c : cases) {
    std::string why;
    auto r = IPv4Network::parse(c.text, &why);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error(), make_error_code(c.code)) << c.text;
    EXPECT_EQ(why, c.why) << c.text;
  }
  EXPECT_EQ(IPv4Network::make(IPv4Address(0), 33).error(), make_error_code(Errc::invalid_prefix));
  EXPECT_EQ(IPv4Network::make(IPv4Address(0), -1).error(), make_error_code(Errc::invalid_prefix));
}

TEST(IPv4Network, Contains) {
  const auto n = net4("10.1.0.0/16");
  EXPECT_TRUE(n.contains(IPv4Address::parse("10.1.0.0").value()));
  EXPECT_TRUE(n.contains(IPv4Address::parse("10.1.255.255").value()));
  EXPECT_FALSE(n.contains(IPv4Address::parse("10.2.0.0").value()));
  EXPECT_FALSE(n.contains(IPv4Address::parse("10.0.255.255").value()));
  EXPECT_TRUE(n.contains(net4("10.1.4.0/24")));
  EXPECT_TRUE(n.contains(n));
  EXPECT_FALSE(n.contains(net4("10.0.0.0/8")));
  EXPECT_FALSE(n.contains(net4("10.2.0.0/24")));
  EXPECT_TRUE(net4("0.0.0.0/0").contains(IPv4Address::broadcast()));
  EXPECT_TRUE(net4("1.2.3.4/32").contains(IPv4Address::parse("1.2.3.4").value()));
  EXPECT_FALSE(net4("1.2.3.4/32").contains(IPv4Address::parse("1.2.3.5").value()));
}

TEST(IPv4Network, Split) {
  auto parts = net4("192.168.0.0/24").split(26, 16);
  ASSERT_TRUE(parts.has_value());
  ASSERT_EQ(parts->size(), 4u);
  EXPECT_EQ((*parts)[0].to_string(), "192.168.0.0/26");
  EXPECT_EQ((*parts)[1].to_string(), "192.168.0.64/26");
  EXPECT_EQ((*parts)[3].to_string(), "192.168.0.192/26");
  EXPECT_EQ(net4("10.0.0.0/8").split(8, 1)->size(), 1u);
  EXPECT_EQ(net4("0.0.0.0/0").split(1, 2)->back().to_string(), "128.0.0.0/1");
  EXPECT_EQ(net4("0.0.0.0/0").split(0, 1)->front().to_string(), "0.0.0.0/0");
  auto hosts = net4("10.0.0.0/30").split(32, 4);
  ASSERT_TRUE(hosts.has_value());
  EXPECT_EQ(hosts->back().to_string(), "10.0.0.3/32");

  std::string why;
  auto big = net4("10.0.0.0/8").split(30, 1000, &why);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error(), make_error_code(Errc::invalid_prefix));
  EXPECT_EQ(why, "splitting /8 into /30 gives 4194304 subnets, more than the limit of 1000");
  auto shorter = net4("10.0.0.0/16").split(8, 1000, &why);
  ASSERT_FALSE(shorter.has_value());
  EXPECT_EQ(why, "new prefix /8 must be between /16 and /32");
  EXPECT_FALSE(net4("10.0.0.0/16").split(33, 1000).has_value());
}

TEST(IPv6Network, Slash64) {
  const auto n = net6("2001:db8::1/64");
  EXPECT_TRUE(n.has_host_bits());
  EXPECT_EQ(s(n.address()), "2001:db8::1");
  EXPECT_EQ(s(n.network()), "2001:db8::");
  EXPECT_EQ(s(n.netmask()), "ffff:ffff:ffff:ffff::");
  EXPECT_EQ(s(n.hostmask()), "::ffff:ffff:ffff:ffff");
  EXPECT_EQ(s(n.first_host()), "2001:db8::1");  // not the Subnet-Router anycast address
  EXPECT_EQ(s(n.last_host()), "2001:db8::ffff:ffff:ffff:ffff");
  EXPECT_EQ(n.address_count_string(), "18446744073709551616");
  EXPECT_FALSE(n.address_count().has_value());
  EXPECT_EQ(n.host_bits(), 64);
  EXPECT_EQ(n.to_string(), "2001:db8::/64");
  EXPECT_EQ(n, net6("2001:db8::/64"));
}

TEST(IPv6Network, EdgePrefixes) {
  const auto all = net6("::/0");
  EXPECT_EQ(all.address_count_string(), "340282366920938463463374607431768211456");
  EXPECT_EQ(s(all.last_host()), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_TRUE(all.contains(IPv6Address::loopback()));

  const auto p127 = net6("2001:db8::1/127");
  EXPECT_EQ(p127.address_count_string(), "2");
  EXPECT_EQ(p127.address_count().value(), 2u);
  EXPECT_EQ(s(p127.first_host()), "2001:db8::");
  EXPECT_EQ(s(p127.last_host()), "2001:db8::1");

  const auto p128 = net6("::1/128");
  EXPECT_EQ(p128.address_count_string(), "1");
  EXPECT_EQ(p128.address_count().value(), 1u);
  EXPECT_EQ(s(p128.first_host()), "::1");
  EXPECT_EQ(s(p128.last_host()), "::1");
  EXPECT_FALSE(p128.has_host_bits());

  EXPECT_EQ(net6("2001:db8::/65").address_count().value(), 9223372036854775808u);
}

// Issue 17 finding 6: the first host of an IPv6 network skips the Subnet-Router anycast
// address (RFC 4291 section 2.6.1), as Python's hosts() does; /127 (RFC 6164) and /128 keep
// every address.
TEST(IPv6Network, FirstHostSkipsSubnetRouterAnycast) {
  EXPECT_EQ(s(net6("2001:db8::/64").first_host()), "2001:db8::1");
  EXPECT_EQ(s(net6("2001:db8::5/126").first_host()), "2001:db8::5");
  EXPECT_EQ(s(net6("2001:db8::5/126").last_host()), "2001:db8::7");
  EXPECT_EQ(s(net6("::/0").first_host()), "::1");
  EXPECT_EQ(s(net6("2001:db8::1/127").first_host()), "2001:db8::");
  EXPECT_EQ(s(net6("2001:db8::1/128").first_host()), "2001:db8::1");
  // The zone as written rides along; nothing is looked up.
  const auto zoned = net6("fe80::1%eth7/64");
  EXPECT_EQ(zoned.to_string(), "fe80::%eth7/64");
  EXPECT_EQ(s(zoned.first_host()), "fe80::1%eth7");
}

TEST(IPv6Network, MaskFormsAndErrors) {
  EXPECT_EQ(IPv6Network::parse("2001:db8::1", "ffff:ffff::")->to_string(), "2001:db8::/32");
  EXPECT_EQ(IPv6Network::parse("2001:db8::1", "48")->to_string(), "2001:db8::/48");
  const BadCase cases[] = {
      {"2001:db8::/129", Errc::invalid_prefix, "prefix length 129 is above 128"},
      {"2001:db8::", Errc::invalid_prefix, "missing '/' and prefix length"},
      {"2001:db8::/", Errc::invalid_prefix, "missing prefix length after '/'"},
      {"2001:db8:::/64", Errc::invalid_address, "more than one '::'"},
      {"2001:db8::/x", Errc::invalid_prefix, "unexpected 'x' in prefix length"},
      {"2001:db8::/ff00::ff", Errc::invalid_prefix, "netmask ff00::ff is not contiguous"},
  };
  for (const auto& c : cases) {
    std::string why;
    auto r = IPv6Network::parse(c.text, &why);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error(), make_error_code(c.code)) << c.text;
    EXPECT_EQ(why, c.why) << c.text;
  }
  EXPECT_EQ(prefix_from_netmask(IPv6Address::parse("ffff:ffff:ffff:ff80::").value()).value(), 57);
}

TEST(IPv6Network, ContainsAndSplit) {
  const auto n = net6("2001:db8::/32");
  EXPECT_TRUE(n.contains(IPv6Address::parse("2001:db8:ffff::1").value()));
  EXPECT_FALSE(n.contains(IPv6Address::parse("2001:db9::1").value()));
  EXPECT_TRUE(n.contains(net6("2001:db8:1::/48")));
  EXPECT_FALSE(n.contains(net6("2001::/16")));

  auto parts = net6("2001:db8::/62").split(64, 8);
  ASSERT_TRUE(parts.has_value());
  ASSERT_EQ(parts->size(), 4u);
  EXPECT_EQ((*parts)[1].to_string(), "2001:db8:0:1::/64");
  EXPECT_EQ((*parts)[3].to_string(), "2001:db8:0:3::/64");
  auto whole = net6("::/0").split(0, 1);  // step would be 2^128: must not be computed
  ASSERT_TRUE(whole.has_value());
  ASSERT_EQ(whole->size(), 1u);
  EXPECT_EQ(whole->front().to_string(), "::/0");
  auto last = net6("::/127").split(128, 2);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->back().to_string(), "::1/128");

  std::string why;
  auto huge = net6("::/0").split(128, 1'000'000, &why);
  ASSERT_FALSE(huge.has_value());
  EXPECT_EQ(huge.error(), make_error_code(Errc::invalid_prefix));
  EXPECT_EQ(why,
            "splitting /0 into /128 gives 340282366920938463463374607431768211456 subnets, more "
            "than the limit of 1000000");
}

TEST(IpNetwork, EitherFamily) {
  auto v4 = IpNetwork::parse("10.0.0.0/8");
  ASSERT_TRUE(v4.has_value());
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->prefix_length(), 8);
  EXPECT_TRUE(v4->contains(IpAddress::parse("10.9.9.9").value()));
  EXPECT_FALSE(v4->contains(IpAddress::parse("::ffff:10.9.9.9").value()));
  auto v6 = IpNetwork::parse("fe80::/10");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->to_string(), "fe80::/10");
  EXPECT_TRUE(v6->contains(IpAddress::parse("fe80::1").value()));
  EXPECT_FALSE(v6->contains(IpAddress::parse("10.0.0.1").value()));
}

}  // namespace
}  // namespace sockit
