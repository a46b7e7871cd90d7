#include "sockit/codec/proxy_protocol.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace sockit {
namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::string_view kV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr std::size_t kV4Block = 12;     // two IPv4 addresses, two ports
constexpr std::size_t kV6Block = 36;     // two IPv6 addresses, two ports
constexpr std::size_t kUnixBlock = 216;  // two 108-byte paths
constexpr std::size_t kTlvHead = 3;      // type, u16 length

const char* message_of(ProxyErrc e) noexcept {
  switch (e) {
    case ProxyErrc::ok:
      return "success";
    case ProxyErrc::wrong_signature:
      return "not a PROXY protocol header (wrong signature)";
    case ProxyErrc::malformed:
      return "malformed PROXY protocol header";
    case ProxyErrc::unsupported_version:
      return "unsupported PROXY protocol version";
    case ProxyErrc::unsupported_command:
      return "unsupported PROXY protocol command";
    case ProxyErrc::unsupported_family:
      return "unsupported address family in PROXY protocol header";
    case ProxyErrc::oversized:
      return "PROXY protocol header too long";
    case ProxyErrc::truncated:
      return "connection closed in the middle of the PROXY protocol header";
    case ProxyErrc::missing:
      return "connection closed before a PROXY protocol header";
    case ProxyErrc::untrusted_source:
      return "not a trusted proxy (--proxy-from)";
    case ProxyErrc::timed_out:
      return "no PROXY protocol header before the deadline";
  }
  return "unknown PROXY protocol error";
}

class ProxyCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "proxy"; }
  std::string message(int value) const override {
    return message_of(static_cast<ProxyErrc>(value));
  }
};

ProxyParse failed(ProxyErrc e) noexcept {
  ProxyParse p;
  p.status = ProxyStatus::error;
  p.error = make_error_code(e);
  return p;
}

ProxyParse done(ProxyHeader h) noexcept {
  ProxyParse p;
  p.status = ProxyStatus::complete;
  p.header = std::move(h);
  return p;
}

std::uint8_t byte_at(std::string_view s, std::size_t i) noexcept {
  return static_cast<std::uint8_t>(s[i]);
}

std::uint16_t be16(std::string_view s, std::size_t i) noexcept {
  return static_cast<std::uint16_t>((byte_at(s, i) << 8) | byte_at(s, i + 1));
}

// A v1 port: 1 to 5 digits, no leading zero (but "0"), at most 65535.
std::optional<std::uint16_t> v1_port(std::string_view s) noexcept {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<IpAddress> v1_address(std::string_view s, bool v6) {
  if (v6) {
    if (s.find('%') != std::string_view::npos) return std::nullopt;  // no zones on the wire
    auto a = IPv6Address::parse(s);
    if (!a) return std::nullopt;
    return IpAddress(*a);
  }
  auto a = IPv4Address::parse(s);
  if (!a) return std::nullopt;
  return IpAddress(*a);
}

// The fields after "PROXY " of a complete line (CRLF removed).
ProxyParse parse_v1_fields(std::string_view rest, std::size_t size) {
  ProxyHeader h;
  h.version = 1;
  h.size = size;
  // UNKNOWN: the receiver ignores whatever follows it on the line (the specification).
  if (rest.substr(0, 7) == "UNKNOWN" && (rest.size() == 7 || rest[7] == ' ')) return done(h);
  std::array<std::string_view, 5> f;
  std::size_t n = 0;
  for (std::size_t pos = 0; pos <= rest.size(); ++n) {
    const std::size_t sp = std::min(rest.find(' ', pos), rest.size());
    if (n == f.size()) return failed(ProxyErrc::malformed);  // a sixth field
    f[n] = rest.substr(pos, sp - pos);
    if (f[n].empty()) return failed(ProxyErrc::malformed);  // two spaces, or a trailing one
    pos = sp + 1;
  }
  if (f[0] != "TCP4" && f[0] != "TCP6") return failed(ProxyErrc::unsupported_family);
  if (n != f.size()) return failed(ProxyErrc::malformed);
  const bool v6 = f[0] == "TCP6";
  const auto src = v1_address(f[1], v6);
  const auto dst = v1_address(f[2], v6);
  const auto sport = v1_port(f[3]);
  const auto dport = v1_port(f[4]);
  if (!src || !dst || !sport || !dport) return failed(ProxyErrc::malformed);
  h.family = v6 ? ProxyFamily::inet6 : ProxyFamily::inet;
  h.source = Endpoint(*src, *sport);
  h.destination = Endpoint(*dst, *dport);
  return done(h);
}

ProxyParse parse_v1(std::string_view bytes) {
  const std::size_t check = std::min(bytes.size(), kV1Prefix.size());
  if (bytes.substr(0, check) != kV1Prefix.substr(0, check)) {
    return failed(ProxyErrc::wrong_signature);
  }
  const std::string_view window = bytes.substr(0, ProxyLimits::kV1MaxBytes);
  const std::size_t lf = window.find('\n');
  const std::size_t cr = window.find('\r');
  // A CR is only ever the one right before the LF that ends the line.
  if (cr != std::string_view::npos && cr + 1 < window.size() && window[cr + 1] != '\n') {
    return failed(ProxyErrc::malformed);
  }
  if (lf == std::string_view::npos) {
    return window.size() == ProxyLimits::kV1MaxBytes ? failed(ProxyErrc::oversized) : ProxyParse{};
  }
  if (lf == 0 || cr != lf - 1 || lf < kV1Prefix.size()) return failed(ProxyErrc::malformed);
  return parse_v1_fields(window.substr(kV1Prefix.size(), cr - kV1Prefix.size()), lf + 1);
}

// The v2 address block and TLVs of a PROXY command; `block` is everything after the 16 bytes.
ProxyParse parse_v2_proxy(std::uint8_t fam, std::string_view block, ProxyHeader h) {
  std::size_t need = 0;
  switch (fam) {
    case 0x00:  // AF_UNSPEC: the receiver ignores the whole block
      return done(h);
    case 0x11:
    case 0x12:
      need = kV4Block;
      h.family = ProxyFamily::inet;
      break;
    case 0x21:
    case 0x22:
      need = kV6Block;
      h.family = ProxyFamily::inet6;
      break;
    case 0x31:
    case 0x32:
      need = kUnixBlock;
      h.family = ProxyFamily::local;
      break;
    default:
      return failed(ProxyErrc::unsupported_family);
  }
  h.datagram = (fam & 0x0f) == 0x02;
  if (block.size() < need) return failed(ProxyErrc::malformed);
  // TLVs must tile the rest exactly: one running past the announced length is malformed.
  for (std::size_t pos = need; pos < block.size();) {
    if (block.size() - pos < kTlvHead) return failed(ProxyErrc::malformed);
    const std::size_t len = be16(block, pos + 1);
    if (block.size() - pos - kTlvHead < len) return failed(ProxyErrc::malformed);
    pos += kTlvHead + len;
  }
  if (h.family == ProxyFamily::inet) {
    auto v4 = [&](std::size_t i) {
      return IPv4Address::from_bytes(
          {byte_at(block, i), byte_at(block, i + 1), byte_at(block, i + 2), byte_at(block, i + 3)});
    };
    h.source = Endpoint(v4(0), be16(block, 8));
    h.destination = Endpoint(v4(4), be16(block, 10));
  } else if (h.family == ProxyFamily::inet6) {
    auto v6 = [&](std::size_t i) {
      IPv6Address::Bytes b{};
      for (std::size_t k = 0; k < b.size(); ++k)
        b[k] = byte_at(block, i + k);
      return IPv6Address(b);
    };
    h.source = Endpoint(v6(0), be16(block, 32));
    h.destination = Endpoint(v6(16), be16(block, 34));
  }
  return done(h);
}

ProxyParse parse_v2(std::string_view bytes, const ProxyLimits& limits) {
  const std::size_t check = std::min(bytes.size(), kV2Signature.size());
  if (bytes.substr(0, check) != kV2Signature.substr(0, check)) {
    return failed(ProxyErrc::wrong_signature);
  }
  if (bytes.size() > 12) {
    const std::uint8_t ver_cmd = byte_at(bytes, 12);
    if ((ver_cmd >> 4) != 2) return failed(ProxyErrc::unsupported_version);
    if ((ver_cmd & 0x0f) > 1) return failed(ProxyErrc::unsupported_command);
  }
  if (bytes.size() < ProxyLimits::kV2FixedBytes) return {};
  const std::size_t total = ProxyLimits::kV2FixedBytes + be16(bytes, 14);
  if (total > std::max(limits.max_v2_bytes, ProxyLimits::kV2FixedBytes)) {
    return failed(ProxyErrc::oversized);
  }
  if (bytes.size() < total) return {};
  ProxyHeader h;
  h.version = 2;
  h.size = total;
  if ((byte_at(bytes, 12) & 0x0f) == 0) {  // LOCAL: the block is discarded, family and all
    h.command = ProxyCommand::local;
    return done(h);
  }
  return parse_v2_proxy(
      byte_at(bytes, 13),
      bytes.substr(ProxyLimits::kV2FixedBytes, total - ProxyLimits::kV2FixedBytes), h);
}

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

}  // namespace

const std::error_category& proxy_category() noexcept {
  static const ProxyCategory category;
  return category;
}

std::error_code make_error_code(ProxyErrc e) noexcept {
  return {static_cast<int>(e), proxy_category()};
}

ProxyParse parse_proxy_header(std::string_view bytes, const ProxyLimits& limits) noexcept {
  if (bytes.empty()) return {};
  if (bytes.front() == 'P') return parse_v1(bytes);
  if (bytes.front() == '\r') return parse_v2(bytes, limits);
  return failed(ProxyErrc::wrong_signature);
}

ProxyHeaderDecoder::Step ProxyHeaderDecoder::feed(std::string_view chunk) {
  if (last_.status != ProxyStatus::need_more) return {last_, 0};
  // Never more than the longest header the limits allow: a complete one ends inside this.
  const std::size_t cap =
      std::max({ProxyLimits::kV1MaxBytes, limits_.max_v2_bytes, ProxyLimits::kV2FixedBytes});
  const std::size_t before = held_.size();
  held_.append(chunk.substr(0, cap - before));
  last_ = parse_proxy_header(held_, limits_);
  switch (last_.status) {
    case ProxyStatus::complete:
      held_.clear();
      return {last_, last_.header.size - before};
    case ProxyStatus::need_more:
      return {last_, chunk.size()};
    case ProxyStatus::error:
      break;
  }
  held_.clear();
  return {last_, 0};
}

ProxyParse ProxyHeaderDecoder::finish() {
  if (last_.status == ProxyStatus::need_more) {
    last_ = failed(held_.empty() ? ProxyErrc::missing : ProxyErrc::truncated);
    held_.clear();
  }
  return last_;
}

std::string encode_proxy_v1(const ProxyHeader& h) {
  const bool known = h.command == ProxyCommand::proxy && h.source && h.destination &&
                     h.source->is_ip() && h.destination->is_ip() &&
                     h.source->address().family() == h.destination->address().family();
  if (!known) return "PROXY UNKNOWN\r\n";
  const bool v6 = h.source->address().is_v6();
  return std::string("PROXY ") + (v6 ? "TCP6 " : "TCP4 ") + h.source->address().to_string() + " " +
         h.destination->address().to_string() + " " + std::to_string(h.source->port()) + " " +
         std::to_string(h.destination->port()) + "\r\n";
}

std::string encode_proxy_v2(const ProxyHeader& h) {
  std::string out(kV2Signature);
  const bool known = h.command == ProxyCommand::proxy && h.source && h.destination &&
                     h.source->is_ip() && h.destination->is_ip() &&
                     h.source->address().family() == h.destination->address().family();
  out.push_back(static_cast<char>(h.command == ProxyCommand::local ? 0x20 : 0x21));
  if (!known) {
    out.push_back('\0');
    put16(out, 0);
    return out;
  }
  const bool v6 = h.source->address().is_v6();
  const int transport = h.datagram ? 0x02 : 0x01;
  out.push_back(static_cast<char>((v6 ? 0x20 : 0x10) | transport));
  put16(out, static_cast<std::uint16_t>(v6 ? kV6Block : kV4Block));
  for (const Endpoint* e : {&*h.source, &*h.destination}) {
    if (v6) {
      const IPv6Address address = e->address().v6();  // bytes() is a view into it
      for (auto b : address.bytes())
        out.push_back(static_cast<char>(b));
    } else {
      for (auto b : e->address().v4().bytes())
        out.push_back(static_cast<char>(b));
    }
  }
  put16(out, h.source->port());
  put16(out, h.destination->port());
  return out;
}

}  // namespace sockit
