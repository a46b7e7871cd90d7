// Peers for the `sockit mail` tests: aiosmtpd (mail_aiosmtpd.py) storing the exact bytes it
// received, and the scripted fake server (mail_fake_server.py); both /usr/bin/python3 on
// 127.0.0.1 port 0.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_tls_support.hpp"

namespace sockit::test {

inline std::string mail_script(const char* name) {
  return std::string(SOCKIT_SOURCE_DIR) + "/tests/integration/" + name;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Every line ending as CRLF and a final CRLF: what a server stores for `text` sent by sockit.
inline std::string as_crlf(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

struct AioSmtpd {
  ScratchDir dir;
  std::string out = [this] {
    const std::string keep = dir.write(".keep", "");
    return keep.substr(0, keep.rfind('/'));
  }();
  Process process;
  int port = 0;

  explicit AioSmtpd(std::vector<std::string> extra = {})
      : process([&] {
          std::vector<std::string> argv{"/usr/bin/python3", mail_script("mail_aiosmtpd.py"),
                                        "--out", out};
          argv.insert(argv.end(), extra.begin(), extra.end());
          return argv;
        }()) {
    if (process.wait_stdout("\n", milliseconds(10000))) port = port_after(process.out(), "PORT ");
  }
  std::string url(const std::string& scheme = "smtp") const {
    return scheme + "://127.0.0.1:" + std::to_string(port);
  }
  /// Message n (1-based) once stored, waiting up to 5 s; nullopt if it never comes.
  std::optional<std::string> message(int n) const {
    const std::string path = out + "/msg" + std::to_string(n);
    for (int i = 0; i < 500; ++i) {
      if (std::filesystem::exists(path)) return slurp(path);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }
  std::string envelope(int n) const { return slurp(out + "/msg" + std::to_string(n) + ".env"); }
  /// Messages stored so far (no waiting).
  int count() const {
    int n = 0;
    while (std::filesystem::exists(out + "/msg" + std::to_string(n + 1)))
      ++n;
    return n;
  }
};

struct FakeSmtp {
  Process process;
  int port = 0;
  explicit FakeSmtp(std::vector<std::string> args)
      : process([&] {
          std::vector<std::string> argv{"/usr/bin/python3", mail_script("mail_fake_server.py")};
          argv.insert(argv.end(), args.begin(), args.end());
          return argv;
        }()) {
    if (process.wait_stdout("\n", milliseconds(10000))) port = port_after(process.out(), "PORT ");
  }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port); }
  std::string where() const { return "127.0.0.1 port " + std::to_string(port); }
};

}  // namespace sockit::test
