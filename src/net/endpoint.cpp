// Endpoint text forms and the sockaddr conversions bind/connect/accept need.
#include "sockit/net/endpoint.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include "net/text_detail.hpp"

namespace sockit {
namespace {

using detail::hex_value;
using detail::quote_char;
using detail::set_why;

// Linux's struct sockaddr_rc (<bluetooth/rfcomm.h>), written out so that libbluetooth-dev need
// not be installed. bdaddr_t is 6 packed bytes, least significant (the last one written) first.
struct SockaddrRc {
  sa_family_t rc_family;
  std::array<std::uint8_t, 6> rc_bdaddr;
  std::uint8_t rc_channel;
};
static_assert(sizeof(SockaddrRc) == 10 && offsetof(SockaddrRc, rc_bdaddr) == 2 &&
              offsetof(SockaddrRc, rc_channel) == 8);

constexpr std::string_view kBtPrefix = "bt:";
constexpr std::string_view kBtForm = "bt:AA:BB:CC:DD:EE:FF/CHANNEL";

// sun_path holds 108 bytes on Linux. A filesystem path needs its terminating NUL; an abstract
// name spends the first byte on the leading NUL that marks it abstract.
constexpr std::size_t kSunPathSize = sizeof(sockaddr_un::sun_path);
constexpr std::size_t kSunPathOffset = offsetof(sockaddr_un, sun_path);

bool is_unix_path_text(std::string_view text) noexcept {
  return text.starts_with('/') || text.starts_with("./") || text.starts_with("../");
}

Result<Endpoint> parse_unix(std::string_view text, std::string* why) {
  if (text.find('\0') != std::string_view::npos) {
    set_why(why, "Unix socket path contains a NUL byte");
    return fail(Errc::invalid_endpoint);
  }
  if (text.front() == '@') {
    const std::size_t name_len = text.size() - 1;
    if (name_len == 0) {
      set_why(why, "empty abstract socket name after '@'");
      return fail(Errc::invalid_endpoint);
    }
    if (name_len > kSunPathSize - 1) {
      set_why(why, "abstract socket name is " + std::to_string(name_len) +
                       " bytes, more than the " + std::to_string(kSunPathSize - 1) + " that fit");
      return fail(Errc::invalid_endpoint);
    }
  } else if (text.size() > kSunPathSize - 1) {
    set_why(why, "Unix socket path is " + std::to_string(text.size()) + " bytes, more than the " +
                     std::to_string(kSunPathSize - 1) + " that fit");
    return fail(Errc::invalid_endpoint);
  }
  return Endpoint(UnixPath{std::string(text)});
}

Result<Endpoint> parse_bracketed(std::string_view text, std::string* why) {
  const auto close = text.find(']');
  if (close == std::string_view::npos) {
    set_why(why, "missing ']' after the IPv6 address");
    return fail(Errc::invalid_endpoint);
  }
  std::string addr_why;
  auto addr = IPv6Address::parse(text.substr(1, close - 1), &addr_why);
  if (!addr) {
    set_why(why, "IPv6 address: " + addr_why);
    return fail(addr.error());
  }
  const std::string_view rest = text.substr(close + 1);
  if (rest.empty()) {
    set_why(why, "missing ':port' after ']'");
    return fail(Errc::invalid_endpoint);
  }
  if (rest.front() != ':') {
    set_why(why, "unexpected " + quote_char(rest.front()) + " after ']'");
    return fail(Errc::invalid_endpoint);
  }
  auto port = parse_port(rest.substr(1), why);
  if (!port) return fail(port.error());
  return Endpoint(IpAddress(*addr), *port);
}

Result<Endpoint> parse_v4(std::string_view text, std::string* why) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    set_why(why, "missing ':port'");
    return fail(Errc::invalid_endpoint);
  }
  if (text.find(':', colon + 1) != std::string_view::npos) {
    set_why(why, "an IPv6 address needs brackets: [address]:port");
    return fail(Errc::invalid_endpoint);
  }
  std::string addr_why;
  auto addr = IPv4Address::parse(text.substr(0, colon), &addr_why);
  if (!addr) {
    set_why(why, "IPv4 address: " + addr_why);
    return fail(addr.error());
  }
  auto port = parse_port(text.substr(colon + 1), why);
  if (!port) return fail(port.error());
  return Endpoint(IpAddress(*addr), *port);
}

// Every Bluetooth text error is Errc::invalid_endpoint: invalid_address and invalid_port say
// "IP address" and "0 to 65535" in their messages; `why` says which part is wrong.
// "AA:BB:CC:DD:EE:FF": six groups of two hex digits, either case.
Result<std::array<std::uint8_t, 6>> parse_bdaddr(std::string_view text, std::string* why) {
  std::array<std::uint8_t, 6> out{};
  const auto groups = static_cast<std::size_t>(std::ranges::count(text, ':')) + 1;
  if (groups != out.size()) {
    set_why(why, "Bluetooth address has " + std::to_string(groups) +
                     " groups, expected 6 (AA:BB:CC:DD:EE:FF)");
    return fail(Errc::invalid_endpoint);
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto colon = text.find(':');
    const std::string_view group = text.substr(0, colon);
    text = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
    const std::string which = "Bluetooth address group " + std::to_string(i + 1);
    for (const char c : group) {
      if (hex_value(c) < 0) {
        set_why(why, "unexpected " + quote_char(c) + " in " + which);
        return fail(Errc::invalid_endpoint);
      }
    }
    if (group.size() != 2) {
      set_why(why, which + " has " + std::to_string(group.size()) + " hex digits, expected 2");
      return fail(Errc::invalid_endpoint);
    }
    out[i] = static_cast<std::uint8_t>(hex_value(group[0]) * 16 + hex_value(group[1]));
  }
  return out;
}

// RFCOMM channel: decimal 1..30, no sign, no leading zero.
Result<std::uint8_t> parse_channel(std::string_view text, std::string* why) {
  if (text.empty()) {
    set_why(why, "empty RFCOMM channel after '/' (1 to 30)");
    return fail(Errc::invalid_endpoint);
  }
  unsigned value = 0;
  for (const char c : text) {
    if (!detail::is_digit(c)) {
      set_why(why, "unexpected " + quote_char(c) + " in RFCOMM channel");
      return fail(Errc::invalid_endpoint);
    }
    if (value <= RfcommAddress::kMaxChannel) value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (text.size() > 1 && text.front() == '0') {
    set_why(why, "RFCOMM channel has a leading zero");
    return fail(Errc::invalid_endpoint);
  }
  if (value < RfcommAddress::kMinChannel || value > RfcommAddress::kMaxChannel) {
    const std::string shown =
        text.size() <= 6 ? std::string(text) : std::string(text.substr(0, 6)) + "...";
    set_why(why, "RFCOMM channel " + shown + " is outside 1 to 30");
    return fail(Errc::invalid_endpoint);
  }
  return static_cast<std::uint8_t>(value);
}

Result<Endpoint> parse_bluetooth(std::string_view text, std::string* why) {
  text.remove_prefix(kBtPrefix.size());
  if (text.empty()) {
    set_why(why, "missing the device address after 'bt:' (" + std::string(kBtForm) + ")");
    return fail(Errc::invalid_endpoint);
  }
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    set_why(why, "missing '/CHANNEL' after the Bluetooth address (" + std::string(kBtForm) + ")");
    return fail(Errc::invalid_endpoint);
  }
  auto device = parse_bdaddr(text.substr(0, slash), why);
  if (!device) return fail(device.error());
  auto channel = parse_channel(text.substr(slash + 1), why);
  if (!channel) return fail(channel.error());
  return Endpoint(RfcommAddress{*device, *channel});
}

std::string bluetooth_text(const RfcommAddress& bt) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(kBtPrefix);
  for (std::size_t i = 0; i < bt.device.size(); ++i) {
    if (i != 0) out += ':';
    out += kHex[bt.device[i] >> 4];
    out += kHex[bt.device[i] & 0xf];
  }
  return out + "/" + std::to_string(bt.channel);
}

SockAddr bluetooth_sockaddr(const RfcommAddress& bt) {
  SockaddrRc rc{};
  rc.rc_family = kAfBluetooth;
  std::reverse_copy(bt.device.begin(), bt.device.end(), rc.rc_bdaddr.begin());
  rc.rc_channel = bt.channel;
  SockAddr out;
  std::memcpy(&out.storage, &rc, sizeof rc);
  out.len = sizeof rc;
  return out;
}

}  // namespace

bool has_bluetooth_prefix(std::string_view text) noexcept {
  if (text.size() < kBtPrefix.size()) return false;
  return (text[0] == 'b' || text[0] == 'B') && (text[1] == 't' || text[1] == 'T') && text[2] == ':';
}

Result<std::uint16_t> parse_port(std::string_view text, std::string* why) {
  if (text.empty()) {
    set_why(why, "empty port");
    return fail(Errc::invalid_port);
  }
  std::uint32_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      set_why(why, "unexpected " + quote_char(c) + " in port");
      return fail(Errc::invalid_port);
    }
    if (value <= 65535) value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (text.size() > 1 && text.front() == '0') {
    set_why(why, "port has a leading zero (\"" + std::string(text) + "\")");
    return fail(Errc::invalid_port);
  }
  if (value > 65535) {
    set_why(why, "port " + std::string(text) + " is above 65535");
    return fail(Errc::invalid_port);
  }
  return static_cast<std::uint16_t>(value);
}

Result<Endpoint> Endpoint::parse(std::string_view text, std::string* why) {
  if (text.empty()) {
    set_why(why, "empty endpoint");
    return fail(Errc::invalid_endpoint);
  }
  if (text.front() == '@' || is_unix_path_text(text)) return parse_unix(text, why);
  if (text.front() == '[') return parse_bracketed(text, why);
  if (has_bluetooth_prefix(text)) return parse_bluetooth(text, why);
  return parse_v4(text, why);
}

Result<Endpoint> Endpoint::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr || len < static_cast<socklen_t>(sizeof(sa_family_t))) {
    return fail(Errc::invalid_endpoint);
  }
  const auto size = static_cast<std::size_t>(len);
  // memcpy into the right struct: the caller's buffer may be any sockaddr-sized storage.
  if (sa->sa_family == AF_INET && size >= sizeof(sockaddr_in)) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    return Endpoint(IPv4Address(ntohl(in.sin_addr.s_addr)), ntohs(in.sin_port));
  }
  if (sa->sa_family == AF_INET6 && size >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof in6);
    IPv6Address::Bytes bytes{};
    std::memcpy(bytes.data(), in6.sin6_addr.s6_addr, bytes.size());
    return Endpoint(IPv6Address(bytes, in6.sin6_scope_id), ntohs(in6.sin6_port));
  }
  if (sa->sa_family == AF_UNIX && size >= kSunPathOffset) {
    sockaddr_un un{};
    const std::size_t copy = size < sizeof un ? size : sizeof un;
    std::memcpy(&un, sa, copy);
    const std::size_t path_len = copy - kSunPathOffset;
    const char* path = un.sun_path;
    if (path_len == 0) return Endpoint(UnixPath{});  // unnamed (never bound)
    if (path[0] == '\0') return Endpoint(UnixPath{"@" + std::string(path + 1, path_len - 1)});
    // The kernel may or may not count the terminating NUL: stop at the first one.
    const void* nul = std::memchr(path, '\0', path_len);
    const std::size_t n =
        nul == nullptr ? path_len : static_cast<std::size_t>(static_cast<const char*>(nul) - path);
    return Endpoint(UnixPath{std::string(path, n)});
  }
  if (sa->sa_family == kAfBluetooth && size >= sizeof(SockaddrRc)) {
    SockaddrRc rc{};
    std::memcpy(&rc, sa, sizeof rc);
    RfcommAddress bt;
    std::reverse_copy(rc.rc_bdaddr.begin(), rc.rc_bdaddr.end(), bt.device.begin());
    bt.channel = rc.rc_channel;
    return Endpoint(bt);
  }
  return fail(Errc::invalid_endpoint);
}

int Endpoint::domain() const noexcept {
  if (is_unix()) return AF_UNIX;
  if (is_bluetooth()) return kAfBluetooth;
  return std::get<Ip>(v_).address.is_v4() ? AF_INET : AF_INET6;
}

Result<SockAddr> Endpoint::to_sockaddr() const {
  if (is_bluetooth()) return bluetooth_sockaddr(rfcomm());
  SockAddr out;
  if (is_ip()) {
    const auto& ip = std::get<Ip>(v_);
    if (ip.address.is_v4()) {
      sockaddr_in in{};
      in.sin_family = AF_INET;
      in.sin_port = htons(ip.port);
      in.sin_addr.s_addr = htonl(ip.address.v4().to_uint());
      std::memcpy(&out.storage, &in, sizeof in);
      out.len = sizeof in;
    } else {
      sockaddr_in6 in6{};
      in6.sin6_family = AF_INET6;
      in6.sin6_port = htons(ip.port);
      const auto v6 = ip.address.v6();
      // A zone written as a name is looked up only here, where the kernel needs the index.
      auto scope = v6.resolve_scope_id();
      if (!scope) return fail(scope.error());
      std::memcpy(in6.sin6_addr.s6_addr, v6.bytes().data(), v6.bytes().size());
      in6.sin6_scope_id = *scope;
      std::memcpy(&out.storage, &in6, sizeof in6);
      out.len = sizeof in6;
    }
    return out;
  }
  const std::string& path = unix_path().path;
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  if (path.empty()) return fail(Errc::invalid_endpoint);
  // Same limits as parse_unix: a path needs its NUL; an abstract name's '@' stands for the
  // leading NUL, so the name itself (without '@') may use the other kSunPathSize - 1 bytes.
  const bool abstract = unix_path().is_abstract();
  const std::size_t stored = abstract ? path.size() - 1 : path.size();
  if (stored > kSunPathSize - 1) return fail(Errc::invalid_endpoint);
  if (abstract) {
    // Abstract: sun_path[0] = 0, then the name; the length counts exactly the name bytes.
    std::memcpy(un.sun_path + 1, path.data() + 1, path.size() - 1);
    out.len = static_cast<socklen_t>(kSunPathOffset + path.size());
  } else {
    if (path.find('\0') != std::string::npos) return fail(Errc::invalid_endpoint);
    std::memcpy(un.sun_path, path.data(), path.size());
    out.len = static_cast<socklen_t>(kSunPathOffset + path.size() + 1);
  }
  std::memcpy(&out.storage, &un, sizeof un);
  return out;
}

std::string Endpoint::to_string() const {
  if (is_unix()) {
    const auto& path = unix_path().path;
    return path.empty() ? std::string("(unnamed)") : path;
  }
  if (is_bluetooth()) return bluetooth_text(rfcomm());
  const auto& ip = std::get<Ip>(v_);
  if (ip.address.is_v4()) return ip.address.to_string() + ":" + std::to_string(ip.port);
  return "[" + ip.address.to_string() + "]:" + std::to_string(ip.port);
}

Result<HostPort> split_host_port(std::string_view text, std::string* why) {
  if (text.empty()) {
    set_why(why, "empty host");
    return fail(Errc::invalid_endpoint);
  }
  std::string_view host;
  std::string_view rest;
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      set_why(why, "missing ']' after the IPv6 address");
      return fail(Errc::invalid_endpoint);
    }
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      set_why(why, "unexpected " + quote_char(rest.front()) + " after ']'");
      return fail(Errc::invalid_endpoint);
    }
  } else {
    const auto colon = text.find(':');
    // Two or more colons without brackets: a bare IPv6 address, all host.
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
      return HostPort{std::string(text), {}};
    }
    host = text.substr(0, colon);
    rest = text.substr(colon);
  }
  if (host.empty()) {
    set_why(why, "empty host");
    return fail(Errc::invalid_endpoint);
  }
  if (rest.size() == 1) {
    set_why(why, "empty port after ':'");
    return fail(Errc::invalid_endpoint);
  }
  return HostPort{std::string(host), std::string(rest.empty() ? rest : rest.substr(1))};
}

}  // namespace sockit
