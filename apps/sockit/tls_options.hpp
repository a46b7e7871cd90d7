// --ssl and its companions for `connect` and `listen` (ncat's spellings where ncat has them),
// the checks that turn a contradictory or unreadable TLS option into a usage error before
// anything connects, and the fix the tool adds to a TLS failure.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/core/error.hpp"
#include "sockit/tls/context.hpp"
#include "sockit/tls/session.hpp"

namespace sockit::cli {

/// The TLS flags of one command. `connect` takes the client's, `listen` the server's.
struct TlsFlags {
  bool ssl = false;
  std::string cacert;                 ///< --cacert / --ssl-trustfile FILE
  std::string servername;             ///< --ssl-servername NAME
  std::string alpn;                   ///< --ssl-alpn LIST (comma separated)
  std::string cert;                   ///< --ssl-cert FILE
  std::string key;                    ///< --ssl-key FILE
  std::string pin;                    ///< --pin-sha256 FP
  std::string verify_client;          ///< listen --ssl-verify-client CAFILE
  bool insecure = false;              ///< connect -k / --insecure
  double handshake_timeout_s = 10.0;  ///< listen --ssl-handshake-timeout

  void add_to_connect(CLI::App& cmd);
  void add_to_listen(CLI::App& cmd);
  /// A usage message for options that cannot work (given without --ssl, a key without its
  /// certificate, an unreadable file, a malformed pin, -k beside a pin), else "".
  std::string problem() const;
  /// The contexts; a failure is a usage message naming the option at fault.
  Result<TlsClientContext> client_context(std::string& usage) const;
  Result<TlsServerContext> server_context(std::string& usage) const;
  /// The name to verify and send as SNI: --ssl-servername, else `host`.
  std::string peer_name(std::string_view host) const;
  /// One line for -v and -z: how the peer's certificate was checked (call after a handshake).
  std::string verification(std::string_view name) const;
};

/// The stderr line (without "sockit: ") announcing a generated certificate and its SHA-256
/// fingerprint, for a client to pin; the same for every command that serves TLS.
std::string generated_certificate_note(const TlsServerContext& context);

/// The likely cause and fix of a TLS failure ("... use --cacert FILE for a private CA, or -k to
/// skip verification"), or "" when there is none to add: tls_likely_cause(), the table explain()
/// reads. `server`: the failure happened in `listen --ssl` (the peer is a client).
std::string_view tls_cause(std::error_code ec, bool server) noexcept;

/// The session's summary for -v and -z, one line each without a prefix: protocol and cipher,
/// ALPN, the peer certificate's subject, issuer, SANs, validity and days left, and
/// `verification`.
std::vector<std::string> tls_summary(const TlsSession& session, std::string_view verification);

/// The same as a JSON object for `connect -z --ssl --json`.
nlohmann::json tls_summary_json(const TlsSession& session, std::string_view verification,
                                double handshake_ms);

}  // namespace sockit::cli
