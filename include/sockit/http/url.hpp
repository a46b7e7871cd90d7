// http:// and https:// URLs as an HTTP client needs them: scheme, host (a name, an IPv4
// literal or a bracketed IPv6 literal), port and the origin-form target ("/path?query").
// Userinfo ("user:pass@") is split off for the caller to turn into Authorization; a fragment
// is dropped (it never goes over the wire). A URL without a scheme is taken as http://, as
// curl does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sockit/core/error.hpp"

namespace sockit::http {

struct Url {
  std::string scheme;  ///< "http" or "https"
  std::string host;    ///< without brackets: "::1", "example.org"
  std::uint16_t port = 0;
  std::string target = "/";  ///< path and query, never empty
  std::string userinfo;      ///< "user:pass" when the URL had one, else ""

  bool https() const noexcept { return scheme == "https"; }
  bool default_port() const noexcept { return port == (https() ? 443 : 80); }
  /// The Host field value: host (bracketed when IPv6), ":port" unless it is the default.
  std::string authority() const;
  /// "scheme://authority": what a keep-alive connection is shared by.
  std::string origin() const;
  /// The whole URL again (without userinfo).
  std::string to_string() const;
};

/// std::errc::invalid_argument for a malformed URL (no host, a bad port, spaces or control
/// bytes), std::errc::protocol_not_supported for a scheme other than http/https.
[[nodiscard]] Result<Url> parse_url(std::string_view text);

/// Resolves a Location value against the URL it came from (RFC 3986 §5.2, the forms servers
/// send: absolute, scheme-relative "//host/p", absolute-path "/p" and relative "p").
[[nodiscard]] Result<Url> resolve_location(const Url& base, std::string_view location);

}  // namespace sockit::http
