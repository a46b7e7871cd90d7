#include "exit_codes.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "output.hpp"
#include "sockit/core/error.hpp"
#include "sockit/tls/error.hpp"
#include "tls_options.hpp"

namespace sockit::cli {

int exit_code_for(std::error_code ec) noexcept {
  if (!ec) return kExitOk;
  // A resolver deadline is both a DNS failure and a timeout; the timeout is the more useful
  // answer (the name may well exist), so it is tested first.
  if (is_timeout(ec)) return kExitTimeout;
  if (is_dns_error(ec)) return kExitDns;
  if (is_refused(ec)) return kExitRefused;
  if (ec.category() == tls_category()) return kExitTls;
  return kExitNetwork;
}

namespace {

// Every line goes through one_line(): whatever a message carries from the command line, the
// OS or a library's reason, it stays one line without terminal controls.
void print_line(std::string_view prefix, std::string_view message) {
  const std::string line = std::string(prefix) + one_line(message) + "\n";
  std::fputs(line.c_str(), stderr);
}

// explain() for every category; a TLS error in a server gets the server's cause (explain()
// gives the client's).
std::string describe(std::error_code ec, std::string_view what, int port, bool tls_server) {
  if (ec.category() != tls_category()) return explain(ec, what, port);
  std::string line = std::string(what) + ": " + ec.message();
  if (auto cause = tls_cause(ec, tls_server); !cause.empty())
    line += " (" + std::string(cause) + ")";
  return line;
}

bool g_json_errors = false;  // one command runs per process; set before anything can fail

void add_error_fields(nlohmann::json& doc, std::string_view message, int code) {
  doc["error"] = one_line(message);
  doc["kind"] = exit_kind(code);
  doc["exit_code"] = code;
}

// The stderr line, and with --json the failure document on stdout.
int fail_with(std::string_view message, int code) {
  print_line("sockit: ", message);
  if (g_json_errors) {
    nlohmann::json doc = nlohmann::json::object();
    add_error_fields(doc, message, code);
    print_json(doc);
  }
  return code;
}

}  // namespace

void set_json_errors(bool on) noexcept {
  g_json_errors = on;
}

std::string_view exit_kind(int code) noexcept {
  switch (code) {
    case kExitOk:
      return "ok";
    case kExitNetwork:
      return "network";
    case kExitUsage:
      return "usage";
    case kExitDns:
      return "dns";
    case kExitRefused:
      return "refused";
    case kExitTimeout:
      return "timeout";
    case kExitTls:
      return "tls";
    case kExitMailRefused:
      return "mail-refused";
    case kExitMailLater:
      return "mail-later";
    case kExitRemoteFile:
      return "remote-file";
    case kExitPartial:
      return "partial";
    case kExitHttpError:
      return "http";
    case kExitBadResume:
      return "bad-resume";
    case kExitLoginDenied:
      return "login-denied";
    default:
      return "network";
  }
}

int report_error(std::error_code ec, std::string_view what, int port, bool tls_server) {
  return fail_with(describe(ec, what, port, tls_server), exit_code_for(ec));
}

int report_error_because(std::error_code ec, std::string_view what, std::string_view cause) {
  return fail_with(std::string(what) + ": " + ec.message() + " (" + std::string(cause) + ")",
                   exit_code_for(ec));
}

int report_error_in(nlohmann::json doc, std::error_code ec, std::string_view what, int port) {
  const std::string message = describe(ec, what, port, false);
  const int code = exit_code_for(ec);
  add_error_fields(doc, message, code);
  print_json(doc);
  print_line("sockit: ", message);
  return code;
}

int report_failure(std::string_view message, int code) {
  return fail_with(message, code);
}

int usage_error(std::string_view message) {
  return fail_with(message, kExitUsage);
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
         "  5  timeout (connect, idle, resolve or TLS handshake)\n"
         "  6  TLS failed (handshake, certificate, alert, truncated stream)\n"
         "  7  mail: the SMTP server refused for good (5xx)\n"
         "  8  mail: the SMTP server refused for now (4xx): try again later\n"
         "  9  ftp: remote file refused (no such file, or no permission)\n"
         " 18  http, ftp: a body or transfer ended short (what arrived is kept)\n"
         " 22  http -f: the server answered with a status of 400 or more\n"
         " 36  ftp -C: cannot resume (the remote file is bigger than the local one)\n"
         " 67  ftp: login denied (wrong user name or password)\n";
}

}  // namespace sockit::cli
