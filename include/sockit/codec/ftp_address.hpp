// The addresses FTP puts in its commands and replies, parsed and formatted without I/O:
//
//   PASV reply  "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)"   RFC 959 (IPv4 only)
//   PORT arg    "h1,h2,h3,h4,p1,p2"                               RFC 959
//   EPSV reply  "229 Entering Extended Passive Mode (|||6446|)"   RFC 2428 (port only)
//   EPRT arg    "|1|132.235.1.2|6275|" or "|2|::1|5282|"          RFC 2428
//
// Every number is range-checked (0..255 per byte, 1..65535 per port): a reply that does not
// fit is Errc::malformed_frame, never a wrapped-around port.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "sockit/core/error.hpp"

namespace sockit {

struct FtpHostPort {
  std::array<std::uint8_t, 4> ip{};
  std::uint16_t port = 0;
  bool operator==(const FtpHostPort&) const = default;
  /// "a.b.c.d"
  std::string ip_text() const;
};

/// The six numbers of a PASV reply's text (the first run of "d,d,d,d,d,d" in it; servers vary
/// in the words and brackets around it) or of a PORT argument.
[[nodiscard]] Result<FtpHostPort> parse_ftp_host_port(std::string_view text);
/// "h1,h2,h3,h4,p1,p2"
std::string format_ftp_host_port(const FtpHostPort& hp);

/// The port of an EPSV reply's text: "(<d><d><d>port<d>)", d any printable ASCII 33..126 used
/// the same four times. A network address between the delimiters is rejected (RFC 2428 says
/// the reply carries only the port).
[[nodiscard]] Result<std::uint16_t> parse_epsv_port(std::string_view text);

struct FtpExtendedAddress {
  int family = 1;       ///< 1 = IPv4, 2 = IPv6
  std::string address;  ///< as written (checked for the family's characters, not resolved)
  std::uint16_t port = 0;
  bool operator==(const FtpExtendedAddress&) const = default;
};
/// An EPRT argument "<d>family<d>address<d>port<d>".
[[nodiscard]] Result<FtpExtendedAddress> parse_eprt_argument(std::string_view text);
/// "|family|address|port|"
std::string format_eprt_argument(const FtpExtendedAddress& a);

}  // namespace sockit
