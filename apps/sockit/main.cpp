// sockit: one binary, one subcommand per file in this directory (see commands.hpp).
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "exit_codes.hpp"

namespace {

constexpr const char* kVersion = "sockit 0.1.0";

void register_commands(CLI::App& app) {
  sockit::cli::add_ip_command(app);
  sockit::cli::add_resolve_command(app);
  sockit::cli::add_connect_command(app);
  sockit::cli::add_scan_command(app);
  sockit::cli::add_listen_command(app);
  sockit::cli::add_serve_command(app);
  sockit::cli::add_bench_command(app);
}

}  // namespace

int main(int argc, char** argv) {
  // A closed stdout (`sockit connect ... | head`) must show up as EPIPE from write(), which the
  // bridge treats as the end of the session, not as a signal that kills the process.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"sockit: build, test and debug TCP/UDP clients and servers"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(0, 1);
  app.footer(
      std::string("Run 'sockit <command> --help' for a command's options and examples.\n\n") +
      std::string(sockit::cli::exit_codes_help()));
  register_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a command's own failure, already reported
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    sockit::cli::usage_error(e.what());
    std::fputs("Run with --help for more information.\n", stderr);
    return sockit::cli::kExitUsage;
  }
  if (app.get_subcommands().empty()) std::fputs(app.help().c_str(), stdout);
  return sockit::cli::kExitOk;
}
