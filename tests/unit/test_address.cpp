#include "sockit/net/address.hpp"
#include "sockit/net/cidr.hpp"

#include <gtest/gtest.h>
#include <net/if.h>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace sockit {
namespace {

struct BadCase {
  std::string_view text;
  std::string_view why;
};

// ---- IPv4 ------------------------------------------------------------------------------------

TEST(IPv4Parse, AcceptsDotDecimal) {
  auto a = IPv4Address::parse("192.168.1.10");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->to_uint(), 0xC0A8010Au);
  EXPECT_EQ(IPv4Address::parse("0.0.0.0")->to_uint(), 0u);
  EXPECT_EQ(IPv4Address::parse("255.255.255.255")->to_uint(), 0xFFFFFFFFu);
  EXPECT_EQ(IPv4Address::parse("10.0.100.9")->to_uint(), 0x0A006409u);
}

TEST(IPv4Parse, RejectsMalformedWithExactReason) {
  const BadCase cases[] = {
      {"", "empty address"},
      {"192.168.1.300", "octet 4 is 300, above 255"},
      {"256.1.1.1", "octet 1 is 256, above 255"},
      {"1.2.3.99999999999999999999", "octet 4 is 99999999999999999999, above 255"},
      {"01.2.3.4", "octet 1 has a leading zero (\"01\")"},
      {"1.2.3.00", "octet 4 has a leading zero (\"00\")"},
      {"1.2.3", "expected 4 octets, found 3"},
      {"1", "expected 4 octets, found 1"},
      {"1.2.3.4.5", "expected 4 octets, found 5"},
      {"1.2.3.4x", "unexpected 'x' after octet 4"},
      {"1.2x.3.4", "unexpected 'x' after octet 2"},
      {"1..2.3", "octet 2 is empty"},
      {"1.2.3.", "octet 4 is empty"},
      {".1.2.3", "octet 1 is empty"},
      {" 1.2.3.4", "unexpected ' ' in octet 1"},
      {"1.2.3.4 ", "unexpected ' ' after octet 4"},
      {"+1.2.3.4", "unexpected '+' in octet 1"},
      {"1.-2.3.4", "unexpected '-' in octet 2"},
      {std::string_view("1.2.3.4\0", 8), "unexpected byte 0x00 after octet 4"},
      {"1.2.3.4:80", "unexpected ':' after octet 4"},
  };
  for (const auto& c : cases) {
    std::string why;
    auto r = IPv4Address::parse(c.text, &why);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error(), make_error_code(Errc::invalid_address)) << c.text;
    EXPECT_EQ(why, c.why) << c.text;
  }
}

TEST(IPv4Parse, WhyIsOptional) {
  EXPECT_EQ(IPv4Address::parse("1.2.3").error(), make_error_code(Errc::invalid_address));
}

TEST(IPv4Format, RoundTripsAndViews) {
  for (std::string_view text :
       {"0.0.0.0", "1.2.3.4", "10.20.30.40", "192.168.1.10", "255.255.255.255", "100.64.0.1"}) {
    EXPECT_EQ(IPv4Address::parse(text)->to_string(), text);
  }
  const auto a = IPv4Address::from_bytes({192, 168, 1, 10});
  EXPECT_EQ(a.to_uint(), 0xC0A8010Au);
  EXPECT_EQ(a.bytes(), (std::array<std::uint8_t, 4>{192, 168, 1, 10}));
  EXPECT_EQ(to_hex(a), "0xC0A8010A");
  EXPECT_EQ(to_binary(a), "11000000.10101000.00000001.00001010");
  EXPECT_EQ(to_hex(IPv4Address(0)), "0x00000000");
  EXPECT_EQ(to_binary(IPv4Address::broadcast()), "11111111.11111111.11111111.11111111");
}

// ---- IPv6 ------------------------------------------------------------------------------------

IPv6Address v6(std::string_view text) {
  auto r = IPv6Address::parse(text);
  EXPECT_TRUE(r.has_value()) << text;
  return r.value_or(IPv6Address{});
}

TEST(IPv6Parse, FormsAndCanonicalOutput) {
  struct Case {
    std::string_view in, out;
  };
  const Case cases[] = {
      {"::", "::"},
      {"::1", "::1"},
      {"1::", "1::"},
      {"2001:DB8::A", "2001:db8::a"},
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // first of equal runs
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // a single zero group stays
      {"1:0:0:1:0:0:0:1", "1:0:0:1::1"},                 // the longer run wins
      {"fe80::1:2", "fe80::1:2"},
      {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
      {"::ffff:c000:0201", "::ffff:192.0.2.1"},
      {"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
      {"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(v6(c.in).to_string(), c.out) << c.in;
}

TEST(IPv6Parse, Bytes) {
  const auto a = v6("2001:db8::ff00:42:8329");
  const IPv6Address::Bytes expected{0x20, 0x01, 0x0d, 0xb8, 0, 0,    0,    0,
                                    0,    0,    0xff, 0x00, 0, 0x42, 0x83, 0x29};
  EXPECT_EQ(a.bytes(), expected);
  EXPECT_EQ(v6("::1"), IPv6Address::loopback());
  EXPECT_EQ(v6("::"), IPv6Address::any());
}

TEST(IPv6Parse, RejectsMalformedWithExactReason) {
  const BadCase cases[] = {
      {"", "empty address"},
      {":", "address starts with a single ':'"},
      {":1::", "address starts with a single ':'"},
      {"1:", "address ends with a single ':'"},
      {"1:2:3:4:5:6:7:", "address ends with a single ':'"},
      {":::", "more than one '::'"},
      {"1::2::3", "more than one '::'"},
      {"1:2:3:4:5:6:7", "expected 8 groups, found 7"},
      {"1:2:3:4:5:6:7:8:9", "more than 8 groups"},
      {"1:2:3:4::5:6:7:8", "'::' stands for no group: the address already has 8 groups"},
      {"12345::", "group 1 has more than 4 hex digits (\"12345\")"},
      {"1:g::", "unexpected 'g' in group 2"},
      {"1:2x::", "unexpected 'x' after group 2"},
      {"::1 ", "unexpected ' ' after group 1"},
      {"::ffff:1.2.3.256", "embedded IPv4 address: octet 4 is 256, above 255"},
      {"::1.2.3", "embedded IPv4 address: expected 4 octets, found 3"},
      {"1:2:3:4:5:6:7:1.2.3.4", "no room for an embedded IPv4 address after 7 groups"},
      {"fe80::1%", "empty zone id after '%'"},
      {"%lo", "empty address before the zone id"},
      {"fe80::1%abcdefghijklmnop",
       "zone id \"abcdefghijklmnop\" is longer than an interface name can be"},
      {"fe80::1%4294967296", "zone index 4294967296 is too large"},
      {"fe80::1%l o", "unexpected ' ' in zone id"},
  };
  for (const auto& c : cases) {
    std::string why;
    auto r = IPv6Address::parse(c.text, &why);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error(), make_error_code(Errc::invalid_address)) << c.text;
    EXPECT_EQ(why, c.why) << c.text;
  }
}

TEST(IPv6Parse, ZoneByNameAndNumber) {
  const unsigned lo = ::if_nametoindex("lo");
  ASSERT_NE(lo, 0u);
  const auto by_name = v6("fe80::1%lo");
  EXPECT_EQ(by_name.zone(), "lo");
  EXPECT_EQ(by_name.scope_id(), 0u);  // a name is looked up only when needed
  EXPECT_EQ(by_name.resolve_scope_id().value(), lo);
  EXPECT_EQ(by_name.to_string(), "fe80::1%lo");
  const auto by_number = v6("fe80::1%" + std::to_string(lo));
  EXPECT_EQ(by_number.scope_id(), lo);
  EXPECT_EQ(by_number.resolve_scope_id().value(), lo);
  EXPECT_NE(by_number, by_name);  // written differently: kept apart
  // An index that names no interface still prints, as a number.
  EXPECT_EQ(v6("fe80::1%4000000000").to_string(), "fe80::1%4000000000");
  // A name no interface has parses; resolving it is where it fails.
  const auto unknown = v6("fe80::1%no-such-if0");
  EXPECT_EQ(unknown.resolve_scope_id().error(), std::errc::no_such_device);
  // Kernel-made addresses carry an index only and print the interface's name.
  EXPECT_EQ(IPv6Address(by_name.bytes(), lo).to_string(), "fe80::1%lo");
  EXPECT_EQ(IPv6Address(by_name.bytes(), lo).zone(), "");
}

// Issue 17 finding 7: any syntactically valid zone is accepted and printed as typed; nothing is
// looked up while parsing.
TEST(IPv6Parse, ZoneIsKeptAsTyped) {
  for (std::string_view text : {"fe80::1%eth7", "fe80::1%99", "fe80::1%1", "fe80::1%0",
                                "fe80::1%lo", "fe80::1%no-such-if0", "fe80::1%01"}) {
    std::string why;
    auto a = IPv6Address::parse(text, &why);
    ASSERT_TRUE(a.has_value()) << text << ": " << why;
    EXPECT_EQ(a->to_string(), text);
  }
}

TEST(IPv6Address, V4Mapped) {
  const auto m = IPv6Address::v4_mapped(IPv4Address::from_bytes({10, 1, 2, 3}));
  EXPECT_TRUE(m.is_v4_mapped());
  EXPECT_EQ(m.to_string(), "::ffff:10.1.2.3");
  ASSERT_TRUE(m.to_v4().has_value());
  EXPECT_EQ(m.to_v4()->to_string(), "10.1.2.3");
  EXPECT_FALSE(IPv6Address::loopback().to_v4().has_value());
}

// ---- either family ---------------------------------------------------------------------------

TEST(IpAddressParse, PicksFamilyByColon) {
  auto a = IpAddress::parse("127.0.0.1");
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->v4(), IPv4Address::loopback());
  auto b = IpAddress::parse("::1");
  ASSERT_TRUE(b.has_value());
  EXPECT_TRUE(b->is_v6());
  EXPECT_EQ(b->to_string(), "::1");
  std::string why;
  EXPECT_EQ(IpAddress::parse("1.2.3:4", &why).error(), make_error_code(Errc::invalid_address));
  EXPECT_EQ(why, "embedded IPv4 address: unexpected ':' after octet 3");
  EXPECT_EQ(IpAddress::parse("1.2.3", &why).error(), make_error_code(Errc::invalid_address));
  EXPECT_EQ(why, "expected 4 octets, found 3");
}

// ---- classification --------------------------------------------------------------------------

TEST(Classify, OneAddressPerClass) {
  struct Case {
    std::string_view text;
    AddressClass cls;
    std::string_view name;
  };
  const Case cases[] = {
      {"0.0.0.0", AddressClass::unspecified, "unspecified"},
      {"0.1.2.3", AddressClass::this_network, "this network"},
      {"127.0.0.53", AddressClass::loopback, "loopback"},
      {"10.1.2.3", AddressClass::private_use, "private"},
      {"172.16.0.1", AddressClass::private_use, "private"},
      {"172.31.255.255", AddressClass::private_use, "private"},
      {"172.32.0.1", AddressClass::global, "global"},
      {"192.168.1.1", AddressClass::private_use, "private"},
      {"100.64.0.1", AddressClass::shared, "shared (CGNAT)"},
      {"100.128.0.1", AddressClass::global, "global"},
      {"169.254.1.1", AddressClass::link_local, "link-local"},
      {"224.0.0.251", AddressClass::multicast, "multicast"},
      {"239.255.255.250", AddressClass::multicast, "multicast"},
      {"255.255.255.255", AddressClass::broadcast, "broadcast"},
      {"192.0.2.1", AddressClass::documentation, "documentation"},
      {"198.51.100.7", AddressClass::documentation, "documentation"},
      {"203.0.113.9", AddressClass::documentation, "documentation"},
      {"198.18.0.1", AddressClass::benchmarking, "benchmarking"},
      {"198.19.255.255", AddressClass::benchmarking, "benchmarking"},
      {"240.0.0.1", AddressClass::reserved, "reserved"},
      {"192.0.0.8", AddressClass::special_purpose, "special-purpose"},
      {"8.8.8.8", AddressClass::global, "global"},
      {"::", AddressClass::unspecified, "unspecified"},
      {"::1", AddressClass::loopback, "loopback"},
      {"fd12:3456::1", AddressClass::unique_local, "unique local"},
      {"fc00::1", AddressClass::unique_local, "unique local"},
      {"fe80::1", AddressClass::link_local, "link-local"},
      {"febf::1", AddressClass::link_local, "link-local"},
      {"fec0::1", AddressClass::reserved, "reserved"},
      {"ff02::1", AddressClass::multicast, "multicast"},
      {"::ffff:10.0.0.1", AddressClass::v4_mapped, "IPv4-mapped"},
      {"2001:db8::1", AddressClass::documentation, "documentation"},
      {"2606:4700::1111", AddressClass::global, "global"},
  };
  for (const auto& c : cases) {
    auto a = IpAddress::parse(c.text);
    ASSERT_TRUE(a.has_value()) << c.text;
    EXPECT_EQ(classify(*a), c.cls) << c.text;
    EXPECT_EQ(address_class_name(classify(*a)), c.name) << c.text;
  }
}

// Issue 17 finding 3: the class follows the most specific row of the IANA special-purpose
// registries (IPv4 and IPv6), and IPv6 space outside 2000::/3 with no row is not global.
TEST(Classify, FollowsIanaRegistriesMostSpecificRowWins) {
  struct Case {
    std::string_view text;
    std::string_view name;
  };
  const Case cases[] = {
      // IPv6 rows that used to come back "global".
      {"3fff::1", "documentation"},         // 3fff::/20, RFC 9637
      {"2001:2::1", "benchmarking"},        // 2001:2::/48, RFC 5180
      {"100::1", "special-purpose"},        // 100::/64 discard-only, RFC 6666
      {"64:ff9b:1::1", "special-purpose"},  // 64:ff9b:1::/48 local-use translation, RFC 8215
      {"2001::1", "special-purpose"},       // 2001::/32 Teredo (inside 2001::/23)
      {"5f00::1", "special-purpose"},       // 5f00::/16 SRv6 SIDs, RFC 9602
      {"100:0:0:1::1", "special-purpose"},  // 100:0:0:1::/64 dummy prefix, RFC 9780
      {"2001:1ff::1", "reserved"},          // 2001::/23 with no more specific row
      // Unallocated IPv6 space: only 2000::/3 is global unicast.
      {"4000::1", "reserved"},
      {"::2", "reserved"},
      {"fec0::1", "reserved"},
      {"e000::1", "reserved"},
      // Globally reachable rows inside special blocks.
      {"2001:1::1", "global"},         // PCP anycast, RFC 7723 (inside 2001::/23)
      {"2001:1::2", "global"},         // TURN anycast, RFC 8155
      {"2001:1::3", "global"},         // DNS-SD SRP anycast, RFC 9665
      {"2001:1::4", "reserved"},       // no row of its own: 2001::/23 applies
      {"2001:3::1", "global"},         // AMT
      {"2001:4:112::1", "global"},     // AS112-v6
      {"2001:20::1", "global"},        // ORCHIDv2
      {"2001:30::1", "global"},        // DETs
      {"64:ff9b::808:808", "global"},  // well-known translation prefix
      {"2620:4f:8000::1", "global"},   // direct delegation AS112
      {"2002::1", "special-purpose"},  // 6to4: globally reachable N/A
      // IPv4.
      {"192.0.0.9", "global"},   // PCP anycast, RFC 7723
      {"192.0.0.10", "global"},  // TURN anycast, RFC 8155
      {"192.0.0.8", "special-purpose"},
      {"192.0.0.1", "special-purpose"},  // 192.0.0.0/29 service continuity, RFC 7335
      {"192.0.0.11", "reserved"},        // 192.0.0.0/24 with no more specific row
      {"192.0.0.170", "special-purpose"},
      {"192.0.0.171", "special-purpose"},
      {"192.88.99.2", "special-purpose"},  // 6a44 relay anycast, RFC 6751
      {"192.88.99.1", "reserved"},         // deprecated 6to4 relay anycast block
      {"192.31.196.1", "global"},          // AS112-v4
      {"192.52.193.1", "global"},          // AMT
      {"192.175.48.1", "global"},          // direct delegation AS112
      {"0.0.0.0", "unspecified"},
      {"0.255.255.255", "this network"},
  };
  for (const auto& c : cases) {
    auto a = IpAddress::parse(c.text);
    ASSERT_TRUE(a.has_value()) << c.text;
    EXPECT_EQ(address_class_name(classify(*a)), c.name) << c.text;
  }
}

// Every row of both registries is matched by its own blocks (a typo in a block would leave a
// row unmatched), and the row answers with its own class. Rows nest more specific rows at the
// bottom (0.0.0.0/32 in 0.0.0.0/8) or the top (255.255.255.255/32 in 240.0.0.0/4) of a block,
// never both: one of the two ends reaches the row itself.
TEST(SpecialPurposeRegistry, EveryRowMatchesItsOwnBlocks) {
  EXPECT_EQ(special_purpose_registry(Family::v4).size(), 25u);
  EXPECT_EQ(special_purpose_registry(Family::v6).size(), 25u);
  for (const Family f : {Family::v4, Family::v6}) {
    for (const auto& row : special_purpose_registry(f)) {
      std::string_view rest = row.block;
      while (!rest.empty()) {
        const auto comma = rest.find(", ");
        const std::string_view one = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 2);
        auto n = IpNetwork::parse(one);
        ASSERT_TRUE(n.has_value()) << row.block;
        const IpAddress first =
            n->is_v4() ? IpAddress(n->v4().network()) : IpAddress(n->v6().network());
        const IpAddress last =
            n->is_v4() ? IpAddress(n->v4().broadcast()) : IpAddress(n->v6().last_host());
        const IpAddress probe = special_purpose_entry(last) == &row ? last : first;
        const auto* found = special_purpose_entry(probe);
        ASSERT_NE(found, nullptr) << row.block;
        EXPECT_EQ(found->block, row.block);
        EXPECT_EQ(classify(probe), row.address_class) << row.block;
      }
      EXPECT_EQ(row.allocated.size(), 7u) << row.block;
      EXPECT_TRUE(row.rfc.starts_with("RFC ")) << row.block;
    }
  }
}

TEST(SpecialPurposeRegistry, ColumnsOfChosenRows) {
  const auto* pcp = special_purpose_entry(IpAddress::parse("192.0.0.9").value());
  ASSERT_NE(pcp, nullptr);
  EXPECT_EQ(pcp->block, "192.0.0.9/32");
  EXPECT_EQ(pcp->rfc, "RFC 7723");
  EXPECT_EQ(pcp->globally_reachable, std::optional<bool>(true));
  EXPECT_EQ(pcp->reserved_by_protocol, std::optional<bool>(false));

  const auto* teredo = special_purpose_entry(IpAddress::parse("2001::1").value());
  ASSERT_NE(teredo, nullptr);
  EXPECT_EQ(teredo->block, "2001::/32");
  EXPECT_FALSE(teredo->globally_reachable.has_value());  // N/A in the registry

  // Most specific wins: 2001:1::1/128 inside 2001::/23; 192.88.99.2/32 inside a terminated row.
  EXPECT_EQ(special_purpose_entry(IpAddress::parse("2001:1::1").value())->block, "2001:1::1/128");
  EXPECT_EQ(special_purpose_entry(IpAddress::parse("2001:1::9").value())->block, "2001::/23");
  EXPECT_EQ(special_purpose_entry(IpAddress::parse("192.88.99.2").value())->block,
            "192.88.99.2/32");
  const auto* relay = special_purpose_entry(IpAddress::parse("192.88.99.1").value());
  ASSERT_NE(relay, nullptr);
  EXPECT_EQ(relay->terminated, "2015-03");
  EXPECT_FALSE(relay->source.has_value());

  EXPECT_EQ(special_purpose_entry(IpAddress::parse("8.8.8.8").value()), nullptr);
  EXPECT_EQ(special_purpose_entry(IpAddress::parse("ff02::1").value()), nullptr);
  // A zone does not change the row.
  EXPECT_EQ(special_purpose_entry(IpAddress::parse("fe80::1%eth7").value())->block, "fe80::/10");
  EXPECT_EQ(kSpecialPurposeRegistryDate, "2025-04");
}

TEST(Classify, LegacyLetters) {
  auto letter = [](std::string_view t) { return legacy_class(IPv4Address::parse(t).value()); };
  EXPECT_EQ(letter("0.0.0.0"), 'A');
  EXPECT_EQ(letter("127.255.255.255"), 'A');
  EXPECT_EQ(letter("128.0.0.0"), 'B');
  EXPECT_EQ(letter("191.255.0.1"), 'B');
  EXPECT_EQ(letter("192.0.0.0"), 'C');
  EXPECT_EQ(letter("223.1.1.1"), 'C');
  EXPECT_EQ(letter("224.0.0.1"), 'D');
  EXPECT_EQ(letter("239.0.0.1"), 'D');
  EXPECT_EQ(letter("240.0.0.1"), 'E');
  EXPECT_EQ(letter("255.255.255.255"), 'E');
}

}  // namespace
}  // namespace sockit
