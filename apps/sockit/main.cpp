// sockit: one binary, one subcommand per file in this directory (see commands.hpp).
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "arguments.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "output.hpp"
#include "sockit_build_info.hpp"

namespace {

using sockit::cli::quote_arg;

constexpr const char* kHint = "Run with --help for more information.\n";

// Everything a parse error prints: the reason on one line, then where to read more.
int parse_error(std::string_view message) {
  sockit::cli::usage_error(message);
  std::fputs(kHint, stderr);
  return sockit::cli::kExitUsage;
}

// Whether the command line asks for JSON (before any "--"): a line that fails to parse never
// reaches the command, yet a script that passed --json still reads its failure from stdout.
bool wants_json(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--json") return true;
  }
  return false;
}

// `sockit help [COMMAND]`: the same text as `sockit [COMMAND] --help`.
void add_help_command(CLI::App& app) {
  auto topic = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("help", "Show this help, or a command's options and examples");
  sockit::cli::take_positionals(*cmd, {"[COMMAND]", 0, 1, {{"COMMAND", "One of the commands"}}},
                                *topic);
  cmd->callback([&app, topic] {
    const CLI::App* target = &app;
    std::string name = app.get_name();
    if (!topic->empty()) {
      const std::string& wanted = topic->front();
      const auto found = app.get_subcommands([&wanted](const CLI::App* sub) {
        return !sub->get_name().empty() && sub->check_name(wanted);
      });
      if (found.empty())
        throw CLI::ParseError("unknown command " + quote_arg(wanted), sockit::cli::kExitUsage);
      target = found.front();
      name += " " + target->get_name();
    }
    sockit::cli::print(app.get_formatter()->make_help(target, name, CLI::AppFormatMode::Normal));
  });
}

void register_commands(CLI::App& app) {
  sockit::cli::add_ip_command(app);
  sockit::cli::add_resolve_command(app);
  sockit::cli::add_connect_command(app);
  sockit::cli::add_scan_command(app);
  sockit::cli::add_listen_command(app);
  sockit::cli::add_serve_command(app);
  sockit::cli::add_mail_command(app);
  sockit::cli::add_http_command(app);
  sockit::cli::add_bench_command(app);
  sockit::cli::add_ftp_command(app);
  add_help_command(app);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    sub->group("Commands");  // CLI11 would head the list "Subcommands"
  sockit::cli::tame_list_options(app);
}

// Words CLI11 could not place at the top level: an unknown command or option, or arguments
// after "--" (which the subcommands do not take).
int report_leftovers(const CLI::App& app, const CLI::ExtrasError& e) {
  const std::vector<std::string> left = app.remaining();
  if (left.empty()) return parse_error(e.what());
  const std::string& first = left.front();
  if (first.size() > 1 && first[0] == '-') return parse_error("unknown option " + quote_arg(first));
  if (app.get_subcommands().empty()) return parse_error("unknown command " + quote_arg(first));
  return parse_error("unexpected argument " + quote_arg(first));
}

// CLI11 says "--unixsock: 1 required TEXT missing" for an option left without its value.
std::string missing_value(std::string message) {
  const auto colon = message.find(": ");
  if (colon == std::string::npos || !message.ends_with(" missing")) return message;
  return message.substr(0, colon) + " needs a value";
}

}  // namespace

int main(int argc, char** argv) {
  // A closed stdout (`sockit connect ... | head`) must show up as EPIPE from write(), which the
  // bridge treats as the end of the session, not as a signal that kills the process.
  std::signal(SIGPIPE, SIG_IGN);
  // Named here, not taken from argv[0]: help shows "sockit connect", not a build path.
  CLI::App app{"sockit: build, test and debug TCP/UDP clients and servers", "sockit"};
  app.formatter(sockit::cli::make_help_formatter());  // before the subcommands: they copy it
  // Three lines: "sockit X.Y.Z", "commit: <12 hex digits|unknown>", "features: a b c".
  app.set_version_flag("--version", sockit::build_info::kVersionText);
  app.require_subcommand(0, 1);
  app.footer(std::string("Run 'sockit help <command>' for a command's options and examples.\n\n") +
             std::string(sockit::cli::exit_codes_help()));
  register_commands(app);
  sockit::cli::set_json_errors(wants_json(argc, argv));
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
  } catch (const CLI::ExtrasError& e) {
    return report_leftovers(app, e);
  } catch (const CLI::ArgumentMismatch& e) {
    return parse_error(missing_value(e.what()));
  } catch (const CLI::ParseError& e) {
    return parse_error(e.what());
  }
  if (app.get_subcommands().empty()) std::fputs(app.help().c_str(), stdout);
  return sockit::cli::kExitOk;
}
