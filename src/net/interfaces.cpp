// Interfaces via getifaddrs(); default gateways from the kernel's /proc routing tables.
#include "sockit/net/interfaces.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/text_detail.hpp"
#include "sockit/core/unique_fd.hpp"

namespace sockit {
namespace {

// ---- small text helpers for the /proc tables ---------------------------------------------------

// Up to `max` whitespace-separated fields of one line; extra fields are ignored.
std::vector<std::string_view> split_fields(std::string_view line, std::size_t max) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (out.size() < max) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t' || line[pos] == '\r')) {
      ++pos;
    }
    if (pos >= line.size()) break;
    const std::size_t start = pos;
    while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t' && line[pos] != '\r')
      ++pos;
    out.push_back(line.substr(start, pos - start));
  }
  return out;
}

// Calls `fn(line)` for each '\n'-separated line.
template <class Fn>
void for_each_line(std::string_view text, Fn fn) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    fn(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
}

// Exactly `digits` hex digits (or 1..digits when `exact` is false) into `out`.
bool parse_hex(std::string_view t, std::size_t digits, bool exact, std::uint64_t& out) {
  if (t.empty() || t.size() > digits || (exact && t.size() != digits)) return false;
  std::uint64_t v = 0;
  for (const char c : t) {
    const int d = detail::hex_value(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<std::uint64_t>(d);
  }
  out = v;
  return true;
}

bool parse_decimal_u32(std::string_view t, std::uint32_t& out) {
  if (t.empty() || t.size() > 10) return false;
  std::uint64_t v = 0;
  for (const char c : t) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return false;
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool parse_hex_v6(std::string_view t, IPv6Address::Bytes& out) {
  if (t.size() != 32) return false;
  for (std::size_t i = 0; i < 16; ++i) {
    std::uint64_t byte = 0;
    if (!parse_hex(t.substr(2 * i, 2), 2, true, byte)) return false;
    out[i] = static_cast<std::uint8_t>(byte);
  }
  return true;
}

constexpr std::uint64_t kRtfUp = 0x0001;      // RTF_UP
constexpr std::uint64_t kRtfReject = 0x0200;  // RTF_REJECT: unreachable/prohibit routes

bool better(const std::optional<DefaultGateway>& best, std::uint32_t metric) {
  return !best.has_value() || metric < best->metric;
}

// Reads a small kernel text file whole; errors are the OS's.
Result<std::string> read_proc_file(const char* path) {
  constexpr std::size_t kLimit = 4 << 20;  // routing tables are far smaller; stop runaway reads
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return fail(sys_error());
  std::string text;
  char buf[4096];
  while (text.size() < kLimit) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(sys_error());
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

// ---- getifaddrs ------------------------------------------------------------------------------

std::optional<IpAddress> ip_of(const sockaddr* sa) {
  if (sa == nullptr) return std::nullopt;
  if (sa->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    return IpAddress(IPv4Address(ntohl(in.sin_addr.s_addr)));
  }
  if (sa->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof in6);
    IPv6Address::Bytes b{};
    std::memcpy(b.data(), in6.sin6_addr.s6_addr, b.size());
    return IpAddress(IPv6Address(b, in6.sin6_scope_id));
  }
  return std::nullopt;
}

int prefix_of(const sockaddr* netmask) {
  const auto mask = ip_of(netmask);
  if (!mask) return 0;
  // Masks carry no zone; compare bits only.
  auto p = mask->is_v4() ? prefix_from_netmask(mask->v4())
                         : prefix_from_netmask(mask->v6().with_scope_id(0));
  return p.value_or(0);
}

InterfaceFlags flags_of(unsigned f) {
  InterfaceFlags out;
  out.up = (f & IFF_UP) != 0;
  out.running = (f & IFF_RUNNING) != 0;
  out.loopback = (f & IFF_LOOPBACK) != 0;
  out.multicast = (f & IFF_MULTICAST) != 0;
  out.broadcast = (f & IFF_BROADCAST) != 0;
  out.point_to_point = (f & IFF_POINTOPOINT) != 0;
  return out;
}

Interface& find_or_add(std::vector<Interface>& all, const char* name, unsigned flags) {
  for (auto& itf : all) {
    if (itf.name == name) return itf;
  }
  Interface& itf = all.emplace_back();
  itf.name = name;
  itf.index = ::if_nametoindex(name);
  itf.flags = flags_of(flags);
  return itf;
}

void add_entry(Interface& itf, const ifaddrs& ifa) {
  const sockaddr* sa = ifa.ifa_addr;
  if (sa->sa_family == AF_PACKET) {
    sockaddr_ll ll{};
    std::memcpy(&ll, sa, sizeof ll);
    MacAddress mac{};
    if (ll.sll_halen != mac.size()) return;
    std::memcpy(mac.data(), ll.sll_addr, mac.size());
    if (std::any_of(mac.begin(), mac.end(), [](std::uint8_t b) { return b != 0; })) itf.mac = mac;
    return;
  }
  const auto address = ip_of(sa);
  if (!address) return;
  InterfaceAddress entry;
  entry.address = *address;
  entry.prefix_length = prefix_of(ifa.ifa_netmask);
  // ifa_broadaddr and ifa_dstaddr share storage; the flags say which one it is.
  if ((ifa.ifa_flags & (IFF_BROADCAST | IFF_POINTOPOINT)) != 0) {
    entry.broadcast_or_peer = ip_of(ifa.ifa_ifu.ifu_broadaddr);
  }
  itf.addresses.push_back(entry);
}

}  // namespace

std::string format_mac(const MacAddress& mac) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < mac.size(); ++i) {
    if (i != 0) out.push_back(':');
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xf]);
  }
  return out;
}

std::string flags_to_string(const InterfaceFlags& f) {
  std::string out;
  auto add = [&out](bool on, const char* word) {
    if (!on) return;
    if (!out.empty()) out.push_back(' ');
    out += word;
  };
  add(f.up, "up");
  add(f.running, "running");
  add(f.loopback, "loopback");
  add(f.multicast, "multicast");
  add(f.broadcast, "broadcast");
  add(f.point_to_point, "point-to-point");
  return out;
}

IpNetwork InterfaceAddress::network() const {
  if (address.is_v4()) return IpNetwork(IPv4Network::make(address.v4(), prefix_length).value());
  return IpNetwork(IPv6Network::make(address.v6(), prefix_length).value());
}

Result<std::vector<Interface>> list_interfaces() {
  ifaddrs* head = nullptr;
  if (::getifaddrs(&head) != 0) return fail(sys_error());
  const std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> guard(head, &::freeifaddrs);
  std::vector<Interface> all;
  for (const ifaddrs* ifa = head; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_name == nullptr) continue;
    Interface& itf = find_or_add(all, ifa->ifa_name, ifa->ifa_flags);
    if (ifa->ifa_addr != nullptr) add_entry(itf, *ifa);
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Interface& a, const Interface& b) { return a.index < b.index; });
  return all;
}

std::optional<DefaultGateway> parse_ipv4_default_route(std::string_view text) {
  std::optional<DefaultGateway> best;
  for_each_line(text, [&best](std::string_view line) {
    // Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
    const auto f = split_fields(line, 8);
    if (f.size() < 8) return;
    std::uint64_t dest = 0, gateway = 0, flags = 0, mask = 0;
    std::uint32_t metric = 0;
    if (!parse_hex(f[1], 8, true, dest) || !parse_hex(f[2], 8, true, gateway) ||
        !parse_hex(f[3], 8, false, flags) || !parse_decimal_u32(f[6], metric) ||
        !parse_hex(f[7], 8, true, mask)) {
      return;
    }
    if (dest != 0 || mask != 0 || (flags & kRtfUp) == 0 || (flags & kRtfReject) != 0) return;
    if (!better(best, metric)) return;
    // The kernel prints the network-order word as a host integer: ntohl undoes that.
    const auto gw = IPv4Address(ntohl(static_cast<std::uint32_t>(gateway)));
    best = DefaultGateway{IpAddress(gw), std::string(f[0]), metric};
  });
  return best;
}

std::optional<DefaultGateway> parse_ipv6_default_route(std::string_view text) {
  std::optional<DefaultGateway> best;
  for_each_line(text, [&best](std::string_view line) {
    // dest dest_len src src_len next_hop metric refcnt use flags device
    const auto f = split_fields(line, 10);
    if (f.size() < 10) return;
    IPv6Address::Bytes dest{}, next_hop{};
    std::uint64_t dest_len = 0, metric = 0, flags = 0;
    if (!parse_hex_v6(f[0], dest) || !parse_hex(f[1], 2, true, dest_len) ||
        !parse_hex_v6(f[4], next_hop) || !parse_hex(f[5], 8, true, metric) ||
        !parse_hex(f[8], 8, true, flags)) {
      return;
    }
    if (dest != IPv6Address::Bytes{} || dest_len != 0) return;
    if ((flags & kRtfUp) == 0 || (flags & kRtfReject) != 0) return;
    const auto m = static_cast<std::uint32_t>(metric);
    if (!better(best, m)) return;
    best = DefaultGateway{IpAddress(IPv6Address(next_hop)), std::string(f[9]), m};
  });
  return best;
}

Result<std::optional<DefaultGateway>> default_gateway_v4() {
  auto text = read_proc_file("/proc/net/route");
  if (!text) return fail(text.error());
  return parse_ipv4_default_route(*text);
}

Result<std::optional<DefaultGateway>> default_gateway_v6() {
  auto text = read_proc_file("/proc/net/ipv6_route");
  if (!text) {
    if (text.error() == std::errc::no_such_file_or_directory) {
      return std::optional<DefaultGateway>{};  // kernel without IPv6
    }
    return fail(text.error());
  }
  auto route = parse_ipv6_default_route(*text);
  // A link-local next hop is only reachable through its device: give it that zone.
  if (route && classify(route->gateway) == AddressClass::link_local) {
    const unsigned index = ::if_nametoindex(route->interface.c_str());
    route->gateway = IpAddress(route->gateway.v6().with_scope_id(index));
  }
  return route;
}

}  // namespace sockit
