// The sockit tool's exit codes and the one way a command reports a failure: a single line on
// stderr ("sockit: <what failed>: <the OS's words> (<likely cause>)") and a documented code.
// The table is repeated in `sockit --help` and docs/cli.md; keep the three in step.
#pragma once

#include <string_view>
#include <system_error>

namespace sockit::cli {

inline constexpr int kExitOk = 0;       ///< success
inline constexpr int kExitNetwork = 1;  ///< any other network or I/O error
inline constexpr int kExitUsage = 2;    ///< bad command line or invalid input text
inline constexpr int kExitDns = 3;      ///< name resolution failed
inline constexpr int kExitRefused = 4;  ///< connection refused (nothing listens there)
inline constexpr int kExitTimeout = 5;  ///< connect, idle or resolve timeout

/// The exit code that matches an error's class (DNS, refused, timeout, else network).
int exit_code_for(std::error_code ec) noexcept;

/// Prints "sockit: <explain(ec, what, port)>" to stderr and returns exit_code_for(ec).
int report_error(std::error_code ec, std::string_view what, int port = -1);

/// Prints "sockit: <message>" to stderr and returns kExitUsage.
int usage_error(std::string_view message);

/// Prints "sockit: warning: <message>" to stderr.
void warn(std::string_view message);

/// Prints "sockit: <message>" to stderr: progress for people (-v, "listening on ...").
void note(std::string_view message);

/// Ends a subcommand callback with `code`. A nonzero code leaves CLI11's parse as a
/// CLI::RuntimeError, which main() returns as the process exit code without printing.
void finish(int code);

/// The exit-code table as shown at the end of `sockit --help`.
std::string_view exit_codes_help() noexcept;

}  // namespace sockit::cli
