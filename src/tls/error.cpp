#include "sockit/tls/error.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>

#include "sockit/core/cause_category.hpp"
#include "sockit/tls/causes.hpp"
#include "tls/openssl.hpp"

namespace sockit {
namespace {

constexpr int kVerifyBase = 1000;
constexpr int kAlertBase = 2000;
constexpr int kOpenSslBase = 1'000'000;
constexpr int kLibStride = 10'000;

std::string own_message(TlsErrc e) {
  switch (e) {
    case TlsErrc::ok:
      return "success";
    case TlsErrc::truncated:
      return "the peer closed the connection without close_notify (truncated)";
    case TlsErrc::handshake_eof:
      return "the peer closed the connection during the TLS handshake";
    case TlsErrc::pin_mismatch:
      return "the certificate does not match the pinned SHA-256 fingerprint";
    case TlsErrc::invalid_fingerprint:
      return "invalid SHA-256 fingerprint (expected 32 hex bytes, colons optional)";
    case TlsErrc::no_host_name:
      return "no host name to verify the certificate against";
    case TlsErrc::bad_certificate:
      return "no usable PEM certificate";
    case TlsErrc::bad_private_key:
      return "no usable PEM private key";
    case TlsErrc::key_mismatch:
      return "the private key does not match the certificate";
    case TlsErrc::bad_ca:
      return "no usable CA certificate in the CA file or directory";
    case TlsErrc::invalid_alpn:
      return "invalid ALPN protocol name (1 to 255 bytes)";
    case TlsErrc::session_closed:
      return "the TLS session is closed";
    case TlsErrc::internal:
      return "TLS library failure (out of memory?)";
  }
  return "unknown TLS error " + std::to_string(static_cast<int>(e));
}

// OpenSSL 3.0 names the TLS 1.2 alerts but says "unknown" for some newer ones (RFC 8446 §6).
std::string alert_name(int alert) {
  const std::string name = ::SSL_alert_desc_string_long(alert);
  if (name != "unknown") return name;
  switch (alert) {
    case 86:
      return "inappropriate fallback";
    case 109:
      return "missing extension";
    case 116:
      return "certificate required";
    case 120:
      return "no application protocol";
    default:
      return "unknown alert " + std::to_string(alert);
  }
}

// A CauseCategory: explain() and likely_cause() give the client's cause (src/tls/causes.cpp).
class TlsCategory final : public CauseCategory {
 public:
  const char* name() const noexcept override { return "tls"; }
  std::string_view cause(int value) const noexcept override {
    return tls_likely_cause({value, *this}, TlsSide::client);
  }
  std::string message(int value) const override {
    if (value >= kOpenSslBase) {
      const int lib = (value - kOpenSslBase) / kLibStride;
      const int reason = (value - kOpenSslBase) % kLibStride;
      const char* text = ::ERR_reason_error_string(ERR_PACK(lib, 0, reason));
      return std::string("TLS error: ") +
             (text != nullptr ? text : "OpenSSL reason " + std::to_string(reason));
    }
    if (value >= kAlertBase) {
      return "the peer sent TLS alert: " + alert_name(value - kAlertBase);
    }
    if (value >= kVerifyBase) {
      return std::string("certificate verification failed: ") +
             ::X509_verify_cert_error_string(value - kVerifyBase);
    }
    return own_message(static_cast<TlsErrc>(value));
  }
};

}  // namespace

const std::error_category& tls_category() noexcept {
  static const TlsCategory category;
  return category;
}

std::error_code make_error_code(TlsErrc e) noexcept {
  return {static_cast<int>(e), tls_category()};
}

std::error_code tls_verify_error(int x509_verify_result) noexcept {
  return {kVerifyBase + x509_verify_result, tls_category()};
}

std::error_code tls_alert_error(int alert) noexcept {
  return {kAlertBase + alert, tls_category()};
}

namespace tls_detail {
std::error_code openssl_reason_error(int lib, int reason) noexcept {
  if (lib < 0 || reason < 0 || reason >= kLibStride || lib > 200) return TlsErrc::internal;
  return {kOpenSslBase + lib * kLibStride + reason, tls_category()};
}
}  // namespace tls_detail

int tls_verify_reason(std::error_code ec) noexcept {
  if (ec.category() != tls_category()) return -1;
  return ec.value() >= kVerifyBase && ec.value() < kAlertBase ? ec.value() - kVerifyBase : -1;
}

int tls_alert_reason(std::error_code ec) noexcept {
  if (ec.category() != tls_category()) return -1;
  return ec.value() >= kAlertBase && ec.value() < kAlertBase + 256 ? ec.value() - kAlertBase : -1;
}

}  // namespace sockit
