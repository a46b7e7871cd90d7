// CIDR networks: IPv4Network, IPv6Network and IpNetwork (either). Pure values: no OS calls (an
// IPv6 zone in the text is kept as written, like IPv6Address::parse does).
// Thread-safety: immutable values, safe to share.
//
// A network remembers the address it was written with: "192.168.1.10/24" has address()
// 192.168.1.10, network() 192.168.1.0 and has_host_bits() true. Equality and to_string() use
// the network form only ("192.168.1.0/24").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sockit/core/error.hpp"
#include "sockit/net/address.hpp"

namespace sockit {

/// Prefix length of a contiguous netmask (255.255.240.0 -> 20); Errc::invalid_prefix for a
/// non-contiguous one (255.0.255.0).
[[nodiscard]] Result<int> prefix_from_netmask(IPv4Address mask);
[[nodiscard]] Result<int> prefix_from_netmask(const IPv6Address& mask);

class IPv4Network {
 public:
  constexpr IPv4Network() noexcept = default;  ///< 0.0.0.0/0

  /// `prefix` 0..32, else Errc::invalid_prefix. Host bits in `address` are kept in address().
  [[nodiscard]] static Result<IPv4Network> make(IPv4Address address, int prefix);
  /// "a.b.c.d/n" or "a.b.c.d/255.255.0.0". Errc::invalid_address for the address part,
  /// Errc::invalid_prefix for a missing, out-of-range or non-contiguous prefix/mask; the reason
  /// goes to `why`.
  [[nodiscard]] static Result<IPv4Network> parse(std::string_view text, std::string* why = nullptr);
  /// Two-part form: ("10.1.2.3", "255.255.255.0") or ("10.1.2.3", "24"). A mask must be
  /// contiguous (254.0.0.0 is /7, 255.255.255.255 is /32, 0.0.0.0 is /0).
  [[nodiscard]] static Result<IPv4Network> parse(std::string_view address, std::string_view mask,
                                                 std::string* why = nullptr);

  IPv4Address address() const noexcept { return address_; }  ///< as written
  int prefix_length() const noexcept { return prefix_; }
  IPv4Address netmask() const noexcept;    ///< 255.255.255.0 for /24
  IPv4Address hostmask() const noexcept;   ///< 0.0.0.255 for /24 (the "wildcard" mask)
  IPv4Address network() const noexcept;    ///< address with the host bits cleared
  IPv4Address broadcast() const noexcept;  ///< address with the host bits set
  bool has_host_bits() const noexcept { return address_ != network(); }

  /// Usable host range: network+1 .. broadcast-1; /31 (RFC 3021) both addresses, /32 the one.
  IPv4Address first_host() const noexcept;
  IPv4Address last_host() const noexcept;
  /// Usable hosts: 2^(32-n) - 2, but 2 for /31 and 1 for /32.
  std::uint64_t host_count() const noexcept;
  /// All addresses: 2^(32-n).
  std::uint64_t address_count() const noexcept;

  bool contains(IPv4Address a) const noexcept;
  /// True when `other` lies wholly inside this network (a network contains itself).
  bool contains(const IPv4Network& other) const noexcept;

  /// The subnets of length `new_prefix`, in address order. Errc::invalid_prefix when
  /// new_prefix is shorter than prefix_length() or above 32, or when there would be more than
  /// `max_count` subnets (nothing is allocated then).
  [[nodiscard]] Result<std::vector<IPv4Network>> split(int new_prefix, std::size_t max_count,
                                                       std::string* why = nullptr) const;

  std::string to_string() const;  ///< "192.168.1.0/24"

  friend bool operator==(const IPv4Network& a, const IPv4Network& b) noexcept {
    return a.prefix_ == b.prefix_ && a.network() == b.network();
  }

 private:
  IPv4Network(IPv4Address address, int prefix) noexcept : address_(address), prefix_(prefix) {}
  IPv4Address address_;
  int prefix_ = 0;
};

class IPv6Network {
 public:
  IPv6Network() noexcept = default;  ///< ::/0

  [[nodiscard]] static Result<IPv6Network> make(const IPv6Address& address,
                                                int prefix);  ///< prefix 0..128
  /// "2001:db8::1/64" (a zone may precede the '/': "fe80::1%eth0/64"). Errors as IPv4Network.
  [[nodiscard]] static Result<IPv6Network> parse(std::string_view text, std::string* why = nullptr);
  /// Two-part form: ("2001:db8::1", "64") or ("2001:db8::1", "ffff:ffff:ffff:ffff::").
  [[nodiscard]] static Result<IPv6Network> parse(std::string_view address, std::string_view mask,
                                                 std::string* why = nullptr);

  const IPv6Address& address() const noexcept { return address_; }
  int prefix_length() const noexcept { return prefix_; }
  IPv6Address netmask() const noexcept;
  IPv6Address hostmask() const noexcept;
  IPv6Address network() const noexcept;  ///< keeps the zone of address()
  bool has_host_bits() const noexcept;

  /// IPv6 has no broadcast. The first host is network+1: the all-zero host is the
  /// Subnet-Router anycast address (RFC 4291 section 2.6.1), as Python's hosts() skips it.
  /// /127 (RFC 6164 point-to-point) gives both addresses, /128 its one. The last host is the
  /// address with all host bits set. Both keep the zone of address().
  IPv6Address first_host() const noexcept;
  IPv6Address last_host() const noexcept;
  /// Number of addresses as exact decimal text ("18446744073709551616" for /64, "1" for /128);
  /// /0 is 2^128, which no built-in integer holds.
  std::string address_count_string() const;
  /// The same number when it fits in 64 bits (prefix >= 65), else nullopt.
  std::optional<std::uint64_t> address_count() const noexcept;
  /// 128 - prefix: the count is 2^host_bits().
  int host_bits() const noexcept { return 128 - prefix_; }

  bool contains(const IPv6Address& a) const noexcept;  ///< ignores zones
  bool contains(const IPv6Network& other) const noexcept;

  [[nodiscard]] Result<std::vector<IPv6Network>> split(int new_prefix, std::size_t max_count,
                                                       std::string* why = nullptr) const;

  std::string to_string() const;  ///< "2001:db8::/64"

  friend bool operator==(const IPv6Network& a, const IPv6Network& b) noexcept {
    return a.prefix_ == b.prefix_ && a.network() == b.network();
  }

 private:
  IPv6Network(const IPv6Address& address, int prefix) noexcept
      : address_(address), prefix_(prefix) {}
  IPv6Address address_;
  int prefix_ = 0;
};

/// Either family: IPv6 when the text has a ':', IPv4 otherwise.
class IpNetwork {
 public:
  IpNetwork() noexcept = default;               ///< 0.0.0.0/0
  IpNetwork(IPv4Network n) noexcept : v_(n) {}  // NOLINT(google-explicit-constructor)
  IpNetwork(IPv6Network n) noexcept : v_(n) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] static Result<IpNetwork> parse(std::string_view text, std::string* why = nullptr);

  bool is_v4() const noexcept { return std::holds_alternative<IPv4Network>(v_); }
  bool is_v6() const noexcept { return !is_v4(); }
  const IPv4Network& v4() const { return std::get<IPv4Network>(v_); }  ///< is_v4()
  const IPv6Network& v6() const { return std::get<IPv6Network>(v_); }  ///< is_v6()
  int prefix_length() const noexcept;
  /// False when the families differ (an IPv4-mapped IPv6 address is not unwrapped).
  bool contains(const IpAddress& a) const noexcept;
  std::string to_string() const;

  friend bool operator==(const IpNetwork&, const IpNetwork&) = default;

 private:
  std::variant<IPv4Network, IPv6Network> v_;
};

}  // namespace sockit
