// Views of addresses for people (hex, binary) and classification by special-purpose range.
#include <cstdint>
#include <string>
#include <string_view>

#include "sockit/net/address.hpp"

namespace sockit {

std::string to_hex(IPv4Address a) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "0x";
  for (int shift = 28; shift >= 0; shift -= 4)
    out.push_back(kHex[(a.to_uint() >> shift) & 0xf]);
  return out;
}

std::string to_binary(IPv4Address a) {
  std::string out;
  out.reserve(35);
  for (int bit = 31; bit >= 0; --bit) {
    out.push_back(((a.to_uint() >> bit) & 1U) != 0 ? '1' : '0');
    if (bit % 8 == 0 && bit != 0) out.push_back('.');
  }
  return out;
}

// ---- classification --------------------------------------------------------------------------

namespace {

constexpr bool in_v4(std::uint32_t a, std::uint32_t net, int prefix) noexcept {
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (a & mask) == net;
}

}  // namespace

AddressClass classify(IPv4Address addr) noexcept {
  const std::uint32_t a = addr.to_uint();
  if (a == 0) return AddressClass::unspecified;
  if (in_v4(a, 0x00000000, 8)) return AddressClass::this_network;
  if (in_v4(a, 0x7f000000, 8)) return AddressClass::loopback;
  if (in_v4(a, 0x0a000000, 8) || in_v4(a, 0xac100000, 12) || in_v4(a, 0xc0a80000, 16)) {
    return AddressClass::private_use;
  }
  if (in_v4(a, 0x64400000, 10)) return AddressClass::shared;
  if (in_v4(a, 0xa9fe0000, 16)) return AddressClass::link_local;
  if (in_v4(a, 0xe0000000, 4)) return AddressClass::multicast;
  if (a == 0xffffffff) return AddressClass::broadcast;
  if (in_v4(a, 0xc0000200, 24) || in_v4(a, 0xc6336400, 24) || in_v4(a, 0xcb007100, 24)) {
    return AddressClass::documentation;
  }
  if (in_v4(a, 0xc6120000, 15)) return AddressClass::benchmarking;
  if (in_v4(a, 0xf0000000, 4) || in_v4(a, 0xc0000000, 24)) return AddressClass::reserved;
  return AddressClass::global;
}

AddressClass classify(const IPv6Address& addr) noexcept {
  const auto& b = addr.bytes();
  if (addr.bytes() == IPv6Address::any().bytes()) return AddressClass::unspecified;
  if (addr.bytes() == IPv6Address::loopback().bytes()) return AddressClass::loopback;
  if (addr.is_v4_mapped()) return AddressClass::v4_mapped;
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::unique_local;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::link_local;
  if (b[0] == 0xff) return AddressClass::multicast;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) {
    return AddressClass::documentation;
  }
  return AddressClass::global;
}

AddressClass classify(const IpAddress& a) noexcept {
  return a.is_v4() ? classify(a.v4()) : classify(a.v6());
}

std::string_view address_class_name(AddressClass c) noexcept {
  switch (c) {
    case AddressClass::unspecified:
      return "unspecified";
    case AddressClass::this_network:
      return "this network";
    case AddressClass::loopback:
      return "loopback";
    case AddressClass::private_use:
      return "private";
    case AddressClass::shared:
      return "shared (CGNAT)";
    case AddressClass::link_local:
      return "link-local";
    case AddressClass::multicast:
      return "multicast";
    case AddressClass::broadcast:
      return "broadcast";
    case AddressClass::documentation:
      return "documentation";
    case AddressClass::benchmarking:
      return "benchmarking";
    case AddressClass::reserved:
      return "reserved";
    case AddressClass::unique_local:
      return "unique local";
    case AddressClass::v4_mapped:
      return "IPv4-mapped";
    case AddressClass::global:
      return "global";
  }
  return "unknown";
}

char legacy_class(IPv4Address a) noexcept {
  const unsigned first = a.bytes()[0];
  if (first < 128) return 'A';
  if (first < 192) return 'B';
  if (first < 224) return 'C';
  if (first < 240) return 'D';
  return 'E';
}

}  // namespace sockit
