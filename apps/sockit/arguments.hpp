// The command line's positional arguments, hosts and ports: taken exactly as typed and checked
// in one place for every subcommand, before anything runs.
//
// CLI11 rewrites the values of any option that holds a list: "[a,b]" becomes two values and
// "[]" none (Option::_add_result, whenever allow_extra_args is on, as it is for every vector).
// So no subcommand gives CLI11 a positional option: each declares its positionals here, CLI11
// keeps them aside untouched (allow_extras), and they are handed over verbatim once parsing is
// done. Options that hold lists lose allow_extra_args (tame_list_options), which ends the
// bracket rewriting and keeps "--allow A 0" from swallowing the 0.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sockit::cli {

/// What a subcommand takes after its options, for parsing and for its help.
struct PositionalSpec {
  std::string usage;  ///< as the usage line shows them: "[HOST] PORT"
  std::size_t least = 0;
  std::size_t most = std::numeric_limits<std::size_t>::max();
  std::vector<std::pair<std::string, std::string>> rows;  ///< name and help, for "Arguments:"
};

/// `cmd` takes its positional arguments verbatim into `out` (cleared first). An unknown option,
/// an argument past `spec.most` or fewer than `spec.least` is a usage error (a CLI::ParseError
/// raised while parsing, so nothing runs). `out` must live as long as `cmd`.
void take_positionals(CLI::App& cmd, PositionalSpec spec, std::vector<std::string>& out);

/// The same, one argument per string in order; spec.most is the number of slots.
void take_positionals(CLI::App& cmd, PositionalSpec spec, std::vector<std::string*> slots);

/// Turns off allow_extra_args on every option of `app` and its subcommands that holds a list.
void tame_list_options(CLI::App& app);

/// Help that shows each subcommand's positionals as declared above: "Usage: sockit listen
/// [OPTIONS] [HOST] PORT" and an "Arguments:" section.
std::shared_ptr<CLI::Formatter> make_help_formatter();

/// Where a port is used: connecting needs 1..65535; binding also takes 0 (any free port).
enum class PortUse { connect, bind };

/// Checks a port as typed; returns "" when it is fine, else the usage message, e.g.
/// "invalid port '70000': must be a number from 0 to 65535".
std::string port_problem(std::string_view text, PortUse use);

/// Checks a host as typed: a dotted quad that is a real IPv4 address, an IPv6 address (bare or
/// in brackets) whose zone names an interface of this machine, or a name without control
/// characters of at most 253 characters. Returns "" when fine, else the usage message, e.g.
/// "1.2.3.400: octet 4 is 400, above 255". Text that only looks like a name is left to DNS.
std::string host_problem(std::string_view text);

/// -n (nc, ncat: no DNS): a host that passed host_problem() must also be an address, not a
/// name. Returns "" for an address, else "-n: 'example.com' is a name; -n takes only numeric
/// addresses".
std::string numeric_host_problem(std::string_view text);

}  // namespace sockit::cli
