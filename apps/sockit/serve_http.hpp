// The options of `sockit serve http` (serve.cpp adds them to `serve` and calls build_http).
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/server/server.hpp"

namespace sockit::cli {

struct HttpFlags {
  std::string root = ".";
  bool no_plaintext = false, follow_symlinks = false, show_hidden = false;
  bool json = false, quiet = false;
  double header_timeout_s = 10, keepalive_timeout_s = 75;
  std::size_t max_requests = 1000;
  std::uint64_t max_body = std::uint64_t{1} << 20;
  std::vector<CLI::Option*> given;  // to refuse them for other services
};

void add_http_flags(CLI::App& cmd, HttpFlags& flags);

/// True when an http-only option was given.
bool http_flags_given(const HttpFlags& flags);

/// The http service from the flags, with its limits in `options`; "" or a usage error in
/// `usage`. Access-log lines go to `log` (any thread).
std::unique_ptr<Service> build_http(const HttpFlags& flags, ServerOptions& options,
                                    std::function<void(std::string_view)> log, std::string* usage);

}  // namespace sockit::cli
