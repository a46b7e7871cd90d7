// Strict text parsing and formatting for IPv4/IPv6 addresses, plus classification.
// Parsers take string_view only and index within its size: they must survive fuzzing.
#include "sockit/address.hpp"

#include <net/if.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sockit {
namespace {

void set_why(std::string* why, std::string text) {
  if (why != nullptr) *why = std::move(text);
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 'x' for printable characters, otherwise the byte in hex, so a reason never carries control
// characters into a terminal.
std::string quote_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string{'\'', c, '\''};
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string{"byte 0x"} + kHex[u >> 4] + kHex[u & 0xf];
}

std::string ordinal_octet(int n) {
  return "octet " + std::to_string(n);
}

// One dot-decimal octet starting at text[pos]; advances pos past its digits.
bool parse_octet(std::string_view text, std::size_t& pos, int n, std::uint32_t& out,
                 std::string* why) {
  const std::size_t start = pos;
  while (pos < text.size() && is_digit(text[pos]))
    ++pos;
  const std::string_view digits = text.substr(start, pos - start);
  if (digits.empty()) {
    if (pos >= text.size() || text[pos] == '.') {
      set_why(why, ordinal_octet(n) + " is empty");
    } else {
      set_why(why, "unexpected " + quote_char(text[pos]) + " in " + ordinal_octet(n));
    }
    return false;
  }
  if (digits.size() > 1 && digits.front() == '0') {
    set_why(why, ordinal_octet(n) + " has a leading zero (\"" + std::string(digits) + "\")");
    return false;
  }
  std::uint32_t value = 0;
  for (const char c : digits) {
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
    if (value > 255) break;  // stop before a long digit run can overflow
  }
  if (value > 255) {
    set_why(why, ordinal_octet(n) + " is " + std::string(digits) + ", above 255");
    return false;
  }
  out = value;
  return true;
}

std::size_t count_char(std::string_view text, char c) noexcept {
  std::size_t n = 0;
  for (const char x : text)
    n += x == c ? 1 : 0;
  return n;
}

}  // namespace

// ---- IPv4 ------------------------------------------------------------------------------------

Result<IPv4Address> IPv4Address::parse(std::string_view text, std::string* why) {
  if (text.empty()) {
    set_why(why, "empty address");
    return fail(Errc::invalid_address);
  }
  std::uint32_t value = 0;
  std::size_t pos = 0;
  for (int n = 1; n <= 4; ++n) {
    std::uint32_t octet = 0;
    if (!parse_octet(text, pos, n, octet, why)) return fail(Errc::invalid_address);
    value = (value << 8) | octet;
    if (n == 4) break;
    if (pos >= text.size()) {
      set_why(why, "expected 4 octets, found " + std::to_string(n));
      return fail(Errc::invalid_address);
    }
    if (text[pos] != '.') {
      set_why(why, "unexpected " + quote_char(text[pos]) + " after " + ordinal_octet(n));
      return fail(Errc::invalid_address);
    }
    ++pos;
  }
  if (pos < text.size()) {
    if (text[pos] == '.') {
      set_why(why, "expected 4 octets, found " + std::to_string(count_char(text, '.') + 1));
    } else {
      set_why(why, "unexpected " + quote_char(text[pos]) + " after octet 4");
    }
    return fail(Errc::invalid_address);
  }
  return IPv4Address(value);
}

std::string IPv4Address::to_string() const {
  std::string out;
  out.reserve(15);
  const auto b = bytes();
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != 0) out.push_back('.');
    const unsigned v = b[i];
    if (v >= 100) out.push_back(static_cast<char>('0' + v / 100));
    if (v >= 10) out.push_back(static_cast<char>('0' + v / 10 % 10));
    out.push_back(static_cast<char>('0' + v % 10));
  }
  return out;
}

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

// ---- IPv6 ------------------------------------------------------------------------------------

namespace {

constexpr std::size_t kMaxZoneName = IF_NAMESIZE - 1;

// The zone after '%': a decimal interface index, or an interface name that must exist.
bool parse_zone(std::string_view zone, std::uint32_t& out, std::string* why) {
  if (zone.empty()) {
    set_why(why, "empty zone id after '%'");
    return false;
  }
  bool numeric = true;
  for (const char c : zone)
    numeric = numeric && is_digit(c);
  if (numeric) {
    std::uint64_t value = 0;
    for (const char c : zone) {
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
      if (value > UINT32_MAX) {
        set_why(why, "zone index " + std::string(zone) + " is too large");
        return false;
      }
    }
    out = static_cast<std::uint32_t>(value);
    return true;
  }
  for (const char c : zone) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '/' || c == '%') {
      set_why(why, "unexpected " + quote_char(c) + " in zone id");
      return false;
    }
  }
  if (zone.size() > kMaxZoneName) {
    set_why(why, "zone id \"" + std::string(zone) + "\" is longer than an interface name can be");
    return false;
  }
  const std::string name(zone);
  const unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0) {
    set_why(why, "unknown interface \"" + name + "\" in zone id");
    return false;
  }
  out = index;
  return true;
}

std::string group_name(std::size_t n) {
  return "group " + std::to_string(n + 1);
}

// The address part (no zone) into 8 groups; "::" marks where the missing zero groups go.
bool parse_groups(std::string_view text, IPv6Address::Bytes& out, std::string* why) {
  std::uint16_t groups[8] = {};
  std::size_t n = 0;
  int gap = -1;
  std::size_t pos = 0;
  if (text.size() >= 2 && text[0] == ':' && text[1] == ':') {
    gap = 0;
    pos = 2;
  } else if (!text.empty() && text[0] == ':') {
    set_why(why, "address starts with a single ':'");
    return false;
  }
  while (pos < text.size()) {
    if (n == 8) {
      set_why(why, "more than 8 groups");
      return false;
    }
    const std::size_t start = pos;
    while (pos < text.size() && hex_value(text[pos]) >= 0)
      ++pos;
    if (pos < text.size() && text[pos] == '.') {
      if (n > 6) {
        set_why(why, "no room for an embedded IPv4 address after " + std::to_string(n) + " groups");
        return false;
      }
      std::string v4_why;
      auto v4 = IPv4Address::parse(text.substr(start), &v4_why);
      if (!v4) {
        set_why(why, "embedded IPv4 address: " + v4_why);
        return false;
      }
      groups[n++] = static_cast<std::uint16_t>(v4->to_uint() >> 16);
      groups[n++] = static_cast<std::uint16_t>(v4->to_uint() & 0xffff);
      pos = text.size();
      break;
    }
    const std::size_t digits = pos - start;
    if (digits == 0) {
      if (pos >= text.size()) {
        set_why(why, "address ends with a single ':'");
      } else if (text[pos] == ':') {
        set_why(why, "more than one '::'");
      } else {
        set_why(why, "unexpected " + quote_char(text[pos]) + " in " + group_name(n));
      }
      return false;
    }
    if (digits > 4) {
      set_why(why, group_name(n) + " has more than 4 hex digits (\"" +
                       std::string(text.substr(start, digits)) + "\")");
      return false;
    }
    std::uint16_t value = 0;
    for (std::size_t i = start; i < pos; ++i) {
      value = static_cast<std::uint16_t>((value << 4) | hex_value(text[i]));
    }
    groups[n++] = value;
    if (pos >= text.size()) break;
    if (text[pos] != ':') {
      set_why(why, "unexpected " + quote_char(text[pos]) + " after " + group_name(n - 1));
      return false;
    }
    ++pos;
    if (pos < text.size() && text[pos] == ':') {
      if (gap >= 0) {
        set_why(why, "more than one '::'");
        return false;
      }
      gap = static_cast<int>(n);
      ++pos;
    } else if (pos >= text.size()) {
      set_why(why, "address ends with a single ':'");
      return false;
    }
  }
  if (gap < 0 && n != 8) {
    set_why(why, "expected 8 groups, found " + std::to_string(n));
    return false;
  }
  if (gap >= 0 && n == 8) {
    set_why(why, "'::' stands for no group: the address already has 8 groups");
    return false;
  }
  // Place groups before the gap at the front, the rest at the back, zeros in between.
  std::uint16_t full[8] = {};
  const std::size_t head = gap < 0 ? n : static_cast<std::size_t>(gap);
  for (std::size_t i = 0; i < head; ++i)
    full[i] = groups[i];
  for (std::size_t i = head; i < n; ++i)
    full[8 - (n - i)] = groups[i];
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<std::uint8_t>(full[i] >> 8);
    out[2 * i + 1] = static_cast<std::uint8_t>(full[i] & 0xff);
  }
  return true;
}

void append_hex_group(std::string& out, unsigned value) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned d = (value >> shift) & 0xf;
    if (d != 0 || started || shift == 0) {
      out.push_back(kHex[d]);
      started = true;
    }
  }
}

}  // namespace

Result<IPv6Address> IPv6Address::parse(std::string_view text, std::string* why) {
  if (text.empty()) {
    set_why(why, "empty address");
    return fail(Errc::invalid_address);
  }
  const auto pct = text.find('%');
  const std::string_view addr = text.substr(0, pct);
  if (addr.empty()) {
    set_why(why, "empty address before the zone id");
    return fail(Errc::invalid_address);
  }
  Bytes bytes{};
  if (!parse_groups(addr, bytes, why)) return fail(Errc::invalid_address);
  std::uint32_t scope = 0;
  if (pct != std::string_view::npos && !parse_zone(text.substr(pct + 1), scope, why)) {
    return fail(Errc::invalid_address);
  }
  return IPv6Address(bytes, scope);
}

std::string IPv6Address::to_string() const {
  std::uint16_t g[8];
  for (std::size_t i = 0; i < 8; ++i) {
    g[i] = static_cast<std::uint16_t>((bytes_[2 * i] << 8) | bytes_[2 * i + 1]);
  }
  // RFC 5952 4.2: compress the longest run (>= 2) of zero groups, the first on a tie.
  std::size_t best_start = 8, best_len = 0;
  for (std::size_t i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && g[j] == 0)
      ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best_start = 8;
  std::string out;
  out.reserve(48);
  // RFC 5952 5: IPv4-mapped addresses keep their dotted quad.
  const std::size_t hex_groups = is_v4_mapped() ? 6 : 8;
  for (std::size_t i = 0; i < hex_groups; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out.push_back(':');
    append_hex_group(out, g[i]);
  }
  if (hex_groups == 6) {
    if (out.back() != ':') out.push_back(':');
    out += to_v4()->to_string();
  }
  if (scope_id_ != 0) {
    out.push_back('%');
    char name[IF_NAMESIZE] = {};
    if (::if_indextoname(scope_id_, name) != nullptr) {
      out += name;
    } else {
      out += std::to_string(scope_id_);
    }
  }
  return out;
}

// ---- either family ---------------------------------------------------------------------------

Result<IpAddress> IpAddress::parse(std::string_view text, std::string* why) {
  if (text.find(':') == std::string_view::npos) {
    auto v4 = IPv4Address::parse(text, why);
    if (!v4) return fail(v4.error());
    return IpAddress(*v4);
  }
  auto v6 = IPv6Address::parse(text, why);
  if (!v6) return fail(v6.error());
  return IpAddress(*v6);
}

std::string IpAddress::to_string() const {
  return is_v4() ? v4().to_string() : v6().to_string();
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
