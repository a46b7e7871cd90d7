#include "tls/openssl.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace sockit::tls_detail {

std::error_code take_openssl_error(std::error_code fallback) {
  const unsigned long e = ::ERR_get_error();
  ::ERR_clear_error();
  if (e == 0) return fallback;
  const int lib = ERR_GET_LIB(e);
  const int reason = ERR_GET_REASON(e);
  // OpenSSL reports a fatal alert from the peer as SSL reason 1000 + the alert number.
  if (lib == ERR_LIB_SSL && reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
    return tls_alert_error(reason - SSL_AD_REASON_OFFSET);
  }
  return openssl_reason_error(lib, reason);
}

Result<SslCtxPtr> new_context(bool server, TlsVersion min_version) {
  SslCtxPtr ctx(::SSL_CTX_new(server ? ::TLS_server_method() : ::TLS_client_method()));
  if (!ctx) return fail(take_openssl_error(TlsErrc::internal));
  const int min = min_version == TlsVersion::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
  // Forward-secret AEAD suites only for TLS 1.2 (TLS 1.3's suites are all of that kind).
  if (::SSL_CTX_set_min_proto_version(ctx.get(), min) != 1 ||
      ::SSL_CTX_set_cipher_list(ctx.get(), "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20") !=
          1) {
    return fail(take_openssl_error(TlsErrc::internal));
  }
  ::SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // The engine hands OpenSSL slices of the caller's buffer: partial writes, any address.
  ::SSL_CTX_set_mode(ctx.get(),
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // A server holds many idle sessions: their record buffers (about 34 KiB) are freed between
  // bursts instead of kept for the connection's life (measured: 26.6 -> 17.8 KiB per idle
  // connection in `sockit serve echo --ssl`).
  if (server) ::SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

Result<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(sys_error());
  std::string text;
  std::array<char, 16384> chunk{};
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const auto ec = sys_error();
      ::close(fd);
      return fail(ec);
    }
    if (n == 0) break;
    text.append(chunk.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

namespace {

BioPtr memory_bio(std::string_view text) {
  return BioPtr(::BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

}  // namespace

Status use_certificate_pem(SSL_CTX* ctx, std::string_view cert_pem, std::string_view key_pem) {
  BioPtr certs = memory_bio(cert_pem);
  X509Ptr leaf(certs ? ::PEM_read_bio_X509_AUX(certs.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!leaf || ::SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    ::ERR_clear_error();
    return fail(TlsErrc::bad_certificate);
  }
  while (X509* extra = ::PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr)) {
    if (::SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      ::X509_free(extra);
      return fail(take_openssl_error(TlsErrc::bad_certificate));
    }
  }
  ::ERR_clear_error();  // the loop ends on "no start line"
  BioPtr keys = memory_bio(key_pem);
  PkeyPtr key(keys ? ::PEM_read_bio_PrivateKey(keys.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) {
    ::ERR_clear_error();
    return fail(TlsErrc::bad_private_key);
  }
  if (::SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || ::SSL_CTX_check_private_key(ctx) != 1) {
    ::ERR_clear_error();
    return fail(TlsErrc::key_mismatch);
  }
  return {};
}

Status add_trusted_pem(SSL_CTX* ctx, std::string_view pem, bool as_client_ca_names) {
  BioPtr bio = memory_bio(pem);
  X509_STORE* store = ::SSL_CTX_get_cert_store(ctx);
  int added = 0;
  while (bio) {
    X509Ptr cert(::PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    // OpenSSL fills a certificate's extension cache (key identifiers, flags) on first use, and
    // not every reader of it takes the certificate's lock: filled here, before the context can
    // be shared, verifying from many threads only reads it (ThreadSanitizer saw the race).
    ::X509_check_purpose(cert.get(), -1, 0);
    if (::X509_STORE_add_cert(store, cert.get()) != 1 ||
        (as_client_ca_names && ::SSL_CTX_add_client_CA(ctx, cert.get()) != 1)) {
      return fail(take_openssl_error(TlsErrc::bad_ca));
    }
    ++added;
  }
  ::ERR_clear_error();
  if (added == 0) return fail(TlsErrc::bad_ca);
  return {};
}

Result<std::vector<unsigned char>> alpn_wire(const std::vector<std::string>& names) {
  std::vector<unsigned char> wire;
  for (const auto& name : names) {
    if (name.empty() || name.size() > 255) return fail(TlsErrc::invalid_alpn);
    wire.push_back(static_cast<unsigned char>(name.size()));
    wire.insert(wire.end(), name.begin(), name.end());
  }
  return wire;
}

Sha256 fingerprint_of(X509* cert) {
  Sha256 digest{};
  unsigned int length = 0;
  ::X509_digest(cert, ::EVP_sha256(), digest.data(), &length);
  return digest;
}

bool SessionCache::put(const std::string& key, const SSL_SESSION* session) {
  const int length = ::i2d_SSL_SESSION(session, nullptr);
  if (length <= 0) {
    ::ERR_clear_error();
    return false;
  }
  std::vector<unsigned char> der(static_cast<std::size_t>(length));
  unsigned char* out = der.data();
  if (::i2d_SSL_SESSION(session, &out) != length) {
    ::ERR_clear_error();
    return false;
  }
  const std::lock_guard lock(mutex_);
  sessions_.insert_or_assign(key, std::move(der));
  return true;
}

SSL_SESSION* SessionCache::take(std::string_view key) {
  std::vector<unsigned char> der;
  {
    const std::lock_guard lock(mutex_);
    auto it = sessions_.find(key);
    if (it == sessions_.end()) return nullptr;
    der = std::move(it->second);
    sessions_.erase(it);
  }
  const unsigned char* in = der.data();
  SSL_SESSION* session = ::d2i_SSL_SESSION(nullptr, &in, static_cast<long>(der.size()));
  if (session == nullptr) ::ERR_clear_error();
  return session;
}

std::size_t SessionCache::size() const {
  const std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace sockit::tls_detail
