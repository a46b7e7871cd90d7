// TLS contexts: what a client trusts and offers, what a server presents. A context is built once
// and shared by every TlsSession made from it (copies share the same OpenSSL context; it is
// safe to make sessions from several threads at once).
//
// Strict by default: TLS 1.2 or newer, no compression, no renegotiation, and a client verifies
// the server's certificate chain AND its name. Opting out (verify = false) is explicit.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/core/error.hpp"
#include "sockit/tls/error.hpp"

namespace sockit {

enum class TlsVersion : std::uint8_t { tls1_2, tls1_3 };

/// A SHA-256 certificate fingerprint (of the DER encoding, as `openssl x509 -fingerprint
/// -sha256` computes it).
using Sha256 = std::array<std::uint8_t, 32>;

/// Parses "AB:CD:..." (the form `openssl x509 -fingerprint -sha256` prints, with or without its
/// "sha256 Fingerprint=" prefix), also without colons, in either case. TlsErrc::invalid_fingerprint
/// otherwise.
[[nodiscard]] Result<Sha256> parse_sha256_fingerprint(std::string_view text);
/// "AB:CD:...": 32 upper-case hex bytes joined by colons (95 characters).
std::string format_sha256_fingerprint(const Sha256& fingerprint);

struct TlsClientOptions {
  /// Trust anchors: a PEM bundle and/or an OpenSSL hashed directory. Both empty: the system
  /// store (Debian: /etc/ssl/certs; SSL_CERT_FILE / SSL_CERT_DIR override it).
  std::string ca_file{};
  std::string ca_dir{};
  /// Accept exactly the certificate with this SHA-256 fingerprint instead of verifying a chain
  /// and a name (for a server's throwaway self-signed certificate). Text as
  /// parse_sha256_fingerprint.
  std::string pin_sha256{};
  /// Client certificate chain and key, PEM files (both or neither).
  std::string cert_file{};
  std::string key_file{};
  /// ALPN protocols to offer, most preferred first (e.g. {"h2", "http/1.1"}).
  std::vector<std::string> alpn{};
  TlsVersion min_version = TlsVersion::tls1_2;
  /// false: no certificate or name check at all (curl -k). Never the default.
  bool verify = true;
};

class TlsClientContext {
 public:
  /// TlsErrc::bad_ca (no usable CA), an errno code for a file that cannot be read, bad_certificate,
  /// bad_private_key, key_mismatch, invalid_fingerprint, invalid_alpn.
  [[nodiscard]] static Result<TlsClientContext> create(const TlsClientOptions& options = {});

  const TlsClientOptions& options() const noexcept;
  /// Sessions remembered for resumption (one per cache key, see TlsSession::client).
  std::size_t cached_sessions() const;

  struct Impl;
  const std::shared_ptr<Impl>& impl() const noexcept { return impl_; }

 private:
  explicit TlsClientContext(std::shared_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

struct TlsServerOptions {
  /// Certificate chain (leaf first) and private key: PEM files, or PEM text (the *_pem fields
  /// win when set). None of them: a throwaway self-signed certificate is generated in memory
  /// (EC P-256, CN=localhost, SANs localhost, 127.0.0.1 and ::1, valid for 30 days).
  std::string cert_file{};
  std::string key_file{};
  std::string cert_pem{};
  std::string key_pem{};
  /// Non-empty: require a client certificate that verifies against this PEM CA bundle.
  std::string client_ca_file{};
  /// ALPN protocols the server speaks, most preferred first. A client that offers ALPN but none
  /// of these is refused (alert no_application_protocol); a client without ALPN is served.
  std::vector<std::string> alpn{};
  TlsVersion min_version = TlsVersion::tls1_2;
};

class TlsServerContext {
 public:
  /// Errors as TlsClientContext::create, plus TlsErrc::internal if key generation fails.
  [[nodiscard]] static Result<TlsServerContext> create(const TlsServerOptions& options = {});

  /// The SHA-256 fingerprint of the leaf certificate, as format_sha256_fingerprint prints it.
  const std::string& fingerprint() const noexcept;
  /// The leaf certificate in PEM (a client may trust a generated one as its CA file).
  const std::string& certificate_pem() const noexcept;
  /// True when the certificate was generated because none was given.
  bool generated() const noexcept;

  struct Impl;
  const std::shared_ptr<Impl>& impl() const noexcept { return impl_; }

 private:
  explicit TlsServerContext(std::shared_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace sockit
