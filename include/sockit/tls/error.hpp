// TLS failures as error codes in their own category, "tls", keeping OpenSSL's words.
//
// One error_code value carries which kind of failure it is and its detail, so a caller can
// compare codes exactly and print ec.message() without asking OpenSSL again:
//   - sockit's own TLS conditions: TlsErrc values (1..999), e.g. a truncated stream;
//   - a certificate the verifier refused: tls_verify_error(X509_V_ERR_*) (1000 + the code),
//     message "certificate verification failed: <X509_verify_cert_error_string>";
//   - a fatal alert the peer sent: tls_alert_error(alert) (2000 + the alert number, RFC 8446
//     §6), message "the peer sent TLS alert: <OpenSSL's alert description>";
//   - any other OpenSSL error: 1'000'000 + library * 10'000 + reason, message
//     "TLS error: <ERR_reason_error_string>" (e.g. "wrong version number").
// The conversion from OpenSSL's state happens in one place (src/tls/openssl_error.cpp).
#pragma once

#include <system_error>

namespace sockit {

enum class TlsErrc {
  ok = 0,
  /// The transport ended without the peer's close_notify: the data may have been cut short.
  truncated = 1,
  /// The transport ended before the handshake finished.
  handshake_eof,
  /// The peer's certificate is not the one pinned by SHA-256 fingerprint.
  pin_mismatch,
  /// A SHA-256 fingerprint text is not 32 hex bytes (colons optional).
  invalid_fingerprint,
  /// Verification is on but no host name (or IP literal) was given to check the certificate.
  no_host_name,
  /// PEM text that holds no usable certificate.
  bad_certificate,
  /// PEM text that holds no usable private key.
  bad_private_key,
  /// The private key does not belong to the certificate.
  key_mismatch,
  /// The CA file or directory holds no usable certificate.
  bad_ca,
  /// An ALPN protocol name is empty or longer than 255 bytes.
  invalid_alpn,
  /// The session already failed or was closed: it takes no more calls.
  session_closed,
  /// OpenSSL could not allocate or set up an object.
  internal,
};

const std::error_category& tls_category() noexcept;
std::error_code make_error_code(TlsErrc e) noexcept;

/// The code for a certificate verification failure (X509_V_ERR_* value).
std::error_code tls_verify_error(int x509_verify_result) noexcept;
/// The code for a fatal alert received from the peer (its description number, 0..255).
std::error_code tls_alert_error(int alert) noexcept;

/// The X509_V_ERR_* value when `ec` is a verification failure, else -1.
int tls_verify_reason(std::error_code ec) noexcept;
/// The alert number when `ec` is an alert the peer sent, else -1.
int tls_alert_reason(std::error_code ec) noexcept;

}  // namespace sockit

template <>
struct std::is_error_code_enum<sockit::TlsErrc> : std::true_type {};
