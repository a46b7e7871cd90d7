// CIDR arithmetic. IPv6 math runs on unsigned __int128 internally; nothing 128-bit leaks into
// the public API (counts come out as decimal text or an optional 64-bit number).
#include "sockit/net/cidr.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include "net/text_detail.hpp"

namespace sockit {
namespace {

using detail::quote_char;
using detail::set_why;

__extension__ typedef unsigned __int128 U128;

// 2^n in decimal, for any n a count can need (0..128).
std::string pow2_decimal(int n) {
  std::string digits = "1";  // least significant digit first
  for (int i = 0; i < n; ++i) {
    int carry = 0;
    for (char& d : digits) {
      const int v = (d - '0') * 2 + carry;
      d = static_cast<char>('0' + v % 10);
      carry = v / 10;
    }
    if (carry != 0) digits.push_back(static_cast<char>('0' + carry));
  }
  return {digits.rbegin(), digits.rend()};
}

bool parse_prefix_text(std::string_view t, int max, int& out, std::string* why) {
  if (t.empty()) {
    set_why(why, "missing prefix length after '/'");
    return false;
  }
  int value = 0;
  for (const char c : t) {
    if (c < '0' || c > '9') {
      set_why(why, "unexpected " + quote_char(c) + " in prefix length");
      return false;
    }
    if (value <= max) value = value * 10 + (c - '0');
  }
  if (t.size() > 1 && t.front() == '0') {
    set_why(why, "prefix length has a leading zero (\"" + std::string(t) + "\")");
    return false;
  }
  if (value > max) {
    set_why(why, "prefix length " + std::string(t) + " is above " + std::to_string(max));
    return false;
  }
  out = value;
  return true;
}

std::uint32_t mask32(int prefix) noexcept {
  return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
}

U128 mask128(int prefix) noexcept {
  return prefix == 0 ? 0 : ~U128{0} << (128 - prefix);
}

U128 to_u128(const IPv6Address::Bytes& b) noexcept {
  U128 v = 0;
  for (const auto byte : b)
    v = (v << 8) | byte;
  return v;
}

IPv6Address::Bytes u128_bytes(U128 v) noexcept {
  IPv6Address::Bytes b{};
  for (std::size_t i = 16; i-- > 0;) {
    b[i] = static_cast<std::uint8_t>(v & 0xff);
    v >>= 8;
  }
  return b;
}

IPv6Address from_u128(U128 v) noexcept {
  return IPv6Address(u128_bytes(v));
}

// The value `v` with the zone of `zone_of`, as written or as an index.
IPv6Address from_u128(U128 v, const IPv6Address& zone_of) noexcept {
  return zone_of.with_bytes(u128_bytes(v));
}

std::string too_many(int from, int to, std::size_t max_count) {
  return "splitting /" + std::to_string(from) + " into /" + std::to_string(to) + " gives " +
         pow2_decimal(to - from) + " subnets, more than the limit of " + std::to_string(max_count);
}

// Shared checks for split(): returns the subnet count, or nullopt with `why` set.
std::optional<std::size_t> split_count(int prefix, int new_prefix, int max_prefix,
                                       std::size_t max_count, std::string* why) {
  if (new_prefix < prefix || new_prefix > max_prefix) {
    set_why(why, "new prefix /" + std::to_string(new_prefix) + " must be between /" +
                     std::to_string(prefix) + " and /" + std::to_string(max_prefix));
    return std::nullopt;
  }
  const int diff = new_prefix - prefix;
  if (diff >= 64 || (std::uint64_t{1} << diff) > max_count) {
    set_why(why, too_many(prefix, new_prefix, max_count));
    return std::nullopt;
  }
  return static_cast<std::size_t>(std::uint64_t{1} << diff);
}

}  // namespace

// ---- masks -----------------------------------------------------------------------------------

Result<int> prefix_from_netmask(IPv4Address mask) {
  const std::uint32_t m = mask.to_uint();
  const std::uint32_t inverted = ~m;
  // Contiguous ones then zeros <=> the inverted mask is 2^k - 1.
  if ((inverted & (inverted + 1)) != 0) return fail(Errc::invalid_prefix);
  int prefix = 0;
  for (std::uint32_t v = m; v != 0; v <<= 1)
    ++prefix;
  return prefix;
}

Result<int> prefix_from_netmask(const IPv6Address& mask) {
  const U128 inverted = ~to_u128(mask.bytes());
  if ((inverted & (inverted + 1)) != 0) return fail(Errc::invalid_prefix);
  int prefix = 0;
  for (U128 v = ~inverted; v != 0; v <<= 1)
    ++prefix;
  return prefix;
}

namespace {

// The two parse() forms both families share. A netmask is told from a prefix length by the
// family's separator (`mask_mark`: '.' or ':'), which a prefix length never holds.
template <class Network, class Address>
Result<Network> parse_network(std::string_view address, std::string_view mask, char mask_mark,
                              int max_prefix, std::string* why) {
  auto addr = Address::parse(address, why);
  if (!addr) return fail(addr.error());
  int prefix = 0;
  if (mask.find(mask_mark) != std::string_view::npos) {
    std::string mask_why;
    auto m = Address::parse(mask, &mask_why);
    if (!m) {
      set_why(why, "netmask: " + mask_why);
      return fail(Errc::invalid_prefix);
    }
    auto p = prefix_from_netmask(*m);
    if (!p) {
      set_why(why, "netmask " + m->to_string() + " is not contiguous");
      return fail(Errc::invalid_prefix);
    }
    prefix = *p;
  } else if (!parse_prefix_text(mask, max_prefix, prefix, why)) {
    return fail(Errc::invalid_prefix);
  }
  return Network::make(*addr, prefix);  // cannot fail: 0 <= prefix <= max_prefix
}

template <class Network, class Address>
Result<Network> parse_network(std::string_view text, std::string* why) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    auto addr = Address::parse(text, why);
    if (!addr) return fail(addr.error());
    set_why(why, "missing '/' and prefix length");
    return fail(Errc::invalid_prefix);
  }
  return Network::parse(text.substr(0, slash), text.substr(slash + 1), why);
}

}  // namespace

// ---- IPv4 ------------------------------------------------------------------------------------

Result<IPv4Network> IPv4Network::make(IPv4Address address, int prefix) {
  if (prefix < 0 || prefix > 32) return fail(Errc::invalid_prefix);
  return IPv4Network(address, prefix);
}

Result<IPv4Network> IPv4Network::parse(std::string_view text, std::string* why) {
  return parse_network<IPv4Network, IPv4Address>(text, why);
}

Result<IPv4Network> IPv4Network::parse(std::string_view address, std::string_view mask,
                                       std::string* why) {
  return parse_network<IPv4Network, IPv4Address>(address, mask, '.', 32, why);
}

IPv4Address IPv4Network::netmask() const noexcept {
  return IPv4Address(mask32(prefix_));
}
IPv4Address IPv4Network::hostmask() const noexcept {
  return IPv4Address(~mask32(prefix_));
}
IPv4Address IPv4Network::network() const noexcept {
  return IPv4Address(address_.to_uint() & mask32(prefix_));
}
IPv4Address IPv4Network::broadcast() const noexcept {
  return IPv4Address(address_.to_uint() | ~mask32(prefix_));
}

IPv4Address IPv4Network::first_host() const noexcept {
  if (prefix_ >= 31) return network();
  return IPv4Address(network().to_uint() + 1);
}

IPv4Address IPv4Network::last_host() const noexcept {
  if (prefix_ >= 31) return broadcast();
  return IPv4Address(broadcast().to_uint() - 1);
}

std::uint64_t IPv4Network::address_count() const noexcept {
  return std::uint64_t{1} << (32 - prefix_);
}

std::uint64_t IPv4Network::host_count() const noexcept {
  if (prefix_ >= 31) return address_count();
  return address_count() - 2;
}

bool IPv4Network::contains(IPv4Address a) const noexcept {
  return (a.to_uint() & mask32(prefix_)) == network().to_uint();
}

bool IPv4Network::contains(const IPv4Network& other) const noexcept {
  return other.prefix_ >= prefix_ && contains(other.network());
}

Result<std::vector<IPv4Network>> IPv4Network::split(int new_prefix, std::size_t max_count,
                                                    std::string* why) const {
  const auto count = split_count(prefix_, new_prefix, 32, max_count, why);
  if (!count) return fail(Errc::invalid_prefix);
  std::vector<IPv4Network> out;
  out.reserve(*count);
  const std::uint64_t step = std::uint64_t{1} << (32 - new_prefix);
  const std::uint64_t base = network().to_uint();
  for (std::size_t i = 0; i < *count; ++i) {
    out.push_back(
        IPv4Network(IPv4Address(static_cast<std::uint32_t>(base + i * step)), new_prefix));
  }
  return out;
}

std::string IPv4Network::to_string() const {
  return network().to_string() + "/" + std::to_string(prefix_);
}

// ---- IPv6 ------------------------------------------------------------------------------------

Result<IPv6Network> IPv6Network::make(const IPv6Address& address, int prefix) {
  if (prefix < 0 || prefix > 128) return fail(Errc::invalid_prefix);
  return IPv6Network(address, prefix);
}

Result<IPv6Network> IPv6Network::parse(std::string_view text, std::string* why) {
  return parse_network<IPv6Network, IPv6Address>(text, why);
}

Result<IPv6Network> IPv6Network::parse(std::string_view address, std::string_view mask,
                                       std::string* why) {
  return parse_network<IPv6Network, IPv6Address>(address, mask, ':', 128, why);
}

IPv6Address IPv6Network::netmask() const noexcept {
  return from_u128(mask128(prefix_));
}
IPv6Address IPv6Network::hostmask() const noexcept {
  return from_u128(~mask128(prefix_));
}
IPv6Address IPv6Network::network() const noexcept {
  return from_u128(to_u128(address_.bytes()) & mask128(prefix_), address_);
}
bool IPv6Network::has_host_bits() const noexcept {
  return (to_u128(address_.bytes()) & ~mask128(prefix_)) != 0;
}
IPv6Address IPv6Network::first_host() const noexcept {
  // The all-zero host is the Subnet-Router anycast address (RFC 4291 section 2.6.1): skip it,
  // as Python's hosts() does. /127 point-to-point links use both (RFC 6164), /128 its one.
  if (prefix_ >= 127) return network();
  return from_u128((to_u128(address_.bytes()) & mask128(prefix_)) + 1, address_);
}
IPv6Address IPv6Network::last_host() const noexcept {
  return from_u128(to_u128(address_.bytes()) | ~mask128(prefix_), address_);
}

std::string IPv6Network::address_count_string() const {
  return pow2_decimal(host_bits());
}

std::optional<std::uint64_t> IPv6Network::address_count() const noexcept {
  if (host_bits() >= 64) return std::nullopt;
  return std::uint64_t{1} << host_bits();
}

bool IPv6Network::contains(const IPv6Address& a) const noexcept {
  const U128 m = mask128(prefix_);
  return (to_u128(a.bytes()) & m) == (to_u128(address_.bytes()) & m);
}

bool IPv6Network::contains(const IPv6Network& other) const noexcept {
  return other.prefix_ >= prefix_ && contains(other.address_);
}

Result<std::vector<IPv6Network>> IPv6Network::split(int new_prefix, std::size_t max_count,
                                                    std::string* why) const {
  const auto count = split_count(prefix_, new_prefix, 128, max_count, why);
  if (!count) return fail(Errc::invalid_prefix);
  std::vector<IPv6Network> out;
  out.reserve(*count);
  // A /0 "split" into /0 is the one network; 1 << 128 would be undefined.
  const U128 step = new_prefix == 0 ? 0 : U128{1} << (128 - new_prefix);
  const U128 base = to_u128(network().bytes());
  for (std::size_t i = 0; i < *count; ++i) {
    out.push_back(IPv6Network(from_u128(base + step * i, address_), new_prefix));
  }
  return out;
}

std::string IPv6Network::to_string() const {
  return network().to_string() + "/" + std::to_string(prefix_);
}

// ---- either family ---------------------------------------------------------------------------

Result<IpNetwork> IpNetwork::parse(std::string_view text, std::string* why) {
  if (text.find(':') == std::string_view::npos) {
    auto n = IPv4Network::parse(text, why);
    if (!n) return fail(n.error());
    return IpNetwork(*n);
  }
  auto n = IPv6Network::parse(text, why);
  if (!n) return fail(n.error());
  return IpNetwork(*n);
}

int IpNetwork::prefix_length() const noexcept {
  return is_v4() ? v4().prefix_length() : v6().prefix_length();
}

bool IpNetwork::contains(const IpAddress& a) const noexcept {
  if (is_v4() != a.is_v4()) return false;
  return is_v4() ? v4().contains(a.v4()) : v6().contains(a.v6());
}

std::string IpNetwork::to_string() const {
  return is_v4() ? v4().to_string() : v6().to_string();
}

}  // namespace sockit
