// Helpers for the `sockit http` tests: the scripted misbehaving server
// (tests/integration/http_misbehave.py) and a short way to run the client.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace sockit::test {

/// /usr/bin/python3 http_misbehave.py, started and waited for ("PORT n" on its stdout).
class MisbehavingServer {
 public:
  /// With `cert` and `key` (PEM files) it speaks TLS.
  explicit MisbehavingServer(const std::string& cert = {}, const std::string& key = {}) {
    std::vector<std::string> argv{"/usr/bin/python3", std::string(SOCKIT_SOURCE_DIR) +
                                                          "/tests/integration/http_misbehave.py"};
    if (!cert.empty()) argv.insert(argv.end(), {cert, key});
    https_ = !cert.empty();
    process_ = std::make_unique<Process>(argv);
    if (process_->wait_stdout("\n", milliseconds(10000))) {
      const auto& out = process_->out();
      if (out.starts_with("PORT ")) port_ = std::atoi(out.c_str() + 5);
    }
  }
  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return (https_ ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_) + path;
  }

 private:
  std::unique_ptr<Process> process_;
  int port_ = 0;
  bool https_ = false;
};

/// `sockit http ARGS...`.
inline RunResult sockit_http(std::vector<std::string> args,
                             milliseconds timeout = milliseconds(20000)) {
  args.insert(args.begin(), {sockit_bin(), "http"});
  return run(args, {}, timeout);
}

}  // namespace sockit::test
