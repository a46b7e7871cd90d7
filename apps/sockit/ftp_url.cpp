#include "ftp_url.hpp"

namespace sockit::cli {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string& out, std::string& why) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    const int hi = i + 2 < in.size() ? hex_value(in[i + 1]) : -1;
    const int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      why = "bad percent-encoding in the URL";
      return false;
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  // A CR or LF would end the command line early and smuggle a second command.
  if (out.find_first_of("\r\n") != std::string::npos) {
    why = "the URL decodes to a line break (%0D or %0A), which FTP commands cannot carry";
    return false;
  }
  return true;
}

}  // namespace

bool parse_ftp_url(std::string_view text, FtpUrl& out, std::string& why) {
  out = {};
  std::string_view rest;
  if (text.starts_with("ftp://")) {
    rest = text.substr(6);
  } else if (text.starts_with("ftps://")) {
    out.implicit_tls = true;
    rest = text.substr(7);
  } else {
    why = "the URL must start with ftp:// or ftps://";
    return false;
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const auto userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = userinfo.find(':');
    if (!percent_decode(userinfo.substr(0, colon), out.user, why)) return false;
    if (colon != std::string_view::npos) {
      out.has_password = true;
      if (!percent_decode(userinfo.substr(colon + 1), out.password, why)) return false;
    }
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      why = "unclosed '[' in the URL's host";
      return false;
    }
    out.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      why = "text after ']' in the URL's host";
      return false;
    }
    if (!after.empty()) port = after.substr(1);
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) {
    why = "the URL has no host";
    return false;
  }
  out.port = port.empty() ? (out.implicit_tls ? "990" : "21") : std::string(port);
  return percent_decode(path, out.path, why);
}

}  // namespace sockit::cli
