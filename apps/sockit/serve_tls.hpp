// `sockit serve --ssl`: the TLS flags (listen's spellings, tls_options.hpp) turned into the
// server's TLS options, and the one stderr line each failed TLS client gets.
#pragma once

#include <string>

#include "sockit/server/server.hpp"
#include "tls_options.hpp"

namespace sockit::cli {

/// Checks `flags` (a usage message when they cannot work: a TLS option without --ssl, a key
/// without its certificate, an unreadable file, --ssl with -u) and, with --ssl, fills
/// options.tls, the handshake deadline and the failure log: one line per failed client,
/// "sockit: TLS handshake with ADDRESS:PORT: <OpenSSL's words> (<cause>)", or "connection from
/// ..." for a TLS error after the handshake. Prints the generated certificate's fingerprint
/// line when no --ssl-cert was given. Returns the usage message, or "".
std::string configure_serve_tls(const TlsFlags& flags, bool udp, ServerOptions& options);

}  // namespace sockit::cli
