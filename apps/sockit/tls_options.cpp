#include "tls_options.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "options.hpp"
#include "output.hpp"

namespace sockit::cli {
namespace {

// Opens `path` and reads one byte: a missing file, a directory and a file without permission
// all fail here, before anything connects, with the OS's words.
std::string file_problem(std::string_view option, const std::string& path) {
  if (path.empty()) return {};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::error_code ec;
  if (fd < 0) {
    ec = sys_error();
  } else {
    char byte = 0;
    if (::read(fd, &byte, 1) < 0) ec = sys_error();
    ::close(fd);
  }
  if (!ec) return {};
  return fmt::format("{} {}: {}", option, show_arg(path), ec.message());
}

std::vector<std::string> split_alpn(const std::string& list) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    names.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return names;
}

// The option a context error belongs to, for its usage message.
std::string context_usage(std::error_code ec, const TlsFlags& f, bool server) {
  const std::string reason = ec.message();
  if (ec == TlsErrc::bad_ca)
    return fmt::format("{} {}: {}", server ? "--ssl-verify-client" : "--cacert",
                       show_arg(server ? f.verify_client : f.cacert), reason);
  if (ec == TlsErrc::bad_certificate)
    return fmt::format("--ssl-cert {}: {}", show_arg(f.cert), reason);
  if (ec == TlsErrc::bad_private_key || ec == TlsErrc::key_mismatch)
    return fmt::format("--ssl-key {}: {}", show_arg(f.key), reason);
  if (ec == TlsErrc::invalid_alpn)
    return fmt::format("--ssl-alpn {}: {}", quote_arg(f.alpn), reason);
  return "TLS set-up failed: " + reason;
}

}  // namespace

void TlsFlags::add_to_connect(CLI::App& cmd) {
  cmd.add_flag("--ssl", ssl, "TLS: verify the server's certificate and name (system CAs)");
  cmd.add_option("--cacert,--ssl-trustfile", cacert,
                 "With --ssl: trust the CAs in this PEM file instead of the system's");
  cmd.add_option("--ssl-servername", servername,
                 "With --ssl: the name to send (SNI) and to verify, instead of HOST");
  cmd.add_option("--ssl-alpn", alpn, "With --ssl: ALPN protocols to offer, comma separated");
  cmd.add_option("--ssl-cert", cert, "With --ssl: a client certificate (PEM; needs --ssl-key)");
  cmd.add_option("--ssl-key", key, "With --ssl: the client certificate's private key (PEM)");
  cmd.add_option("--pin-sha256", pin,
                 "With --ssl: accept exactly the certificate with this SHA-256 fingerprint");
  cmd.add_flag("-k,--insecure", insecure,
               "With --ssl: do not verify the certificate or name (warns)");
}

void TlsFlags::add_to_listen(CLI::App& cmd) {
  cmd.add_flag("--ssl", ssl,
               "TLS; without --ssl-cert a throwaway certificate is made and its SHA-256 "
               "fingerprint printed");
  cmd.add_option("--ssl-cert", cert, "With --ssl: the certificate chain to present (PEM)");
  cmd.add_option("--ssl-key", key, "With --ssl: its private key (PEM)");
  cmd.add_option("--ssl-verify-client", verify_client,
                 "With --ssl: require a client certificate signed by a CA in this PEM file");
  cmd.add_option("--ssl-alpn", alpn,
                 "With --ssl: ALPN protocols spoken, preferred first; other offers are refused");
  cmd.add_option("--ssl-handshake-timeout", handshake_timeout_s,
                 "With --ssl: seconds a client has to finish the handshake (0 = no limit)")
      ->default_val(10.0)
      ->check(seconds_check());
}

std::string TlsFlags::problem() const {
  const std::pair<const char*, bool> given[] = {{"--cacert", !cacert.empty()},
                                                {"--ssl-servername", !servername.empty()},
                                                {"--ssl-alpn", !alpn.empty()},
                                                {"--ssl-cert", !cert.empty()},
                                                {"--ssl-key", !key.empty()},
                                                {"--pin-sha256", !pin.empty()},
                                                {"--ssl-verify-client", !verify_client.empty()},
                                                {"-k/--insecure", insecure}};
  for (const auto& [name, is_given] : given) {
    if (is_given && !ssl) return fmt::format("{} is a TLS option: add --ssl", name);
  }
  if (!key.empty() && cert.empty())
    return "--ssl-key needs --ssl-cert (the certificate it signs for)";
  if (!cert.empty() && key.empty()) return "--ssl-cert needs --ssl-key (its private key)";
  if (!pin.empty() && insecure)
    return "--pin-sha256 checks the certificate; -k skips checks: pick one";
  if (!pin.empty() && !cacert.empty())
    return "--pin-sha256 replaces CA verification; --cacert cannot be combined with it";
  if (!pin.empty() && !parse_sha256_fingerprint(pin)) {
    return fmt::format("--pin-sha256 {}: {}", quote_arg(pin),
                       make_error_code(TlsErrc::invalid_fingerprint).message());
  }
  for (const auto& name : split_alpn(alpn)) {
    if (!alpn.empty() && (name.empty() || name.size() > 255))
      return fmt::format("--ssl-alpn {}: each protocol name is 1 to 255 bytes", quote_arg(alpn));
  }
  const std::pair<const char*, const std::string*> files[] = {
      {"--cacert", &cacert},
      {"--ssl-cert", &cert},
      {"--ssl-key", &key},
      {"--ssl-verify-client", &verify_client}};
  for (const auto& [name, path] : files) {
    if (auto why = file_problem(name, *path); !why.empty()) return why;
  }
  return {};
}

Result<TlsClientContext> TlsFlags::client_context(std::string& usage) const {
  TlsClientOptions o;
  o.ca_file = cacert;
  o.pin_sha256 = pin;
  o.cert_file = cert;
  o.key_file = key;
  if (!alpn.empty()) o.alpn = split_alpn(alpn);
  o.verify = !insecure;
  auto ctx = TlsClientContext::create(o);
  if (!ctx) usage = context_usage(ctx.error(), *this, false);
  return ctx;
}

Result<TlsServerContext> TlsFlags::server_context(std::string& usage) const {
  TlsServerOptions o;
  o.cert_file = cert;
  o.key_file = key;
  o.client_ca_file = verify_client;
  if (!alpn.empty()) o.alpn = split_alpn(alpn);
  auto ctx = TlsServerContext::create(o);
  if (!ctx) usage = context_usage(ctx.error(), *this, true);
  return ctx;
}

std::string generated_certificate_note(const TlsServerContext& context) {
  return "TLS: a throwaway certificate for localhost, 127.0.0.1 and ::1; SHA-256 fingerprint " +
         context.fingerprint();
}

std::string TlsFlags::peer_name(std::string_view host) const {
  return servername.empty() ? std::string(host) : servername;
}

std::string TlsFlags::verification(std::string_view name) const {
  if (insecure) return "not verified (-k/--insecure)";
  if (!pin.empty()) return "OK: the certificate matches the pinned SHA-256 fingerprint";
  return fmt::format("OK: signed by a trusted CA, valid for {}", show_arg(name));
}

}  // namespace sockit::cli
