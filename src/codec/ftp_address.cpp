#include "sockit/codec/ftp_address.hpp"

#include <charconv>
#include <cstddef>

namespace sockit {

namespace {

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Reads 1..3 digits at `at` (advancing it) as a value up to `max`.
bool read_number(std::string_view s, std::size_t& at, unsigned max, unsigned& out) {
  std::size_t end = at;
  while (end < s.size() && is_digit(s[end]) && end - at < 6)
    ++end;
  if (end == at || end - at > 5) return false;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data() + at, s.data() + end, v);
  if (ec != std::errc{} || p != s.data() + end || v > max) return false;
  out = v;
  at = end;
  return true;
}

// Tries "d,d,d,d,d,d" starting exactly at `at`.
bool host_port_at(std::string_view s, std::size_t at, FtpHostPort& out) {
  unsigned v[6] = {};
  for (int i = 0; i < 6; ++i) {
    if (i != 0) {
      if (at >= s.size() || s[at] != ',') return false;
      ++at;
    }
    if (!read_number(s, at, 255, v[i])) return false;
  }
  if (at < s.size() && (is_digit(s[at]) || s[at] == ',')) return false;
  for (int i = 0; i < 4; ++i)
    out.ip[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v[i]);
  out.port = static_cast<std::uint16_t>(v[4] * 256 + v[5]);
  return true;
}

bool parse_port(std::string_view s, std::uint16_t& out) {
  if (s.empty() || s.size() > 5) return false;
  std::size_t at = 0;
  unsigned v = 0;
  if (!read_number(s, at, 65535, v) || at != s.size() || v == 0) return false;
  out = static_cast<std::uint16_t>(v);
  return true;
}

}  // namespace

std::string FtpHostPort::ip_text() const {
  return std::to_string(ip[0]) + '.' + std::to_string(ip[1]) + '.' + std::to_string(ip[2]) + '.' +
         std::to_string(ip[3]);
}

Result<FtpHostPort> parse_ftp_host_port(std::string_view text) {
  for (std::size_t at = 0; at < text.size(); ++at) {
    if (!is_digit(text[at]) || (at != 0 && (is_digit(text[at - 1]) || text[at - 1] == ',')))
      continue;
    FtpHostPort hp;
    if (host_port_at(text, at, hp)) {
      if (hp.port == 0) return fail(Errc::malformed_frame);
      return hp;
    }
  }
  return fail(Errc::malformed_frame);
}

std::string format_ftp_host_port(const FtpHostPort& hp) {
  std::string out;
  for (auto b : hp.ip)
    out += std::to_string(b) + ',';
  out += std::to_string(hp.port / 256) + ',' + std::to_string(hp.port % 256);
  return out;
}

Result<std::uint16_t> parse_epsv_port(std::string_view text) {
  const auto open = text.find('(');
  if (open == std::string_view::npos) return fail(Errc::malformed_frame);
  const auto close = text.find(')', open);
  if (close == std::string_view::npos) return fail(Errc::malformed_frame);
  const auto inner = text.substr(open + 1, close - open - 1);
  if (inner.size() < 5) return fail(Errc::malformed_frame);
  const char d = inner[0];
  if (d < 33 || d > 126 || is_digit(d)) return fail(Errc::malformed_frame);
  if (inner[1] != d || inner[2] != d || inner.back() != d) return fail(Errc::malformed_frame);
  std::uint16_t port = 0;
  if (!parse_port(inner.substr(3, inner.size() - 4), port)) return fail(Errc::malformed_frame);
  return port;
}

Result<FtpExtendedAddress> parse_eprt_argument(std::string_view text) {
  if (text.size() < 7) return fail(Errc::malformed_frame);
  const char d = text[0];
  if (d < 33 || d > 126 || is_digit(d) || text.back() != d) return fail(Errc::malformed_frame);
  const auto inner = text.substr(1, text.size() - 2);
  const auto a = inner.find(d);
  if (a == std::string_view::npos) return fail(Errc::malformed_frame);
  const auto b = inner.find(d, a + 1);
  if (b == std::string_view::npos || inner.find(d, b + 1) != std::string_view::npos)
    return fail(Errc::malformed_frame);
  FtpExtendedAddress out;
  const auto family = inner.substr(0, a);
  if (family == "1") {
    out.family = 1;
  } else if (family == "2") {
    out.family = 2;
  } else {
    return fail(Errc::malformed_frame);
  }
  out.address = std::string(inner.substr(a + 1, b - a - 1));
  const auto allowed = out.family == 1 ? "0123456789." : "0123456789abcdefABCDEF:.";
  if (out.address.empty() || out.address.find_first_not_of(allowed) != std::string::npos)
    return fail(Errc::malformed_frame);
  if (!parse_port(inner.substr(b + 1), out.port)) return fail(Errc::malformed_frame);
  return out;
}

std::string format_eprt_argument(const FtpExtendedAddress& a) {
  return '|' + std::to_string(a.family) + '|' + a.address + '|' + std::to_string(a.port) + '|';
}

}  // namespace sockit
