// Views of addresses for people (hex, binary), class names and the legacy class letter.
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

// ---- classification (the registry tables and classify() are in address_registry.cpp) -------

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
    case AddressClass::special_purpose:
      return "special-purpose";
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
