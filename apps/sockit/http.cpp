// `sockit http URL...`: an HTTP/1.1 client with curl's flags (see docs/cli.md). This file
// declares the options and checks them; http_transfer.cpp runs the transfers, http_report.cpp
// prints -v, -w, --timing and the progress meter.
#include <CLI/CLI.hpp>

#include <limits>
#include <memory>

#include "arguments.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "http_args.hpp"
#include "http_transfer.hpp"

namespace sockit::cli {
namespace {

void add_request_options(CLI::App& cmd, HttpArgs& a) {
  cmd.add_option("-X,--request", a.method,
                 "Request method (default GET; POST with -d, PUT with -T)");
  cmd.add_option("-H,--header", a.headers, "Extra header 'Name: value' (repeatable)");
  cmd.add_option(
      "-d,--data", a.data,
      "POST this data (repeatable, joined by '&'; @FILE reads a file, newlines dropped)");
  cmd.add_option("--data-binary", a.data_binary, "POST this data exactly (@FILE: a file's bytes)");
  cmd.add_option("-T,--upload-file", a.upload, "PUT this file");
  cmd.add_flag("-I,--head", a.head, "HEAD request: show the response head, await no body");
  cmd.add_option("-u,--user", a.user, "USER:PASS for basic authentication");
  cmd.add_option("-A,--user-agent", a.user_agent, "User-Agent to send (default sockit/VERSION)");
  cmd.add_flag("--compressed", a.compressed, "Ask for gzip/deflate and decode the body");
}

void add_output_options(CLI::App& cmd, HttpArgs& a) {
  cmd.add_option("-o,--output", a.outputs, "Write the body to FILE (one per URL, in order)");
  cmd.add_flag("-O,--remote-name", a.remote_name, "Write each body to a file named as in its URL");
  cmd.add_flag("-i,--include", a.include, "Write the response head before the body");
  cmd.add_flag("-f,--fail", a.fail, "A status of 400 or more: no body, exit code 22");
  cmd.add_flag("-s,--silent", a.silent, "No progress meter and no error message");
  cmd.add_flag("-S,--show-error", a.show_error, "With -s: still print errors");
  cmd.add_flag("-v,--verbose", a.verbose, "Connection, TLS and both heads on stderr (> and <)");
  cmd.add_option("-w,--write-out", a.write_out,
                 "After each transfer print FORMAT (%{http_code} ...)");
  cmd.add_flag("--timing", a.timing,
               "Draw the phases (DNS, connect, TLS, server, transfer) on stderr");
}

void add_connection_options(CLI::App& cmd, HttpArgs& a) {
  cmd.add_flag("-L,--location", a.location, "Follow redirects");
  cmd.add_option("--max-redirs", a.max_redirs, "With -L: at most this many redirects")
      ->default_val(50)
      ->check(count_check(0, 1000));
  cmd.add_option("-m,--max-time", a.max_time_s,
                 "Seconds for each URL: DNS, connect, TLS and transfer (0 = no limit)")
      ->check(seconds_check());
  cmd.add_option("--connect-timeout", a.connect_timeout_s,
                 "Seconds for DNS, connect and TLS (0 = no limit)")
      ->check(seconds_check());
  cmd.add_option("--resolve", a.resolve, "HOST:PORT:ADDR: connect there for HOST:PORT");
  a.family.add_to(cmd);
  cmd.add_flag("-k,--insecure", a.insecure, "https: do not verify the certificate or name");
  cmd.add_option("--cacert", a.cacert, "https: trust the CAs in this PEM file");
}

}  // namespace

void add_http_command(CLI::App& app) {
  auto args = std::make_shared<HttpArgs>();
  CLI::App* cmd = app.add_subcommand("http", "HTTP/1.1 client with curl's flags and a timing view");
  take_positionals(*cmd,
                   {"URL...",
                    1,
                    std::numeric_limits<std::size_t>::max(),
                    {{"URL", "http:// or https:// URL (http:// if none)"}}},
                   args->urls);
  add_request_options(*cmd, *args);
  add_output_options(*cmd, *args);
  add_connection_options(*cmd, *args);
  cmd->footer(
      "Examples:\n"
      "  sockit http -i http://127.0.0.1:8080/\n"
      "  sockit http -sS -o file.iso -w '%{http_code} %{speed_download}\\n' https://host/file.iso\n"
      "  sockit http --timing -o /dev/null https://example.org/\n"
      "  sockit http -L -d 'a=1' http://127.0.0.1:8080/form\n"
      "Exit codes beyond the common ones: 18 the body ended early (partial transfer),\n"
      "22 -f and a status of 400 or more.\n");
  cmd->callback([args] { finish(run_http(*args)); });
}

}  // namespace sockit::cli
