// Endpoint: where a socket connects or binds. An IP address with a port, a Unix socket path
// (filesystem path, or a Linux abstract name written with a leading '@'), or a Bluetooth RFCOMM
// device address with a channel ("bt:AA:BB:CC:DD:EE:FF/3", Linux AF_BLUETOOTH).
// Thread-safety: immutable values, safe to share.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "sockit/core/error.hpp"
#include "sockit/net/address.hpp"

namespace sockit {

/// A sockaddr big enough for any family, with its length; what bind/connect/accept take.
struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() noexcept { return reinterpret_cast<sockaddr*>(&storage); }
};

struct UnixPath {
  std::string path;  ///< "@name" = Linux abstract namespace (no file), else a filesystem path
  bool is_abstract() const noexcept { return !path.empty() && path.front() == '@'; }
  friend bool operator==(const UnixPath&, const UnixPath&) = default;
};

/// A Bluetooth RFCOMM endpoint: a device address (BD_ADDR) and a channel. `device` holds the
/// bytes in the order they are written, AA first for "AA:BB:CC:DD:EE:FF" (the kernel's
/// bdaddr_t stores them reversed; to_sockaddr() and from_sockaddr() turn them around).
/// 00:00:00:00:00:00 is BDADDR_ANY: bind on every adapter.
struct RfcommAddress {
  static constexpr std::uint8_t kMinChannel = 1;
  static constexpr std::uint8_t kMaxChannel = 30;
  std::array<std::uint8_t, 6> device{};
  std::uint8_t channel =
      kMinChannel;  ///< parse() accepts 1..30; from_sockaddr() keeps the kernel's
  friend bool operator==(const RfcommAddress&, const RfcommAddress&) = default;
};

/// Linux's Bluetooth socket family and RFCOMM protocol numbers (<bluetooth/bluetooth.h> and
/// <bluetooth/rfcomm.h>, which need not be installed).
inline constexpr int kAfBluetooth = 31;
inline constexpr int kBtProtoRfcomm = 3;

class Endpoint {
 public:
  // Not "= default": a nested struct with member initialisers does not count as default
  // constructible inside its enclosing class, so std::variant's default would be deleted.
  Endpoint() : v_(Ip{}) {}  ///< 0.0.0.0:0
  Endpoint(IpAddress address, std::uint16_t port) : v_(Ip{address, port}) {}
  explicit Endpoint(UnixPath path) : v_(std::move(path)) {}
  explicit Endpoint(RfcommAddress bt) : v_(bt) {}

  /// "1.2.3.4:80", "[2001:db8::1]:443", "[fe80::1%eth0]:22", "/run/x.sock", "@abstract".
  /// Unix paths start with '/', "./" or "../"; they and abstract names must fit sun_path.
  /// "bt:AA:BB:CC:DD:EE:FF/CHANNEL" (prefix and hex digits in either case, channel 1..30) is a
  /// Bluetooth RFCOMM endpoint.
  /// Numeric addresses only: host names go through the resolver. Errc::invalid_endpoint,
  /// invalid_address or invalid_port on failure, with a reason in `why` when given.
  [[nodiscard]] static Result<Endpoint> parse(std::string_view text, std::string* why = nullptr);
  /// From a kernel sockaddr (AF_INET, AF_INET6, AF_UNIX or AF_BLUETOOTH with a sockaddr_rc);
  /// Errc::invalid_endpoint otherwise
  /// or when `len` is too short for the family. IPv4-mapped IPv6 peers stay IPv6 (see
  /// IPv6Address::to_v4()). An unnamed Unix socket gives an empty UnixPath.
  [[nodiscard]] static Result<Endpoint> from_sockaddr(const sockaddr* sa, socklen_t len);

  bool is_ip() const noexcept { return std::holds_alternative<Ip>(v_); }
  bool is_unix() const noexcept { return std::holds_alternative<UnixPath>(v_); }
  bool is_bluetooth() const noexcept { return std::holds_alternative<RfcommAddress>(v_); }
  /// AF_INET, AF_INET6, AF_UNIX or kAfBluetooth.
  int domain() const noexcept;
  /// The protocol argument socket() needs with domain(): kBtProtoRfcomm for Bluetooth (0 there
  /// would be L2CAP), else 0.
  int protocol() const noexcept { return is_bluetooth() ? kBtProtoRfcomm : 0; }
  const IpAddress& address() const { return std::get<Ip>(v_).address; }        ///< is_ip()
  std::uint16_t port() const { return std::get<Ip>(v_).port; }                 ///< is_ip()
  const UnixPath& unix_path() const { return std::get<UnixPath>(v_); }         ///< is_unix()
  const RfcommAddress& rfcomm() const { return std::get<RfcommAddress>(v_); }  ///< is_bluetooth()

  /// For bind/connect. Errc::invalid_endpoint if a Unix path is too long for sun_path.
  [[nodiscard]] Result<SockAddr> to_sockaddr() const;
  /// Same text forms as parse(): "1.2.3.4:80", "[::1]:80", "/path", "@name",
  /// "bt:AA:BB:CC:DD:EE:FF/3" (upper-case hex). An unnamed Unix
  /// socket (empty path, e.g. a client that never bound) prints as "(unnamed)".
  std::string to_string() const;

  friend bool operator==(const Endpoint& a, const Endpoint& b) = default;

 private:
  struct Ip {
    IpAddress address;
    std::uint16_t port = 0;
    friend bool operator==(const Ip&, const Ip&) = default;
  };
  std::variant<Ip, UnixPath, RfcommAddress> v_;
};

/// True when `text` starts with "bt:" in any case: the spelling parse() reads as Bluetooth.
bool has_bluetooth_prefix(std::string_view text) noexcept;

/// Port text: decimal 0..65535 only (no sign, no spaces). Errc::invalid_port otherwise, with a
/// reason in `why` when given.
[[nodiscard]] Result<std::uint16_t> parse_port(std::string_view text, std::string* why = nullptr);

/// A host and port as written, before any resolution.
struct HostPort {
  std::string host;  ///< name, IPv4 text, or IPv6 text without brackets (zone kept)
  std::string port;  ///< "" when the text had none; may be a service name ("http")
  friend bool operator==(const HostPort&, const HostPort&) = default;
};

/// Splits "host:port", "[v6]:port", "[v6]", a bare "host" or a bare IPv6 address ("::1", more
/// than one ':' and no brackets: all host). Nothing is resolved or range-checked here; the
/// port is checked only for being non-empty after a ':'. Errc::invalid_endpoint for an empty
/// text, an empty host, an unclosed '[', or text after ']' that is not ":port".
[[nodiscard]] Result<HostPort> split_host_port(std::string_view text, std::string* why = nullptr);

}  // namespace sockit
