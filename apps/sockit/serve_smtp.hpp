// The options of `sockit serve smtp` (serve.cpp adds them to `serve` and calls build_smtp).
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "operator_output.hpp"
#include "serve_http.hpp"
#include "sockit/server/server.hpp"

namespace sockit::cli {

struct SmtpFlags {
  std::string maildir, auth, hostname = "sockit.localhost";
  bool to_stdout = false;
  std::uint64_t max_size = std::uint64_t{10} << 20;
  std::size_t max_rcpts = 100;
  // RFC 5321 §4.5.3.2: a server waits at least 5 minutes for a command; a whole message gets
  // the client's DATA-termination allowance, 10 minutes.
  double command_timeout_s = 300, data_timeout_s = 600;
  std::vector<CLI::Option*> given;  // to refuse them for other services
};

void add_smtp_flags(CLI::App& cmd, SmtpFlags& flags);

/// True when an smtp-only option was given.
bool smtp_flags_given(const SmtpFlags& flags);

/// True when an http option other than --json and --quiet (which smtp shares) was given.
bool http_flags_besides_log_given(const HttpFlags& flags);

/// The smtp service from the flags, with its deadlines in `options`; TLS configured in
/// `options` (by configure_serve_tls) becomes STARTTLS. Log lines go to `log_out` (stdout, or
/// stderr with --stdout), messages with --stdout to `mail_out`; both are created here and must
/// outlive the service. `json`/`quiet` are serve's --json/--quiet. "" or a usage error in
/// `usage`.
std::unique_ptr<Service> build_smtp(const SmtpFlags& flags, bool json, bool quiet,
                                    ServerOptions& options,
                                    std::unique_ptr<OperatorOutput>& log_out,
                                    std::unique_ptr<OperatorOutput>& mail_out, std::string* usage);

}  // namespace sockit::cli
