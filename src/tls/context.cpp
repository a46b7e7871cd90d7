// Client and server contexts: trust, identity, ALPN and the verification policy.
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "sockit/tls/context.hpp"
#include "tls/certificate.hpp"
#include "tls/openssl.hpp"

namespace sockit {
namespace {

using tls_detail::read_file;

// Pinning replaces chain verification: the leaf must be exactly the pinned certificate.
int verify_pin(X509_STORE_CTX* store, void* arg) {
  const auto* impl = static_cast<const TlsClientContext::Impl*>(arg);
  X509* leaf = ::X509_STORE_CTX_get0_cert(store);
  if (leaf != nullptr && impl->pin && tls_detail::fingerprint_of(leaf) == *impl->pin) {
    ::X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
  ::X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

Status load_trust(SSL_CTX* ctx, const TlsClientOptions& options) {
  if (options.ca_file.empty() && options.ca_dir.empty()) {
    if (::SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return fail(tls_detail::take_openssl_error(TlsErrc::bad_ca));
    }
    return {};
  }
  if (!options.ca_file.empty()) {
    auto pem = read_file(options.ca_file);
    if (!pem) return fail(pem.error());
    if (auto added = tls_detail::add_trusted_pem(ctx, *pem, false); !added) return added;
  }
  if (!options.ca_dir.empty()) {
    struct stat st {};
    if (::stat(options.ca_dir.c_str(), &st) != 0) return fail(sys_error());
    if (!S_ISDIR(st.st_mode)) return fail(sys_error(ENOTDIR));
    if (::SSL_CTX_load_verify_dir(ctx, options.ca_dir.c_str()) != 1) {
      return fail(tls_detail::take_openssl_error(TlsErrc::bad_ca));
    }
  }
  return {};
}

Status load_identity(SSL_CTX* ctx, const std::string& cert_file, const std::string& key_file) {
  auto cert = read_file(cert_file);
  if (!cert) return fail(cert.error());
  auto key = read_file(key_file);
  if (!key) return fail(key.error());
  return tls_detail::use_certificate_pem(ctx, *cert, *key);
}

int select_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* out_length,
                const unsigned char* offered, unsigned int offered_length, void* arg) {
  const auto* impl = static_cast<const TlsServerContext::Impl*>(arg);
  unsigned char* chosen = nullptr;
  // The server's order decides: SSL_select_next_proto walks its first list.
  if (::SSL_select_next_proto(&chosen, out_length, impl->alpn.data(),
                              static_cast<unsigned int>(impl->alpn.size()), offered,
                              offered_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;  // alert no_application_protocol (RFC 7301 §3.2)
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

Result<TlsClientContext> TlsClientContext::create(const TlsClientOptions& options) {
  auto impl = std::make_shared<Impl>();
  impl->options = options;
  auto ctx = tls_detail::new_context(false, options.min_version);
  if (!ctx) return fail(ctx.error());
  impl->ctx = std::move(*ctx);
  SSL_CTX* raw = impl->ctx.get();
  if (!options.pin_sha256.empty()) {
    auto pin = parse_sha256_fingerprint(options.pin_sha256);
    if (!pin) return fail(pin.error());
    impl->pin = *pin;
    ::SSL_CTX_set_cert_verify_callback(raw, verify_pin, impl.get());
  } else if (options.verify) {
    if (auto trust = load_trust(raw, options); !trust) return fail(trust.error());
  }
  ::SSL_CTX_set_verify(raw, options.verify || impl->pin ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                       nullptr);
  if (options.cert_file.empty() != options.key_file.empty()) {
    return fail(options.cert_file.empty() ? TlsErrc::bad_certificate : TlsErrc::bad_private_key);
  }
  if (!options.cert_file.empty()) {
    if (auto id = load_identity(raw, options.cert_file, options.key_file); !id)
      return fail(id.error());
  }
  if (!options.alpn.empty()) {
    auto wire = tls_detail::alpn_wire(options.alpn);
    if (!wire) return fail(wire.error());
    if (::SSL_CTX_set_alpn_protos(raw, wire->data(), static_cast<unsigned int>(wire->size())) !=
        0) {
      return fail(tls_detail::take_openssl_error(TlsErrc::internal));
    }
  }
  // Sessions are kept by TlsSession's cache key, not OpenSSL's internal client cache (which
  // does not exist: clients must look sessions up themselves).
  ::SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  ::SSL_CTX_sess_set_new_cb(raw, tls_detail::on_new_client_session);
  return TlsClientContext(std::move(impl));
}

const TlsClientOptions& TlsClientContext::options() const noexcept {
  return impl_->options;
}

std::size_t TlsClientContext::cached_sessions() const {
  return impl_->cache.size();
}

namespace {

Status load_server_identity(TlsServerContext::Impl& impl, const TlsServerOptions& options) {
  std::string cert = options.cert_pem;
  std::string key = options.key_pem;
  if (cert.empty() && !options.cert_file.empty()) {
    auto text = read_file(options.cert_file);
    if (!text) return fail(text.error());
    cert = std::move(*text);
  }
  if (key.empty() && !options.key_file.empty()) {
    auto text = read_file(options.key_file);
    if (!text) return fail(text.error());
    key = std::move(*text);
  }
  if (cert.empty() && key.empty()) {
    auto made = tls_detail::make_certificate({});
    if (!made) return fail(made.error());
    cert = std::move(made->cert_pem);
    key = std::move(made->key_pem);
    impl.generated = true;
  }
  if (cert.empty()) return fail(TlsErrc::bad_certificate);
  if (key.empty()) return fail(TlsErrc::bad_private_key);
  if (auto used = tls_detail::use_certificate_pem(impl.ctx.get(), cert, key); !used) return used;
  X509* leaf = ::SSL_CTX_get0_certificate(impl.ctx.get());
  impl.fingerprint = format_sha256_fingerprint(tls_detail::fingerprint_of(leaf));
  // Keep the leaf alone: the text may hold the chain too.
  const auto end_marker = std::string_view("-----END CERTIFICATE-----");
  const auto end = cert.find(end_marker);
  impl.cert_pem = cert.substr(0, end + end_marker.size()) + "\n";
  return {};
}

}  // namespace

Result<TlsServerContext> TlsServerContext::create(const TlsServerOptions& options) {
  auto impl = std::make_shared<Impl>();
  auto ctx = tls_detail::new_context(true, options.min_version);
  if (!ctx) return fail(ctx.error());
  impl->ctx = std::move(*ctx);
  SSL_CTX* raw = impl->ctx.get();
  if (auto id = load_server_identity(*impl, options); !id) return fail(id.error());
  if (!options.client_ca_file.empty()) {
    auto pem = read_file(options.client_ca_file);
    if (!pem) return fail(pem.error());
    if (auto added = tls_detail::add_trusted_pem(raw, *pem, true); !added)
      return fail(added.error());
    ::SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  if (!options.alpn.empty()) {
    auto wire = tls_detail::alpn_wire(options.alpn);
    if (!wire) return fail(wire.error());
    impl->alpn = std::move(*wire);
    ::SSL_CTX_set_alpn_select_cb(raw, select_alpn, impl.get());
  }
  // Resumption needs a session id context (OpenSSL refuses to resume without one when client
  // certificates are verified).
  static constexpr unsigned char kSessionContext[] = "sockit";
  ::SSL_CTX_set_session_id_context(raw, kSessionContext, sizeof kSessionContext - 1);
  return TlsServerContext(std::move(impl));
}

const std::string& TlsServerContext::fingerprint() const noexcept {
  return impl_->fingerprint;
}
const std::string& TlsServerContext::certificate_pem() const noexcept {
  return impl_->cert_pem;
}
bool TlsServerContext::generated() const noexcept {
  return impl_->generated;
}

}  // namespace sockit
