// IP address values: IPv4Address, IPv6Address and IpAddress (either). Pure values: no OS calls.
// Thread-safety: immutable values, safe to share.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "sockit/core/error.hpp"

namespace sockit {

class IPv4Address {
 public:
  constexpr IPv4Address() noexcept = default;  ///< 0.0.0.0
  /// From a 32-bit number in host byte order (1.2.3.4 == 0x01020304).
  constexpr explicit IPv4Address(std::uint32_t value) noexcept : value_(value) {}
  static constexpr IPv4Address from_bytes(std::array<std::uint8_t, 4> b) noexcept {
    return IPv4Address((std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                       (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]});
  }
  static constexpr IPv4Address any() noexcept { return IPv4Address(0); }
  static constexpr IPv4Address loopback() noexcept { return IPv4Address(0x7f000001); }
  static constexpr IPv4Address broadcast() noexcept { return IPv4Address(0xffffffff); }

  /// Strict dot-decimal: exactly four octets of 1-3 digits, 0..255, no leading zeros, nothing
  /// else. On failure returns Errc::invalid_address and, if `why` is given, stores a sentence
  /// naming the problem ("octet 4 is 300, above 255").
  [[nodiscard]] static Result<IPv4Address> parse(std::string_view text, std::string* why = nullptr);

  constexpr std::uint32_t to_uint() const noexcept { return value_; }
  constexpr std::array<std::uint8_t, 4> bytes() const noexcept {
    return {static_cast<std::uint8_t>(value_ >> 24), static_cast<std::uint8_t>(value_ >> 16),
            static_cast<std::uint8_t>(value_ >> 8), static_cast<std::uint8_t>(value_)};
  }
  std::string to_string() const;  ///< "192.168.1.10"

  friend constexpr auto operator<=>(IPv4Address, IPv4Address) noexcept = default;

 private:
  std::uint32_t value_ = 0;
};

class IPv6Address {
 public:
  using Bytes = std::array<std::uint8_t, 16>;
  /// Longest zone text kept: an interface name (IF_NAMESIZE - 1) or a decimal index.
  static constexpr std::size_t kMaxZoneLength = 15;

  constexpr IPv6Address() noexcept = default;  ///< ::
  /// From raw bytes and an interface index (0 = no zone), as the kernel reports them.
  constexpr explicit IPv6Address(const Bytes& bytes, std::uint32_t scope_id = 0) noexcept
      : bytes_(bytes), scope_id_(scope_id) {}
  static constexpr IPv6Address any() noexcept { return IPv6Address(); }
  static constexpr IPv6Address loopback() noexcept {
    Bytes b{};
    b[15] = 1;
    return IPv6Address(b);
  }

  /// RFC 4291 text forms, including "::" compression, embedded IPv4 ("::ffff:1.2.3.4") and a
  /// zone after '%'. Any syntactically valid zone is accepted: a decimal index up to 2^32-1 or
  /// an interface name of up to 15 printable characters (no space, '/', '%'). Nothing is looked
  /// up here: the zone is kept exactly as written (see zone()) and resolved only when a socket
  /// address is built (resolve_scope_id()). Errc::invalid_address on failure, reason in `why`.
  [[nodiscard]] static Result<IPv6Address> parse(std::string_view text, std::string* why = nullptr);

  /// ::ffff:a.b.c.d, the form a dual-stack socket reports for an IPv4 peer.
  static constexpr IPv6Address v4_mapped(IPv4Address a) noexcept {
    Bytes b{};
    b[10] = 0xff;
    b[11] = 0xff;
    const auto v4 = a.bytes();
    for (std::size_t i = 0; i < 4; ++i)
      b[12 + i] = v4[i];
    return IPv6Address(b);
  }

  constexpr const Bytes& bytes() const noexcept { return bytes_; }
  /// The interface index: the kernel's, or the value of a zone written as a number ("%2");
  /// 0 for no zone and for a zone written as a name until it is resolved.
  constexpr std::uint32_t scope_id() const noexcept { return scope_id_; }
  /// The zone exactly as written after '%' ("eth0", "2", "0"); empty when the address was not
  /// parsed from text with a zone (an address from the kernel carries only scope_id()).
  constexpr std::string_view zone() const noexcept {
    std::size_t n = 0;
    while (n < zone_.size() && zone_[n] != '\0')
      ++n;
    return {zone_.data(), n};
  }
  /// The index bind/connect need: a zone written as a name is looked up now; otherwise
  /// scope_id(). std::errc::no_such_device when no interface has that name.
  [[nodiscard]] Result<std::uint32_t> resolve_scope_id() const;
  /// Same address with a numeric zone from the kernel (0 = none); a written zone is dropped.
  constexpr IPv6Address with_scope_id(std::uint32_t scope_id) const noexcept {
    return IPv6Address(bytes_, scope_id);
  }
  /// Other bytes, same zone (as written or as an index): network arithmetic keeps the zone.
  constexpr IPv6Address with_bytes(const Bytes& bytes) const noexcept {
    IPv6Address out = *this;
    out.bytes_ = bytes;
    return out;
  }
  /// True for ::ffff:0:0/96.
  constexpr bool is_v4_mapped() const noexcept {
    for (std::size_t i = 0; i < 10; ++i) {
      if (bytes_[i] != 0) return false;
    }
    return bytes_[10] == 0xff && bytes_[11] == 0xff;
  }
  /// The IPv4 address inside ::ffff:a.b.c.d, or nullopt for any other address.
  constexpr std::optional<IPv4Address> to_v4() const noexcept {
    if (!is_v4_mapped()) return std::nullopt;
    return IPv4Address::from_bytes({bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
  }
  /// RFC 5952 canonical form ("2001:db8::1", "::ffff:1.2.3.4"). A zone written in the text is
  /// appended exactly as written ("%eth0", "%1", "%0"); a kernel index is appended as
  /// "%<interface name>" when it names an interface, else as "%<index>".
  std::string to_string() const;

  /// Equality compares the bytes, the index and the zone as written: "fe80::1%1" parsed from
  /// text differs from the same address with index 1 from the kernel.
  friend constexpr auto operator<=>(const IPv6Address&, const IPv6Address&) noexcept = default;

 private:
  Bytes bytes_{};
  std::uint32_t scope_id_ = 0;
  std::array<char, kMaxZoneLength> zone_{};  // as written, NUL-padded; all NUL when none
};

enum class Family : std::uint8_t { v4, v6 };

/// Either family.
class IpAddress {
 public:
  constexpr IpAddress() noexcept = default;               ///< 0.0.0.0
  constexpr IpAddress(IPv4Address a) noexcept : v_(a) {}  // NOLINT(google-explicit-constructor)
  constexpr IpAddress(IPv6Address a) noexcept : v_(a) {}  // NOLINT(google-explicit-constructor)

  /// IPv4 if the text has no ':', IPv6 otherwise.
  [[nodiscard]] static Result<IpAddress> parse(std::string_view text, std::string* why = nullptr);

  constexpr Family family() const noexcept {
    return std::holds_alternative<IPv4Address>(v_) ? Family::v4 : Family::v6;
  }
  constexpr bool is_v4() const noexcept { return family() == Family::v4; }
  constexpr bool is_v6() const noexcept { return family() == Family::v6; }
  constexpr IPv4Address v4() const noexcept { return std::get<IPv4Address>(v_); }  ///< is_v4()
  constexpr IPv6Address v6() const noexcept { return std::get<IPv6Address>(v_); }  ///< is_v6()
  std::string to_string() const;

  friend constexpr auto operator<=>(const IpAddress&, const IpAddress&) noexcept = default;

 private:
  std::variant<IPv4Address, IPv6Address> v_;
};

// ---- views for people (the CLI's "address" subcommand) --------------------------------------

/// "0xC0A8010A" (upper-case hex digits, always 8 of them).
std::string to_hex(IPv4Address a);
/// "11000000.10101000.00000001.00001010" (each octet as 8 bits).
std::string to_binary(IPv4Address a);

// ---- classification --------------------------------------------------------------------------

/// What an address is for, from the most specific matching row of the IANA special-purpose
/// address registries (RFC 6890 and the RFCs that added rows since; see
/// kSpecialPurposeRegistryDate). Outside those rows: IPv4 224/4 is multicast, anything else
/// global; IPv6 ff00::/8 is multicast, 2000::/3 global unicast, everything else reserved by
/// the IETF (IANA IPv6 address space registry, e.g. 4000::/3, fec0::/10 ex-site-local).
enum class AddressClass : std::uint8_t {
  unspecified,      ///< 0.0.0.0/32, ::/128
  this_network,     ///< 0.0.0.0/8 (other than 0.0.0.0)
  loopback,         ///< 127.0.0.0/8, ::1
  private_use,      ///< RFC 1918: 10/8, 172.16/12, 192.168/16
  shared,           ///< RFC 6598 carrier-grade NAT: 100.64/10
  link_local,       ///< 169.254/16, fe80::/10
  multicast,        ///< 224/4, ff00::/8 (their own registries)
  broadcast,        ///< 255.255.255.255 (limited broadcast)
  documentation,    ///< 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
  benchmarking,     ///< 198.18/15, 2001:2::/48
  reserved,         ///< 240/4, rest of 192.0.0/24 and 2001::/23, terminated rows, IPv6 outside
                    ///< 2000::/3 with no row
  unique_local,     ///< fc00::/7
  v4_mapped,        ///< ::ffff:0:0/96
  global,           ///< globally reachable: no row, or a row saying "globally reachable"
  special_purpose,  ///< any other row that is not globally reachable (or says N/A): dummy
                    ///< prefixes, discard-only, local-use translation, Teredo, 6to4, SRv6 SIDs
};

AddressClass classify(IPv4Address a) noexcept;
AddressClass classify(const IPv6Address& a) noexcept;
AddressClass classify(const IpAddress& a) noexcept;
/// Short name: "unspecified", "this network", "loopback", "private", "shared (CGNAT)",
/// "link-local", "multicast", "broadcast", "documentation", "benchmarking", "reserved",
/// "unique local", "IPv4-mapped", "global", "special-purpose".
std::string_view address_class_name(AddressClass c) noexcept;

/// One row of an IANA special-purpose address registry, every column. The booleans are
/// nullopt where the registry gives no value: "N/A" (globally reachable for Teredo and 6to4)
/// or a terminated row.
struct SpecialPurposeEntry {
  std::string_view block;       ///< as listed; one row may hold two ("192.0.0.170/32, ...")
  std::string_view name;        ///< "Private-Use"
  std::string_view rfc;         ///< "RFC 1918", "RFC 1122 section 3.2.1.3", "RFC 4380, RFC 8190"
  std::string_view allocated;   ///< "1996-02"
  std::string_view terminated;  ///< "2015-03", or empty while the row is in force
  std::optional<bool> source;
  std::optional<bool> destination;
  std::optional<bool> forwardable;
  std::optional<bool> globally_reachable;
  std::optional<bool> reserved_by_protocol;
  AddressClass address_class;  ///< what classify() answers for an address whose row this is
};

/// The registries' contents the tables reflect: the month of the newest row (100:0:0:1::/64).
inline constexpr std::string_view kSpecialPurposeRegistryDate = "2025-04";

/// Every row of one family's registry, in registry order.
std::span<const SpecialPurposeEntry> special_purpose_registry(Family family) noexcept;
/// The most specific row holding `a` (a zone is ignored), or nullptr when no row does.
const SpecialPurposeEntry* special_purpose_entry(const IpAddress& a) noexcept;

/// The pre-CIDR (RFC 791) class letter from the leading bits: 'A' 0..127, 'B' 128..191,
/// 'C' 192..223, 'D' 224..239 (multicast), 'E' 240..255. Historical: routing ignores it.
char legacy_class(IPv4Address a) noexcept;

}  // namespace sockit
