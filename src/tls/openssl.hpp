// Private: OpenSSL handles, the context internals shared by sessions, and the one conversion
// from OpenSSL's error state to an error_code.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/tls/context.hpp"

namespace sockit::tls_detail {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<&SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<&SSL_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<&X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<&EVP_PKEY_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<&BIO_free_all>>;

/// The error for a failed OpenSSL call: the earliest error on this thread's queue (an alert
/// from the peer becomes tls_alert_error), `fallback` if the queue is empty. Clears the queue.
std::error_code take_openssl_error(std::error_code fallback);
/// Builds the "any other OpenSSL error" code (library, reason).
std::error_code openssl_reason_error(int lib, int reason) noexcept;

/// A context with sockit's strict defaults: min version, no compression, no renegotiation,
/// forward-secret AEAD cipher suites only for TLS 1.2, partial writes for the engine.
Result<SslCtxPtr> new_context(bool server, TlsVersion min_version);
/// Reads a whole file; an errno code when it cannot.
Result<std::string> read_file(const std::string& path);
/// Installs a PEM chain (leaf first) and its key on `ctx`.
Status use_certificate_pem(SSL_CTX* ctx, std::string_view cert_pem, std::string_view key_pem);
/// Adds every certificate of a PEM bundle to ctx's trust store (and, for a server, to the list
/// of CA names sent in CertificateRequest). TlsErrc::bad_ca if it holds none.
Status add_trusted_pem(SSL_CTX* ctx, std::string_view pem, bool as_client_ca_names);
/// ALPN names to the wire form (length-prefixed). TlsErrc::invalid_alpn for an empty or too
/// long name.
Result<std::vector<unsigned char>> alpn_wire(const std::vector<std::string>& names);
Sha256 fingerprint_of(X509* cert);

/// Client sessions remembered per key for resumption, kept in their DER form. No SSL_SESSION
/// object is ever shared between connections: OpenSSL reads a live connection's session (to
/// copy it when the next ticket arrives) while another thread might release the cache's
/// reference to it, and the only thing ordering the two is a reference count inside libcrypto
/// that ThreadSanitizer cannot see. Copies cost a few microseconds per ticket, next to a
/// handshake's hundreds.
class SessionCache {
 public:
  /// Remembers a DER copy of `session` under key (the caller keeps its reference). False when
  /// the session cannot be encoded, which only loses the chance to resume.
  bool put(const std::string& key, const SSL_SESSION* session);
  /// Removes the session for key (TLS 1.3 tickets are single use) and returns a new object
  /// the caller owns, or null.
  SSL_SESSION* take(std::string_view key);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<unsigned char>, std::less<>> sessions_;
};

}  // namespace sockit::tls_detail

namespace sockit {

struct TlsClientContext::Impl {
  TlsClientOptions options;
  tls_detail::SslCtxPtr ctx;
  std::optional<Sha256> pin;
  tls_detail::SessionCache cache;
};

struct TlsServerContext::Impl {
  tls_detail::SslCtxPtr ctx;
  std::vector<unsigned char> alpn;  // wire form, server preference order
  std::string fingerprint;
  std::string cert_pem;
  bool generated = false;
};

}  // namespace sockit

namespace sockit::tls_detail {
/// SSL_CTX_sess_set_new_cb for clients: files a new session under its TlsSession's cache key
/// (defined with the session, which knows the key).
int on_new_client_session(SSL* ssl, SSL_SESSION* session);
}  // namespace sockit::tls_detail
