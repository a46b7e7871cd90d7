#include "exit_codes.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "output.hpp"
#include "sockit/core/error.hpp"

namespace sockit::cli {

int exit_code_for(std::error_code ec) noexcept {
  if (!ec) return kExitOk;
  // A resolver deadline is both a DNS failure and a timeout; the timeout is the more useful
  // answer (the name may well exist), so it is tested first.
  if (is_timeout(ec)) return kExitTimeout;
  if (is_dns_error(ec)) return kExitDns;
  if (is_refused(ec)) return kExitRefused;
  return kExitNetwork;
}

namespace {

// Every line goes through one_line(): whatever a message carries from the command line, the
// OS or a library's reason, it stays one line without terminal controls.
void print_line(std::string_view prefix, std::string_view message) {
  const std::string line = std::string(prefix) + one_line(message) + "\n";
  std::fputs(line.c_str(), stderr);
}

}  // namespace

int report_error(std::error_code ec, std::string_view what, int port) {
  print_line("sockit: ", explain(ec, what, port));
  return exit_code_for(ec);
}

int usage_error(std::string_view message) {
  print_line("sockit: ", message);
  return kExitUsage;
}

void warn(std::string_view message) {
  print_line("sockit: warning: ", message);
}

void note(std::string_view message) {
  print_line("sockit: ", message);
}

void finish(int code) {
  std::fflush(stdout);
  if (code != kExitOk) throw CLI::RuntimeError(code);
}

std::string_view exit_codes_help() noexcept {
  return "Exit codes:\n"
         "  0  success\n"
         "  1  other network or I/O error\n"
         "  2  usage error (bad option, invalid address, port or range)\n"
         "  3  name resolution (DNS) failed\n"
         "  4  connection refused (nothing listens on that port)\n"
         "  5  timeout (connect, idle or resolve)\n";
}

}  // namespace sockit::cli
