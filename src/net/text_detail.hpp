// Internal helpers shared by the value parsers (address, endpoint, cidr, port_list): setting
// the optional reason and quoting a character safely. Not installed, not public API.
#pragma once

#include <string>
#include <utility>

namespace sockit::detail {

inline void set_why(std::string* why, std::string text) {
  if (why != nullptr) *why = std::move(text);
}

inline bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

/// 0..15 for a hex digit (either case), -1 otherwise.
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// "'x'" for a printable character, "byte 0x00" otherwise, so that a reason never carries
/// control characters into someone's terminal.
inline std::string quote_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string{'\'', c, '\''};
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string{"byte 0x"} + kHex[u >> 4] + kHex[u & 0xf];
}

}  // namespace sockit::detail
