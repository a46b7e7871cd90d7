// The IANA special-purpose address registries (IPv4 and IPv6) as tables, and classify() on top
// of them. Rows follow the registries as of kSpecialPurposeRegistryDate, every column, in
// registry order; the wording of names and references is ours. A row's blocks are written once
// as text and parsed on first use, so the text shown to users is the text matched.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "sockit/net/address.hpp"
#include "sockit/net/cidr.hpp"

namespace sockit {
namespace {

using C = AddressClass;
constexpr std::optional<bool> kYes = true;
constexpr std::optional<bool> kNo = false;
constexpr std::optional<bool> kNa = std::nullopt;  // "N/A" or a terminated row: no value

// clang-format off
// block, name, reference, allocated, terminated, source, destination, forwardable,
// globally reachable, reserved-by-protocol, class.
constexpr SpecialPurposeEntry kIPv4[] = {
  {"0.0.0.0/8", "This network", "RFC 791 section 3.2", "1981-09", "", kYes, kNo, kNo, kNo, kYes, C::this_network},
  {"0.0.0.0/32", "This host on this network", "RFC 1122 section 3.2.1.3", "1981-09", "", kYes, kNo, kNo, kNo, kYes, C::unspecified},
  {"10.0.0.0/8", "Private-Use", "RFC 1918", "1996-02", "", kYes, kYes, kYes, kNo, kNo, C::private_use},
  {"100.64.0.0/10", "Shared Address Space", "RFC 6598", "2012-04", "", kYes, kYes, kYes, kNo, kNo, C::shared},
  // Loopback: the registry notes that some protocols have exceptions (RFC 8029, RFC 5884).
  {"127.0.0.0/8", "Loopback", "RFC 1122 section 3.2.1.3", "1981-09", "", kNo, kNo, kNo, kNo, kYes, C::loopback},
  {"169.254.0.0/16", "Link Local", "RFC 3927", "2005-05", "", kYes, kYes, kNo, kNo, kYes, C::link_local},
  {"172.16.0.0/12", "Private-Use", "RFC 1918", "1996-02", "", kYes, kYes, kYes, kNo, kNo, C::private_use},
  // Usable only through a more specific row.
  {"192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890 section 2.1", "2010-01", "", kNo, kNo, kNo, kNo, kNo, C::reserved},
  {"192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335", "2011-06", "", kYes, kYes, kYes, kNo, kNo, C::special_purpose},
  {"192.0.0.8/32", "IPv4 dummy address", "RFC 7600", "2015-03", "", kYes, kNo, kNo, kNo, kNo, C::special_purpose},
  {"192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723", "2015-10", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155", "2017-02", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"192.0.0.170/32, 192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 section 2.2", "2013-02", "", kNo, kNo, kNo, kNo, kYes, C::special_purpose},
  {"192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737", "2010-01", "", kNo, kNo, kNo, kNo, kNo, C::documentation},
  {"192.31.196.0/24", "AS112-v4", "RFC 7535", "2014-12", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"192.52.193.0/24", "AMT", "RFC 7450", "2014-12", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526", "2001-06", "2015-03", kNa, kNa, kNa, kNa, kNa, C::reserved},
  {"192.88.99.2/32", "6a44-relay anycast address", "RFC 6751", "2012-10", "", kYes, kYes, kYes, kNo, kNo, C::special_purpose},
  {"192.168.0.0/16", "Private-Use", "RFC 1918", "1996-02", "", kYes, kYes, kYes, kNo, kNo, C::private_use},
  {"192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534", "1996-01", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"198.18.0.0/15", "Benchmarking", "RFC 2544", "1999-03", "", kYes, kYes, kYes, kNo, kNo, C::benchmarking},
  {"198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737", "2010-01", "", kNo, kNo, kNo, kNo, kNo, C::documentation},
  {"203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737", "2010-01", "", kNo, kNo, kNo, kNo, kNo, C::documentation},
  {"240.0.0.0/4", "Reserved", "RFC 1112 section 4", "1989-08", "", kNo, kNo, kNo, kNo, kYes, C::reserved},
  {"255.255.255.255/32", "Limited Broadcast", "RFC 8190, RFC 919 section 7", "1984-10", "", kNo, kYes, kNo, kNo, kYes, C::broadcast},
};

constexpr SpecialPurposeEntry kIPv6[] = {
  {"::1/128", "Loopback Address", "RFC 4291", "2006-02", "", kNo, kNo, kNo, kNo, kYes, C::loopback},
  {"::/128", "Unspecified Address", "RFC 4291", "2006-02", "", kYes, kNo, kNo, kNo, kYes, C::unspecified},
  {"::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291", "2006-02", "", kNo, kNo, kNo, kNo, kYes, C::v4_mapped},
  {"64:ff9b::/96", "IPv4-IPv6 Translation", "RFC 6052", "2010-10", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"64:ff9b:1::/48", "IPv4-IPv6 Translation", "RFC 8215", "2017-06", "", kYes, kYes, kYes, kNo, kNo, C::special_purpose},
  {"100::/64", "Discard-Only Address Block", "RFC 6666", "2012-06", "", kYes, kYes, kYes, kNo, kNo, C::special_purpose},
  {"100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780", "2025-04", "", kYes, kNo, kNo, kNo, kNo, C::special_purpose},
  // Not usable unless a more specific row allows it.
  {"2001::/23", "IETF Protocol Assignments", "RFC 2928", "2000-09", "", kNo, kNo, kNo, kNo, kNo, C::reserved},
  // Globally reachable: N/A, see RFC 4380 section 5.
  {"2001::/32", "TEREDO", "RFC 4380, RFC 8190", "2006-01", "", kYes, kYes, kYes, kNa, kNo, C::special_purpose},
  {"2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723", "2015-10", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155", "2017-02", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665", "2024-04", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"2001:2::/48", "Benchmarking", "RFC 5180, RFC Errata 1752", "2008-04", "", kYes, kYes, kYes, kNo, kNo, C::benchmarking},
  {"2001:3::/32", "AMT", "RFC 7450", "2014-12", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"2001:4:112::/48", "AS112-v6", "RFC 7535", "2014-12", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843", "2007-03", "2014-03", kNa, kNa, kNa, kNa, kNa, C::reserved},
  {"2001:20::/28", "ORCHIDv2", "RFC 7343", "2014-07", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374", "2022-12", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"2001:db8::/32", "Documentation", "RFC 3849", "2004-07", "", kNo, kNo, kNo, kNo, kNo, C::documentation},
  // Globally reachable: N/A, see RFC 3056.
  {"2002::/16", "6to4", "RFC 3056", "2001-02", "", kYes, kYes, kYes, kNa, kNo, C::special_purpose},
  {"2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534", "2011-05", "", kYes, kYes, kYes, kYes, kNo, C::global},
  {"3fff::/20", "Documentation", "RFC 9637", "2024-07", "", kNo, kNo, kNo, kNo, kNo, C::documentation},
  {"5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602", "2024-04", "", kYes, kYes, kYes, kNo, kNo, C::special_purpose},
  // Drawn from global unicast space but not globally routed (RFC 4193).
  {"fc00::/7", "Unique-Local", "RFC 4193, RFC 8190", "2005-10", "", kYes, kYes, kYes, kNo, kNo, C::unique_local},
  {"fe80::/10", "Link-Local Unicast", "RFC 4291", "2006-02", "", kYes, kYes, kNo, kNo, kYes, C::link_local},
};
// clang-format on

// One parsed block of a row. 2 x 25 rows, one of them with two blocks.
template <class Network>
struct Matchers {
  struct One {
    Network network;
    const SpecialPurposeEntry* entry = nullptr;
  };
  std::array<One, 32> items{};
  std::size_t count = 0;
};

// Parses "a/n" or "a/n, b/m" of every row. A block that failed to parse would be a typo in the
// table above; test_address checks that every row's blocks are matched.
template <class Network>
Matchers<Network> build(std::span<const SpecialPurposeEntry> rows) noexcept {
  Matchers<Network> out;
  for (const auto& row : rows) {
    std::string_view rest = row.block;
    while (!rest.empty() && out.count < out.items.size()) {
      const auto comma = rest.find(", ");
      const std::string_view one = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 2);
      if (auto n = Network::parse(one)) out.items[out.count++] = {*n, &row};
    }
  }
  return out;
}

template <class Network, class Address>
const SpecialPurposeEntry* most_specific(const Matchers<Network>& m, const Address& a) noexcept {
  const SpecialPurposeEntry* best = nullptr;
  int best_prefix = -1;
  for (std::size_t i = 0; i < m.count; ++i) {
    const auto& one = m.items[i];
    if (one.network.prefix_length() > best_prefix && one.network.contains(a)) {
      best = one.entry;
      best_prefix = one.network.prefix_length();
    }
  }
  return best;
}

const SpecialPurposeEntry* entry_v4(IPv4Address a) noexcept {
  static const auto matchers = build<IPv4Network>(kIPv4);
  return most_specific(matchers, a);
}

const SpecialPurposeEntry* entry_v6(const IPv6Address& a) noexcept {
  static const auto matchers = build<IPv6Network>(kIPv6);
  return most_specific(matchers, a);
}

}  // namespace

std::span<const SpecialPurposeEntry> special_purpose_registry(Family family) noexcept {
  if (family == Family::v4) return kIPv4;
  return kIPv6;
}

const SpecialPurposeEntry* special_purpose_entry(const IpAddress& a) noexcept {
  return a.is_v4() ? entry_v4(a.v4()) : entry_v6(a.v6());
}

AddressClass classify(IPv4Address a) noexcept {
  if (const auto* row = entry_v4(a)) return row->address_class;
  // Multicast has its own registry (RFC 5771); it has no special-purpose row.
  if ((a.to_uint() >> 28) == 0xe) return AddressClass::multicast;
  return AddressClass::global;
}

AddressClass classify(const IPv6Address& a) noexcept {
  if (const auto* row = entry_v6(a)) return row->address_class;
  const auto first = a.bytes()[0];
  if (first == 0xff) return AddressClass::multicast;  // ff00::/8, RFC 4291
  // Only 2000::/3 is allocated as global unicast; the rest of the space without a row is
  // reserved by the IETF (IPv6 address space registry), fec0::/10 included (RFC 3879).
  if ((first & 0xe0) == 0x20) return AddressClass::global;
  return AddressClass::reserved;
}

AddressClass classify(const IpAddress& a) noexcept {
  return a.is_v4() ? classify(a.v4()) : classify(a.v6());
}

}  // namespace sockit
