// The file side of the HTTP service: target decoding, opening below the root, content types,
// directory listings and dates.
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "http_internal.hpp"

namespace sockit::http_service {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes once ("%252e" stays "%2e": decoding twice is how filters get bypassed).
// A slash may not be encoded: "%2F" would name a file whose name holds a '/', which no file
// has, and proxies differ on whether it splits segments, so it is refused rather than guessed.
int percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return 400;
    const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return 400;
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0' || c == '/') return 400;
    out.push_back(c);
    i += 2;
  }
  return 0;
}

}  // namespace

DecodedPath decode_target(std::string_view target) {
  DecodedPath d;
  // absolute-form ("http://host/path") is answered like its path (RFC 9112 §3.2.2).
  if (target.starts_with("http://") || target.starts_with("https://")) {
    const auto slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (!target.starts_with('/')) {
    d.status = 400;
    return d;
  }
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    d.query = std::string(target.substr(q));
    target = target.substr(0, q);
  }
  d.raw = std::string(target);
  if (percent_decode(target, d.path) != 0) {
    d.status = 400;
    return d;
  }
  // ".." anywhere as a segment is refused: it can only mean to climb, and refusing it outright
  // leaves no normalisation for an attacker to get around.
  std::size_t at = 0;
  while (at <= d.path.size()) {
    auto end = d.path.find('/', at);
    if (end == std::string::npos) end = d.path.size();
    if (std::string_view(d.path).substr(at, end - at) == "..") {
      d.status = 400;
      return d;
    }
    at = end + 1;
  }
  return d;
}

bool has_hidden_segment(std::string_view path) noexcept {
  for (std::size_t at = 0; at < path.size(); ++at) {
    if (path[at] == '.' && (at == 0 || path[at - 1] == '/') && path.substr(at) != "." &&
        !path.substr(at).starts_with("./"))
      return true;
  }
  return false;
}

Opened open_below(int root, const std::string& relative, bool follow_symlinks) {
  Opened o;
  const char* name = relative.empty() ? "." : relative.c_str();
  int fd = -1;
  const std::uint64_t flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  if (follow_symlinks) {
    do {
      fd = ::openat(root, name, static_cast<int>(flags));
    } while (fd < 0 && errno == EINTR);
  } else {
    open_how how{};
    how.flags = flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    do {
      fd = static_cast<int>(::syscall(SYS_openat2, root, name, &how, sizeof how));
    } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  }
  if (fd < 0) {
    o.status = (errno == ENOENT || errno == ENOTDIR || errno == ENAMETOOLONG) ? 404 : 403;
    return o;
  }
  o.fd = UniqueFd(fd);
  if (::fstat(fd, &o.st) != 0)
    o.status = 403;
  else if (!S_ISREG(o.st.st_mode) && !S_ISDIR(o.st.st_mode))
    o.status = 403;
  return o;
}

namespace {

using TypeMap = std::unordered_map<std::string, std::string>;

TypeMap builtin_types() {
  return {{"html", "text/html"},
          {"htm", "text/html"},
          {"css", "text/css"},
          {"js", "text/javascript"},
          {"mjs", "text/javascript"},
          {"json", "application/json"},
          {"txt", "text/plain"},
          {"md", "text/markdown"},
          {"csv", "text/csv"},
          {"xml", "application/xml"},
          {"svg", "image/svg+xml"},
          {"png", "image/png"},
          {"jpg", "image/jpeg"},
          {"jpeg", "image/jpeg"},
          {"gif", "image/gif"},
          {"webp", "image/webp"},
          {"ico", "image/vnd.microsoft.icon"},
          {"pdf", "application/pdf"},
          {"zip", "application/zip"},
          {"gz", "application/gzip"},
          {"tar", "application/x-tar"},
          {"wasm", "application/wasm"},
          {"mp4", "video/mp4"},
          {"webm", "video/webm"},
          {"mp3", "audio/mpeg"},
          {"ogg", "audio/ogg"},
          {"woff", "font/woff"},
          {"woff2", "font/woff2"}};
}

// /etc/mime.types lines: "type ext ext ...", '#' comments. Read once per process.
const TypeMap& type_map() {
  static const TypeMap map = [] {
    TypeMap m = builtin_types();
    std::ifstream in("/etc/mime.types");
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream words(line);
      std::string type, ext;
      if (!(words >> type)) continue;
      while (words >> ext)
        m[ext] = type;
    }
    return m;
  }();
  return map;
}

}  // namespace

std::string_view content_type(std::string_view name) {
  const auto slash = name.rfind('/');
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return "application/octet-stream";
  std::string ext(name.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  const auto& map = type_map();
  const auto it = map.find(ext);
  if (it == map.end()) return "application/octet-stream";
  return it->second;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

namespace {

// A name as a relative URL: everything but unreserved characters percent-encoded.
std::string url_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

}  // namespace

std::string directory_listing(int dir, std::string_view url_path, bool show_hidden,
                              bool follow_symlinks) {
  struct Entry {
    std::string name;
    bool is_dir = false;
    long long size = 0;
  };
  std::vector<Entry> entries;
  const int copy = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (DIR* d = copy >= 0 ? ::fdopendir(copy) : nullptr) {
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name = e->d_name;
      if (name == "." || name == ".." || (!show_hidden && name.starts_with('.'))) continue;
      struct stat st {};
      if (::fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      // A link's target is only looked at when links may be followed: the size of a file
      // outside the root is not ours to tell.
      const bool link = S_ISLNK(st.st_mode);
      if (link && (!follow_symlinks || ::fstatat(dir, e->d_name, &st, 0) != 0)) {
        entries.push_back({std::string(name), false, -1});
        continue;
      }
      entries.push_back(
          {std::string(name), S_ISDIR(st.st_mode), static_cast<long long>(st.st_size)});
    }
    ::closedir(d);
  } else if (copy >= 0) {
    ::close(copy);
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
  const std::string title = html_escape(url_path);
  std::string page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of " +
                     title + "</title></head>\n<body><h1>Index of " + title + "</h1>\n<ul>\n";
  if (url_path != "/") page += "<li><a href=\"../\">../</a></li>\n";
  for (const auto& e : entries) {
    const std::string shown = html_escape(e.name) + (e.is_dir ? "/" : "");
    page += "<li><a href=\"" + url_escape(e.name) + (e.is_dir ? "/" : "") + "\">" + shown + "</a>";
    if (!e.is_dir && e.size >= 0) page += " " + std::to_string(e.size);
    page += "</li>\n";
  }
  page += "</ul></body></html>\n";
  return page;
}

std::optional<std::time_t> parse_http_date(std::string_view text) {
  // IMF-fixdate only (the two obsolete formats are not sent by current clients; an unparsable
  // date is ignored, as RFC 9110 §13.1.3 asks).
  if (text.size() != 29 || text.substr(25) != " GMT") return std::nullopt;
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  std::tm tm{};
  const std::string s(text);
  char month[4] = {};
  int day = 0, year = 0, h = 0, m = 0, sec = 0;
  if (std::sscanf(s.c_str() + 5, "%2d %3s %4d %2d:%2d:%2d", &day, month, &year, &h, &m, &sec) != 6)
    return std::nullopt;
  const auto mon = kMonths.find(std::string_view(month, 3));
  if (mon == std::string_view::npos || mon % 3 != 0) return std::nullopt;
  tm.tm_mday = day;
  tm.tm_mon = static_cast<int>(mon / 3);
  tm.tm_year = year - 1900;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  return ::timegm(&tm);
}

}  // namespace sockit::http_service
