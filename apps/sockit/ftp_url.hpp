// ftp:// and ftps:// URLs for `sockit ftp` (RFC 1738 §3.2): user, password, host, port, path.
#pragma once

#include <string>
#include <string_view>

namespace sockit::cli {

struct FtpUrl {
  bool implicit_tls = false;  ///< ftps://
  std::string user;           ///< percent-decoded; "" when the URL has none
  std::string password;
  bool has_password = false;
  std::string host;  ///< without brackets for IPv6
  std::string port;  ///< "21" (ftp://) or "990" (ftps://) when the URL has none
  /// Percent-decoded path after the host's '/', relative to the login directory
  /// ("ftp://h//etc/x" gives "/etc/x"). Empty or ending in '/': a directory.
  std::string path;
  bool is_directory() const { return path.empty() || path.back() == '/'; }
};

/// Parses `text`; on failure returns false with a reason in `why`.
bool parse_ftp_url(std::string_view text, FtpUrl& out, std::string& why);

}  // namespace sockit::cli
