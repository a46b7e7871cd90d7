// The sockit tool's exit codes and the one way a command reports a failure: a single line on
// stderr ("sockit: <what failed>: <the OS's words> (<likely cause>)") and a documented code.
// The table is repeated in `sockit --help` and docs/cli.md; keep the three in step.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>
#include <system_error>

namespace sockit::cli {

inline constexpr int kExitOk = 0;       ///< success
inline constexpr int kExitNetwork = 1;  ///< any other network or I/O error
inline constexpr int kExitUsage = 2;    ///< bad command line or invalid input text
inline constexpr int kExitDns = 3;      ///< name resolution failed
inline constexpr int kExitRefused = 4;  ///< connection refused (nothing listens there)
inline constexpr int kExitTimeout = 5;  ///< connect, idle, resolve or TLS handshake timeout
inline constexpr int kExitTls = 6;      ///< TLS failed: handshake, certificate, alert, truncation

// `sockit mail`: what an SMTP server answered (issue 14).
inline constexpr int kExitMailRefused = 7;  ///< refused for good (5xx): rcpt, sender, auth, size
inline constexpr int kExitMailLater = 8;    ///< refused for now (4xx, 421): try again later
// `sockit ftp` and `sockit http` (curl's numbers for the same failures).
inline constexpr int kExitRemoteFile =
    9;  ///< ftp: the server refused a remote file: none, or no access
inline constexpr int kExitPartial = 18;      ///< a body or transfer ended short; what came is kept
inline constexpr int kExitHttpError = 22;    ///< http -f/--fail and a status of 400 or more
inline constexpr int kExitBadResume = 36;    ///< ftp -C: nothing to resume from that offset
inline constexpr int kExitLoginDenied = 67;  ///< ftp: the server refused the user name or password

/// The exit code that matches an error's class (DNS, refused, timeout, TLS, else network).
int exit_code_for(std::error_code ec) noexcept;

/// Prints "sockit: <explain(ec, what, port)>" to stderr and returns exit_code_for(ec). A TLS
/// error gets the tool's fix as its cause (tls_cause(); `tls_server`: it happened in a server).
int report_error(std::error_code ec, std::string_view what, int port = -1, bool tls_server = false);

/// report_error() with a cause the tool knows better than likely_cause() can (a Unix path in
/// use): "sockit: <what>: <the OS's words> (<cause>)".
int report_error_because(std::error_code ec, std::string_view what, std::string_view cause);

/// Prints "sockit: <message>" (and the --json failure document) and returns `code`: for a
/// failure the tool explains itself (an FTP reply and what it means).
int report_failure(std::string_view message, int code);

/// Prints "sockit: <message>" to stderr and returns kExitUsage.
int usage_error(std::string_view message);

/// Turned on by --json (each command's first step; main() for a command line that does not
/// parse): from then on report_error() and usage_error() also print the failure as one JSON
/// document on stdout, {"error": "<the stderr line without 'sockit: '>", "kind": "usage",
/// "exit_code": 2}, so a script reading stdout gets JSON whatever happened.
void set_json_errors(bool on) noexcept;

/// The word for an exit code in that document: "ok", "network", "usage", "dns", "refused",
/// "timeout", "tls", and the protocol commands' "mail-refused", "mail-later", "remote-file",
/// "partial", "http" and "login-denied".
std::string_view exit_kind(int code) noexcept;

/// report_error() for a command whose --json failure document says more than the error:
/// adds "error", "kind" and "exit_code" to `doc`, prints it on stdout, and the usual line on
/// stderr. Returns the exit code.
int report_error_in(nlohmann::json doc, std::error_code ec, std::string_view what, int port = -1);

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
