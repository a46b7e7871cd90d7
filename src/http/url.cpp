#include "sockit/http/url.hpp"

#include <charconv>

namespace sockit::http {
namespace {

bool visible(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// "host", "host:port", "[v6]" or "[v6]:port" into `url`.
Status parse_authority(std::string_view auth, Url& url) {
  const auto at = auth.rfind('@');
  if (at != std::string_view::npos) {
    url.userinfo = std::string(auth.substr(0, at));
    auth.remove_prefix(at + 1);
  }
  std::string_view port_text;
  if (auth.starts_with('[')) {
    const auto close = auth.find(']');
    if (close == std::string_view::npos)
      return fail(std::make_error_code(std::errc::invalid_argument));
    url.host = std::string(auth.substr(1, close - 1));
    auto rest = auth.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return fail(std::make_error_code(std::errc::invalid_argument));
      port_text = rest.substr(1);
    }
  } else {
    const auto colon = auth.find(':');
    url.host = lower(auth.substr(0, colon));
    if (colon != std::string_view::npos) port_text = auth.substr(colon + 1);
  }
  if (url.host.empty()) return fail(std::make_error_code(std::errc::invalid_argument));
  url.port = url.https() ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (r.ec != std::errc{} || r.ptr != port_text.data() + port_text.size() || value == 0 ||
        value > 65535)
      return fail(std::make_error_code(std::errc::invalid_argument));
    url.port = static_cast<std::uint16_t>(value);
  }
  return {};
}

// The directory part of a target's path ("/a/b?q" -> "/a/").
std::string directory_of(std::string_view target) {
  const auto query = target.find('?');
  const auto path = target.substr(0, query);
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? "/" : std::string(path.substr(0, slash + 1));
}

}  // namespace

std::string Url::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!default_port()) out += ":" + std::to_string(port);
  return out;
}

std::string Url::origin() const {
  return scheme + "://" + authority();
}

std::string Url::to_string() const {
  return origin() + target;
}

Result<Url> parse_url(std::string_view text) {
  if (text.empty() || !visible(text))
    return fail(std::make_error_code(std::errc::invalid_argument));
  Url url;
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) {
    url.scheme = "http";
  } else {
    url.scheme = lower(text.substr(0, sep));
    text.remove_prefix(sep + 3);
  }
  if (url.scheme != "http" && url.scheme != "https")
    return fail(std::make_error_code(std::errc::protocol_not_supported));
  if (const auto hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
  const auto path_at = text.find_first_of("/?");
  if (auto ok = parse_authority(text.substr(0, path_at), url); !ok) return fail(ok.error());
  if (path_at != std::string_view::npos) {
    url.target = std::string(text.substr(path_at));
    if (url.target.front() == '?') url.target.insert(0, "/");
  }
  return url;
}

Result<Url> resolve_location(const Url& base, std::string_view location) {
  if (location.empty() || !visible(location))
    return fail(std::make_error_code(std::errc::invalid_argument));
  if (location.find("://") != std::string_view::npos) {
    const auto scheme_end = location.find("://");
    const auto first = location.find_first_of("/?");
    if (first == std::string_view::npos || first > scheme_end) return parse_url(location);
  }
  if (location.starts_with("//")) return parse_url(base.scheme + ":" + std::string(location));
  Url url = base;
  url.userinfo.clear();
  if (const auto hash = location.find('#'); hash != std::string_view::npos)
    location = location.substr(0, hash);
  if (location.starts_with('/')) {
    url.target = std::string(location);
  } else if (location.starts_with('?')) {
    url.target = base.target.substr(0, base.target.find('?')) + std::string(location);
  } else {
    url.target = directory_of(base.target) + std::string(location);
  }
  return url;
}

}  // namespace sockit::http
