// Strict text parsing and formatting for IPv4/IPv6 addresses (views and classification are in
// address_class.cpp).
// Parsers take string_view only and index within its size: they must survive fuzzing.
#include "sockit/net/address.hpp"

#include <net/if.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/text_detail.hpp"

namespace sockit {
namespace {

using detail::hex_value;
using detail::is_digit;
using detail::quote_char;
using detail::set_why;

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

// ---- IPv6 ------------------------------------------------------------------------------------

namespace {

// The zone after '%', checked for syntax only: a decimal interface index that fits 32 bits, or
// something that could be an interface name. Looking the name up is left to the moment a
// socket address is built, so text parses the same on every machine.
bool parse_zone(std::string_view zone, std::uint32_t& index, std::string* why) {
  if (zone.empty()) {
    set_why(why, "empty zone id after '%'");
    return false;
  }
  for (const char c : zone) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '/' || c == '%') {
      set_why(why, "unexpected " + quote_char(c) + " in zone id");
      return false;
    }
  }
  if (zone.size() > IPv6Address::kMaxZoneLength) {
    set_why(why, "zone id \"" + std::string(zone) + "\" is longer than an interface name can be");
    return false;
  }
  bool numeric = true;
  for (const char c : zone)
    numeric = numeric && is_digit(c);
  index = 0;
  if (!numeric) return true;
  std::uint64_t value = 0;
  for (const char c : zone) {
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    if (value > UINT32_MAX) {
      set_why(why, "zone index " + std::string(zone) + " is too large");
      return false;
    }
  }
  index = static_cast<std::uint32_t>(value);
  return true;
}

bool all_digits(std::string_view text) noexcept {
  for (const char c : text) {
    if (!is_digit(c)) return false;
  }
  return !text.empty();
}

// Groups as written, before "::" is expanded.
struct Groups {
  std::uint16_t value[8] = {};
  std::size_t count = 0;
  int gap = -1;  // how many groups precede "::", or -1 without one
};

// A dotted quad ending the address ("::ffff:1.2.3.4") fills the last two groups.
bool read_v4_tail(std::string_view tail, Groups& g, std::string* why) {
  if (g.count > 6) {
    set_why(why,
            "no room for an embedded IPv4 address after " + std::to_string(g.count) + " groups");
    return false;
  }
  std::string v4_why;
  auto v4 = IPv4Address::parse(tail, &v4_why);
  if (!v4) {
    set_why(why, "embedded IPv4 address: " + v4_why);
    return false;
  }
  g.value[g.count++] = static_cast<std::uint16_t>(v4->to_uint() >> 16);
  g.value[g.count++] = static_cast<std::uint16_t>(v4->to_uint() & 0xffff);
  return true;
}

// The hex digits text[start, end) as the next group.
bool store_group(std::string_view text, std::size_t start, std::size_t end, Groups& g,
                 std::string* why) {
  const std::string name = "group " + std::to_string(g.count + 1);
  if (start == end) {
    if (end >= text.size()) {
      set_why(why, "address ends with a single ':'");
    } else if (text[end] == ':') {
      set_why(why, "more than one '::'");
    } else {
      set_why(why, "unexpected " + quote_char(text[end]) + " in " + name);
    }
    return false;
  }
  if (end - start > 4) {
    set_why(why, name + " has more than 4 hex digits (\"" +
                     std::string(text.substr(start, end - start)) + "\")");
    return false;
  }
  std::uint16_t value = 0;
  for (std::size_t i = start; i < end; ++i) {
    value = static_cast<std::uint16_t>((value << 4) | hex_value(text[i]));
  }
  g.value[g.count++] = value;
  return true;
}

// After a group, at text[pos]: ":" before the next group, or "::". Advances pos.
bool read_separator(std::string_view text, std::size_t& pos, Groups& g, std::string* why) {
  if (text[pos] != ':') {
    set_why(why, "unexpected " + quote_char(text[pos]) + " after group " + std::to_string(g.count));
    return false;
  }
  ++pos;
  if (pos < text.size() && text[pos] == ':') {
    if (g.gap >= 0) {
      set_why(why, "more than one '::'");
      return false;
    }
    g.gap = static_cast<int>(g.count);
    ++pos;
  } else if (pos >= text.size()) {
    set_why(why, "address ends with a single ':'");
    return false;
  }
  return true;
}

// The address part (no zone) as groups and the position of "::".
bool read_groups(std::string_view text, Groups& g, std::string* why) {
  std::size_t pos = 0;
  if (text.starts_with("::")) {
    g.gap = 0;
    pos = 2;
  } else if (text.starts_with(':')) {
    set_why(why, "address starts with a single ':'");
    return false;
  }
  while (pos < text.size()) {
    if (g.count == 8) {
      set_why(why, "more than 8 groups");
      return false;
    }
    const std::size_t start = pos;
    while (pos < text.size() && hex_value(text[pos]) >= 0)
      ++pos;
    if (pos < text.size() && text[pos] == '.') return read_v4_tail(text.substr(start), g, why);
    if (!store_group(text, start, pos, g, why)) return false;
    if (pos < text.size() && !read_separator(text, pos, g, why)) return false;
  }
  return true;
}

// Expands "::" into the missing zero groups.
bool expand_groups(const Groups& g, IPv6Address::Bytes& out, std::string* why) {
  if (g.gap < 0 && g.count != 8) {
    set_why(why, "expected 8 groups, found " + std::to_string(g.count));
    return false;
  }
  if (g.gap >= 0 && g.count == 8) {
    set_why(why, "'::' stands for no group: the address already has 8 groups");
    return false;
  }
  std::uint16_t full[8] = {};
  const std::size_t head = g.gap < 0 ? g.count : static_cast<std::size_t>(g.gap);
  for (std::size_t i = 0; i < head; ++i)
    full[i] = g.value[i];
  for (std::size_t i = head; i < g.count; ++i)
    full[8 - (g.count - i)] = g.value[i];
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
  Groups groups;
  Bytes bytes{};
  if (!read_groups(addr, groups, why) || !expand_groups(groups, bytes, why)) {
    return fail(Errc::invalid_address);
  }
  IPv6Address out(bytes);
  if (pct != std::string_view::npos) {
    const std::string_view zone = text.substr(pct + 1);
    if (!parse_zone(zone, out.scope_id_, why)) return fail(Errc::invalid_address);
    for (std::size_t i = 0; i < zone.size(); ++i)
      out.zone_[i] = zone[i];
  }
  return out;
}

Result<std::uint32_t> IPv6Address::resolve_scope_id() const {
  const std::string_view written = zone();
  if (written.empty() || all_digits(written)) return scope_id_;
  const std::string name(written);
  const unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0) {
    // ENODEV is what the kernel answers for a missing interface; anything else (no socket
    // for the lookup) is passed on as it came.
    const int err = errno;
    return fail(sys_error(err == 0 ? ENODEV : err));
  }
  return static_cast<std::uint32_t>(index);
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
  if (!zone().empty()) {
    out.push_back('%');
    out += zone();
  } else if (scope_id_ != 0) {
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

}  // namespace sockit
