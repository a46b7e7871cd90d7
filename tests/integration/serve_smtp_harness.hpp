// Helpers for the `sockit serve smtp` tests: a temporary Maildir, a server started on it, the
// stored messages split into their Received: header and the bytes the client meant, a raw
// SMTP dialogue over a plain socket, and the Python clients in smtp_peer.py.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "serve_harness.hpp"

namespace sockit::test {

/// A directory under /tmp, removed with everything in it when the object goes.
class MailDir {
 public:
  MailDir() {
    char name[] = "/tmp/sockit-smtp-XXXXXX";
    if (::mkdtemp(name) != nullptr) path_ = name;
  }
  ~MailDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  MailDir(const MailDir&) = delete;
  MailDir& operator=(const MailDir&) = delete;
  /// The Maildir the server creates inside the temporary directory.
  std::string maildir() const { return path_ + "/mail"; }
  /// The files in new/, by name (ids sort by delivery time: SmtpStoreIds).
  std::vector<std::string> messages() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(maildir() + "/new", ec))
      names.push_back(e.path().string());
    std::sort(names.begin(), names.end());
    std::vector<std::string> out;
    for (const auto& n : names) {
      std::ifstream in(n, std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      out.push_back(s.str());
    }
    return out;
  }
  std::size_t tmp_files() const {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = std::filesystem::directory_iterator(maildir() + "/tmp", ec);
         it != std::filesystem::directory_iterator(); ++it)
      ++n;
    return n;
  }

 private:
  std::string path_;
};

/// A stored message split at the end of its Received: header (the line ending in "+0000").
struct Stored {
  std::string received;
  std::string body;
};
inline Stored split_stored(const std::string& message) {
  const auto end = message.find("+0000\r\n");
  if (!message.starts_with("Received: from ") || end == std::string::npos) return {"", message};
  return {message.substr(0, end + 7), message.substr(end + 7)};
}

/// `sockit serve smtp 127.0.0.1 0` plus `extra`.
inline ServeChild start_smtp(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"smtp", "127.0.0.1", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return start_serve(args);
}

/// Runs a scenario of smtp_peer.py against `port` with `input` on stdin.
inline RunResult smtp_peer(const std::string& scenario, int port, std::string_view input = {},
                           const std::vector<std::string>& args = {}) {
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   SOCKIT_SOURCE_DIR "/tests/integration/smtp_peer.py", scenario,
                                   std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input, Ms(15000));
}

/// Reads until the text ends with a complete reply line (a line whose code is followed by a
/// space) after `replies` such lines in all, EOF, or the deadline.
inline ReadResult read_replies(int fd, int replies, Ms timeout = Ms(5000)) {
  return read_until(
      fd,
      [replies](const std::string& d) {
        int done = 0;
        std::size_t at = 0;
        for (auto end = d.find("\r\n"); end != std::string::npos; end = d.find("\r\n", at)) {
          if (end - at >= 4 && d[at + 3] == ' ') ++done;
          at = end + 2;
        }
        return done >= replies;
      },
      timeout);
}

}  // namespace sockit::test
