// Local network interfaces (getifaddrs) and default gateways (/proc/net/route,
// /proc/net/ipv6_route). Lookups: each call asks the kernel afresh and keeps no state.
// Thread-safety: every function is thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/core/error.hpp"
#include "sockit/net/address.hpp"
#include "sockit/net/cidr.hpp"

namespace sockit {

using MacAddress = std::array<std::uint8_t, 6>;

/// "02:42:ac:11:00:02" (lower-case hex, colon-separated).
std::string format_mac(const MacAddress& mac);

struct InterfaceFlags {
  bool up = false;              ///< IFF_UP: administratively enabled
  bool running = false;         ///< IFF_RUNNING: link is operational
  bool loopback = false;        ///< IFF_LOOPBACK
  bool multicast = false;       ///< IFF_MULTICAST
  bool broadcast = false;       ///< IFF_BROADCAST
  bool point_to_point = false;  ///< IFF_POINTOPOINT
  friend bool operator==(const InterfaceFlags&, const InterfaceFlags&) = default;
};

/// The set flags as words in a fixed order: "up running loopback multicast broadcast
/// point-to-point" (only those that are set, separated by single spaces; "" for none).
std::string flags_to_string(const InterfaceFlags& flags);

struct InterfaceAddress {
  IpAddress address;      ///< IPv6 link-local addresses carry the interface as their zone
  int prefix_length = 0;  ///< from the netmask; 0 when the kernel gave none
  /// IPv4 broadcast address (IFF_BROADCAST) or the peer of a point-to-point link.
  std::optional<IpAddress> broadcast_or_peer;
  /// The network the address is in ("127.0.0.0/8" for 127.0.0.1/8).
  IpNetwork network() const;
};

struct Interface {
  std::string name;
  unsigned index = 0;  ///< if_nametoindex(); the zone number of IPv6 link-local addresses
  InterfaceFlags flags;
  std::optional<MacAddress> mac;  ///< link-layer address; absent when none or all zeros (lo)
  std::vector<InterfaceAddress> addresses;
};

/// Every interface, ordered by index, each with all of its IPv4 and IPv6 addresses (in the
/// kernel's order). Interfaces without addresses are listed too. Errors from getifaddrs are
/// returned as system error codes.
[[nodiscard]] Result<std::vector<Interface>> list_interfaces();

struct DefaultGateway {
  /// Next hop. 0.0.0.0 / :: means a device route with no router (e.g. a point-to-point link).
  IpAddress gateway;
  std::string interface;  ///< device name, "eth0"
  std::uint32_t metric = 0;
};

/// The 0.0.0.0/0 route with the lowest metric from the TEXT of /proc/net/route (header line,
/// then whitespace-separated fields; addresses are the kernel's raw network-order words in
/// host-order hex). Lines that do not parse, routes that are not up and non-default routes are
/// skipped; nullopt when there is no default route.
std::optional<DefaultGateway> parse_ipv4_default_route(std::string_view proc_net_route);
/// The ::/0 route with the lowest metric from the TEXT of /proc/net/ipv6_route (no header;
/// 32-hex-digit addresses). Reject/unreachable routes (the kernel lists one on "lo") are
/// skipped; nullopt when there is no default route.
std::optional<DefaultGateway> parse_ipv6_default_route(std::string_view proc_net_ipv6_route);

/// Reads /proc/net/route; an empty optional (not an error) when the machine has no IPv4
/// default route. A system error only when the file cannot be read.
[[nodiscard]] Result<std::optional<DefaultGateway>> default_gateway_v4();
/// Reads /proc/net/ipv6_route. A machine without IPv6 (no such file) has no default route:
/// an empty optional, not an error. A link-local gateway gets its device as zone (unlike
/// parse_ipv6_default_route(), which touches no interface table).
[[nodiscard]] Result<std::optional<DefaultGateway>> default_gateway_v6();

}  // namespace sockit
