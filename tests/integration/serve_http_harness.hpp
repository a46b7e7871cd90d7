// Helpers for the `sockit serve http` tests: a temporary document root made by the test, a
// server started on it, raw HTTP exchanges over a plain socket, and a small response splitter
// (written here, independent of the server's codec, so that a bug cannot hide on both sides).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "serve_harness.hpp"

namespace sockit::test {

/// A directory under /tmp, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/sockit-http-XXXXXX";
    if (::mkdtemp(name) != nullptr) path_ = name;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  /// Writes `content` to `relative` (parent directories made as needed).
  void write(const std::string& relative, std::string_view content) const {
    const std::filesystem::path p = path_ + "/" + relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
  }
  void mkdir(const std::string& relative) const {
    std::filesystem::create_directories(path_ + "/" + relative);
  }
  void symlink(const std::string& target, const std::string& relative) const {
    std::filesystem::create_symlink(target, path_ + "/" + relative);
  }

 private:
  std::string path_;
};

/// `sockit serve http 127.0.0.1 0 --root ROOT --model MODEL --quiet` plus `extra`.
inline ServeChild start_http(const std::string& root, const std::string& model,
                             const std::vector<std::string>& extra = {}, bool quiet = true) {
  std::vector<std::string> args = {"http", "127.0.0.1", "0", "--root", root, "--model", model};
  if (quiet) args.emplace_back("--quiet");
  args.insert(args.end(), extra.begin(), extra.end());
  return start_serve(args);
}

struct HttpReply {
  int status = 0;
  std::string head;  ///< status line and fields, without the Date field, CRLFs kept
  std::map<std::string, std::string> fields;  ///< lower-case names
  std::string body;
};

/// Splits `data` into responses. Bodies are framed by Content-Length only (all this server
/// sends); `bodiless[i]` marks the answer to a HEAD request. Stops at the first incomplete one.
inline std::vector<HttpReply> split_replies(std::string_view data,
                                            const std::vector<bool>& bodiless = {}) {
  std::vector<HttpReply> out;
  while (!data.empty()) {
    const auto end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) break;
    HttpReply r;
    std::string_view head = data.substr(0, end + 2);
    const auto first = head.find("\r\n");
    const std::string_view status_line = head.substr(0, first);
    if (status_line.size() < 12) break;
    r.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
    r.head = std::string(status_line) + "\r\n";
    for (std::size_t at = first + 2; at < head.size();) {
      const auto eol = head.find("\r\n", at);
      const std::string_view line = head.substr(at, eol - at);
      at = eol + 2;
      const auto colon = line.find(':');
      std::string name(line.substr(0, colon));
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.fields[name] = std::string(line.substr(colon + 2));
      if (name != "date") r.head += std::string(line) + "\r\n";
    }
    std::size_t length = 0;
    const bool no_body = (out.size() < bodiless.size() && bodiless[out.size()]) ||
                         r.status == 304 || r.status < 200 || r.status == 204;
    if (!no_body && r.fields.count("content-length") != 0)
      length = std::stoul(r.fields["content-length"]);
    if (data.size() < end + 4 + length) break;
    r.body = std::string(data.substr(end + 4, length));
    data.remove_prefix(end + 4 + length);
    out.push_back(std::move(r));
  }
  return out;
}

/// Sends `request` on a new connection and reads until the server closes (or `timeout`).
inline ReadResult http_exchange(int port, std::string_view request, Ms timeout = Ms(5000)) {
  Fd fd(tcp_connect(port));
  if (!fd.valid() || !send_all(fd.get(), request)) return {};
  return read_to_eof(fd.get(), timeout);
}

/// "GET target HTTP/1.1" with Host and Connection: close, plus `fields` (each ending CRLF).
inline std::string request_text(std::string_view target, std::string_view fields = {},
                                std::string_view method = "GET") {
  return std::string(method) + " " + std::string(target) +
         " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + std::string(fields) + "\r\n";
}

/// One request on its own connection, answered and closed.
inline HttpReply fetch(int port, std::string_view target, std::string_view fields = {},
                       std::string_view method = "GET") {
  const auto r = http_exchange(port, request_text(target, fields, method));
  auto replies = split_replies(r.data, {method == "HEAD"});
  return replies.size() == 1 ? replies[0] : HttpReply{};
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace sockit::test
