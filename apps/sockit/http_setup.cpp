#include "http_setup.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "output.hpp"
#include "sockit_build_info.hpp"

namespace sockit::cli {
namespace {

bool read_file(const std::string& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char chunk[64 * 1024];
  ssize_t n = 0;
  while ((n = ::read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return n == 0;
}

// -d: "@FILE" reads the file and drops CR and LF (curl's rule for -d), "@-" is stdin.
std::string data_problem(const HttpArgs& a, http::Request& r) {
  for (std::size_t i = 0; i < a.data.size(); ++i) {
    std::string piece = a.data[i];
    if (piece.starts_with('@')) {
      std::string content;
      const std::string path = piece.substr(1) == "-" ? "/dev/stdin" : piece.substr(1);
      if (!read_file(path, content))
        return fmt::format("-d {}: cannot read the file", show_arg(piece));
      std::erase(content, '\r');
      std::erase(content, '\n');
      piece = content;
    }
    if (i > 0) r.body += '&';
    r.body += piece;
  }
  for (const auto& piece : a.data_binary) {
    if (!r.body.empty()) r.body += '&';
    if (!piece.starts_with('@')) {
      r.body += piece;
      continue;
    }
    const std::string path = piece.substr(1) == "-" ? "/dev/stdin" : piece.substr(1);
    if (a.data_binary.size() == 1 && a.data.empty() && path != "/dev/stdin") {
      r.body_file = path;  // streamed from the file as it is sent
      std::ifstream probe(path, std::ios::binary);
      if (!probe) return fmt::format("--data-binary {}: cannot read the file", show_arg(piece));
      continue;
    }
    std::string content;
    if (!read_file(path, content))
      return fmt::format("--data-binary {}: cannot read the file", show_arg(piece));
    r.body += content;
  }
  return {};
}

// -H "Name: value" adds; "Name:" removes a header the tool would send; "Name;" sends it empty.
std::string header_problem(const HttpArgs& a, http::Fields& fields) {
  std::size_t defaults = fields.size();  // the tool's own fields come first
  for (const auto& h : a.headers) {
    const auto colon = h.find(':');
    const auto semi = h.find(';');
    if (colon == std::string::npos && semi != std::string::npos && semi + 1 == h.size()) {
      fields.push_back({h.substr(0, semi), ""});
      continue;
    }
    if (colon == 0 || colon == std::string::npos)
      return fmt::format("-H {}: not 'Name: value'", quote_arg(h));
    const std::string name = h.substr(0, colon);
    std::string value = h.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.erase(0, 1);
    // The user's value replaces the tool's; an empty one only removes it.
    for (std::size_t i = 0; i < defaults;) {
      if (http_iequals(fields[i].name, name)) {
        fields.erase(fields.begin() + static_cast<std::ptrdiff_t>(i));
        --defaults;
      } else {
        ++i;
      }
    }
    if (!value.empty()) fields.push_back({name, value});
  }
  return {};
}

std::string resolve_problem(const HttpArgs& a, http::ClientOptions& o) {
  for (const auto& entry : a.resolve) {
    const auto first = entry.find(':');
    const auto second = first == std::string::npos ? first : entry.find(':', first + 1);
    const auto bad = fmt::format("--resolve {}: not HOST:PORT:ADDRESS", quote_arg(entry));
    if (second == std::string::npos) return bad;
    std::string addr = entry.substr(second + 1);
    if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']')
      addr = addr.substr(1, addr.size() - 2);
    auto ip = IpAddress::parse(addr);
    const std::string port = entry.substr(first + 1, second - first - 1);
    int value = 0;
    for (const char c : port)
      value = (c >= '0' && c <= '9' && value < 65536) ? value * 10 + (c - '0') : 70000;
    if (!ip || port.empty() || value < 1 || value > 65535 || first == 0) return bad;
    o.resolve.push_back({entry.substr(0, first), static_cast<std::uint16_t>(value), *ip});
  }
  return {};
}

}  // namespace

std::string basic_auth(std::string_view userinfo) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "Basic ";
  auto byte = [&](std::size_t k) -> std::uint32_t {
    return k < userinfo.size() ? static_cast<unsigned char>(userinfo[k]) : 0U;
  };
  for (std::size_t i = 0; i < userinfo.size(); i += 3) {
    const std::uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    const std::size_t left = userinfo.size() - i;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += left > 1 ? kAlphabet[(n >> 6) & 63] : '=';
    out += left > 2 ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::string remote_file_name(const http::Url& url) {
  const std::string path = url.target.substr(0, url.target.find('?'));
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string prepare_http(const HttpArgs& a, RequestTemplate& t, http::ClientOptions& o) {
  http::Request& r = t.request;
  if (!a.upload.empty() && (!a.data.empty() || !a.data_binary.empty()))
    return "-T uploads a file; -d/--data-binary send data: pick one";
  if (a.head && (!a.data.empty() || !a.data_binary.empty() || !a.upload.empty()))
    return "-I sends HEAD, which has no body: drop -d/--data-binary/-T";
  if (!a.outputs.empty() && a.remote_name) return "-o and -O both name the output: pick one";
  if (a.outputs.size() > a.urls.size()) return "more -o files than URLs";
  if (auto why = data_problem(a, r); !why.empty()) return why;
  if (!a.upload.empty()) {
    std::ifstream probe(a.upload, std::ios::binary);
    if (!probe) return fmt::format("-T {}: cannot read the file", show_arg(a.upload));
    r.body_file = a.upload;
  }
  const bool has_data = !a.data.empty() || !a.data_binary.empty();
  r.method = a.head ? "HEAD" : !a.upload.empty() ? "PUT" : has_data ? "POST" : "GET";
  r.empty_body_has_length = has_data;
  if (!a.method.empty()) {
    r.method = a.method;
    t.method_forced = true;
  }
  r.headers = {{"User-Agent", a.user_agent.empty() ? std::string("sockit/") + build_info::kVersion
                                                   : a.user_agent},
               {"Accept", "*/*"}};
  if (a.compressed) r.headers.push_back({"Accept-Encoding", "deflate, gzip"});
  if (has_data) r.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  if (auto why = header_problem(a, r.headers); !why.empty()) return why;
  if (!a.user.empty()) t.auth = basic_auth(a.user);
  if (auto why = resolve_problem(a, o); !why.empty()) return why;
  o.family = a.family.hint();
  o.connect_timeout = to_millis(a.connect_timeout_s);
  return {};
}

}  // namespace sockit::cli
