#include "serve_tls.hpp"

#include <memory>

#include "exit_codes.hpp"
#include "options.hpp"

namespace sockit::cli {

std::string configure_serve_tls(const TlsFlags& flags, bool udp, ServerOptions& options) {
  if (auto why = flags.problem(); !why.empty()) return why;
  if (!flags.ssl) return {};
  if (udp) return "--ssl is for streams; -u cannot be combined with it (no DTLS)";
  std::string why;
  auto context = flags.server_context(why);
  if (!context) return why;
  if (context->generated()) note(generated_certificate_note(*context));
  options.tls = std::make_shared<const TlsServerContext>(std::move(*context));
  options.tls_handshake_timeout = to_millis(flags.handshake_timeout_s);
  // Serving threads call this; report_error writes the whole line with one fputs.
  options.on_tls_failure = [](const std::string& remote, std::error_code ec, bool in_handshake) {
    (void)report_error(ec, (in_handshake ? "TLS handshake with " : "connection from ") + remote, -1,
                       true);
  };
  return {};
}

}  // namespace sockit::cli
