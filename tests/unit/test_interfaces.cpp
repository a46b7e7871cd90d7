#include "sockit/net/interfaces.hpp"

#include <gtest/gtest.h>
#include <net/if.h>

#include <algorithm>
#include <bit>
#include <string>
#include <string_view>

namespace sockit {
namespace {

// ---- getifaddrs ------------------------------------------------------------------------------

const Interface* find(const std::vector<Interface>& all, std::string_view name) {
  for (const auto& itf : all) {
    if (itf.name == name) return &itf;
  }
  return nullptr;
}

TEST(Interfaces, LoopbackIsListedWithItsAddressAndFlags) {
  auto all = list_interfaces();
  ASSERT_TRUE(all.has_value()) << all.error().message();
  const Interface* lo = find(*all, "lo");
  ASSERT_NE(lo, nullptr);
  EXPECT_EQ(lo->index, ::if_nametoindex("lo"));
  EXPECT_TRUE(lo->flags.up);
  EXPECT_TRUE(lo->flags.loopback);
  EXPECT_FALSE(lo->flags.broadcast);
  EXPECT_FALSE(lo->mac.has_value());  // lo's link address is all zeros
  const auto v4 = std::find_if(lo->addresses.begin(), lo->addresses.end(), [](const auto& a) {
    return a.address == IpAddress(IPv4Address::loopback());
  });
  ASSERT_NE(v4, lo->addresses.end());
  EXPECT_EQ(v4->prefix_length, 8);
  EXPECT_EQ(v4->network().to_string(), "127.0.0.0/8");
}

TEST(Interfaces, SortedByIndexWithDistinctNames) {
  auto all = list_interfaces();
  ASSERT_TRUE(all.has_value());
  ASSERT_FALSE(all->empty());
  for (std::size_t i = 1; i < all->size(); ++i) {
    EXPECT_LT((*all)[i - 1].index, (*all)[i].index);
    EXPECT_NE((*all)[i - 1].name, (*all)[i].name);
  }
}

TEST(Interfaces, FormatHelpers) {
  EXPECT_EQ(format_mac({0x02, 0x42, 0xac, 0x11, 0x00, 0x02}), "02:42:ac:11:00:02");
  InterfaceFlags f;
  EXPECT_EQ(flags_to_string(f), "");
  f.up = f.loopback = f.running = true;
  EXPECT_EQ(flags_to_string(f), "up running loopback");
  f = InterfaceFlags{true, true, false, true, true, true};
  EXPECT_EQ(flags_to_string(f), "up running multicast broadcast point-to-point");
}

// ---- /proc/net/route ---------------------------------------------------------------------------

// Canned text as a little-endian kernel prints it (192.0.2.1 is the word 0x010200C0).
constexpr std::string_view kRoute =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
    "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";

bool little_endian() {
  return std::endian::native == std::endian::little;
}

TEST(DefaultRouteV4, FindsTheDefaultEntry) {
  if (!little_endian()) GTEST_SKIP() << "canned text is from a little-endian kernel";
  const auto gw = parse_ipv4_default_route(kRoute);
  ASSERT_TRUE(gw.has_value());
  EXPECT_EQ(gw->gateway.to_string(), "192.0.2.1");
  EXPECT_EQ(gw->interface, "eth0");
  EXPECT_EQ(gw->metric, 0u);
}

TEST(DefaultRouteV4, LowestMetricWins) {
  if (!little_endian()) GTEST_SKIP() << "canned text is from a little-endian kernel";
  const std::string text =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n"
      "eth1\t00000000\tFE01000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
      "eth2\t00000000\t0102000A\t0003\t0\t0\t50\t00000000\t0\t0\t0\n";
  const auto gw = parse_ipv4_default_route(text);
  ASSERT_TRUE(gw.has_value());
  EXPECT_EQ(gw->interface, "eth2");
  EXPECT_EQ(gw->gateway.to_string(), "10.0.2.1");
  EXPECT_EQ(gw->metric, 50u);
}

TEST(DefaultRouteV4, SkipsRoutesThatAreDownOrRejected) {
  const std::string text =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
      "eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\n"   // not RTF_UP
      "eth1\t00000000\t010200C0\t0203\t0\t0\t0\t00000000\n";  // RTF_REJECT
  EXPECT_FALSE(parse_ipv4_default_route(text).has_value());
}

TEST(DefaultRouteV4, NoDefaultOrGarbageGivesNothing) {
  EXPECT_FALSE(parse_ipv4_default_route("").has_value());
  EXPECT_FALSE(
      parse_ipv4_default_route("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
                               "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n")
          .has_value());
  EXPECT_FALSE(parse_ipv4_default_route("eth0 0000000 010200C0 0003 0 0 0 00000000\n"
                                        "eth0 00000000 0102zzC0 0003 0 0 0 00000000\n"
                                        "eth0 00000000 010200C0 0003 0 0 -1 00000000\n"
                                        "eth0 00000000\n"
                                        "\n\n\t")
                   .has_value());
  EXPECT_FALSE(parse_ipv4_default_route(std::string_view("\0\0\0", 3)).has_value());
}

TEST(DefaultRouteV4, RealFileReadsWithoutError) {
  auto gw = default_gateway_v4();
  ASSERT_TRUE(gw.has_value()) << gw.error().message();
  if (gw->has_value()) {
    // The route's device must be one getifaddrs reports.
    auto all = list_interfaces();
    ASSERT_TRUE(all.has_value());
    EXPECT_NE(find(*all, (*gw)->interface), nullptr) << (*gw)->interface;
  }
}

// ---- /proc/net/ipv6_route ----------------------------------------------------------------------

constexpr std::string_view kRoute6 =
    "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0\n"
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
    "fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n"
    "00000000000000000000000000000001 80 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 00000000 00000003 00000000 80200001       lo\n"
    "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
    "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";

TEST(DefaultRouteV6, FindsTheDefaultEntryAndSkipsTheRejectRoute) {
  const auto gw = parse_ipv6_default_route(kRoute6);
  ASSERT_TRUE(gw.has_value());
  EXPECT_EQ(gw->gateway.to_string(), "fd00::1");
  EXPECT_EQ(gw->interface, "eth0");
  EXPECT_EQ(gw->metric, 1024u);
}

TEST(DefaultRouteV6, LowestMetricWins) {
  const std::string text =
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "fe800000000000000000000000000001 00000400 00000001 00000000 00000003 wlan0\n"
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "fe800000000000000000000000000002 00000064 00000001 00000000 00000003 eth0\n";
  const auto gw = parse_ipv6_default_route(text);
  ASSERT_TRUE(gw.has_value());
  EXPECT_EQ(gw->gateway.to_string(), "fe80::2");  // no zone from the pure parser
  EXPECT_EQ(gw->interface, "eth0");
  EXPECT_EQ(gw->metric, 100u);
}

TEST(DefaultRouteV6, OnlyRejectRouteMeansNoDefault) {
  const std::string text =
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
  EXPECT_FALSE(parse_ipv6_default_route(text).has_value());
  EXPECT_FALSE(parse_ipv6_default_route("").has_value());
  EXPECT_FALSE(
      parse_ipv6_default_route("0000 00 0000 00 0000 00000400 0 0 00000003 eth0\n").has_value());
}

TEST(DefaultRouteV6, RealFileReadsWithoutError) {
  auto gw = default_gateway_v6();
  ASSERT_TRUE(gw.has_value()) << gw.error().message();
  if (gw->has_value()) {
    // The route's device must be one getifaddrs reports.
    auto all = list_interfaces();
    ASSERT_TRUE(all.has_value());
    EXPECT_NE(find(*all, (*gw)->interface), nullptr) << (*gw)->interface;
  }
}

}  // namespace
}  // namespace sockit
