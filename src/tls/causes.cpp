// The likely causes of TLS failures and their fixes: the one table explain() (through the tls
// category) and the tool (connect --ssl, listen --ssl, serve --ssl, http) read.
#include "sockit/tls/causes.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "sockit/tls/error.hpp"
#include "tls/openssl.hpp"

namespace sockit {
namespace {

constexpr std::string_view kUnknownCaFix =
    "the certificate is not signed by a CA this machine trusts: use --cacert FILE for a private "
    "CA, or -k to skip verification";

std::string_view verify_cause(int reason, bool server) {
  switch (reason) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return server ? "the client's certificate is not signed by a CA in --ssl-verify-client"
                    : kUnknownCaFix;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return server ? "the client's certificate is self-signed and not in --ssl-verify-client"
                    : "the server's certificate is self-signed: trust it with --cacert FILE or "
                      "--pin-sha256 FP, or -k to skip verification";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "the certificate's validity has ended: it must be renewed, or this machine's clock "
             "is wrong; -k skips verification";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "the certificate's validity has not begun: check both machines' clocks; -k skips "
             "verification";
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return "the certificate is for other names: connect by a name it lists, as connect -z -v "
             "-k shows them, or set --ssl-servername NAME";
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "the certificate does not list this IP address: connect by a name it lists or set "
             "--ssl-servername NAME";
    case X509_V_ERR_INVALID_PURPOSE:
      return "the certificate is not issued for this use (extended key usage)";
    default:
      return "";
  }
}

std::string_view alert_cause(int alert, bool server) {
  switch (alert) {
    case SSL_AD_CERTIFICATE_REQUIRED:
      return "the server requires a client certificate: give one with --ssl-cert FILE --ssl-key "
             "FILE";
    case SSL_AD_NO_APPLICATION_PROTOCOL:
      return "the server speaks none of the --ssl-alpn protocols";
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNKNOWN_CA:
      return server ? "the client does not trust this certificate: give it the CA file for "
                      "--cacert, or the fingerprint for --pin-sha256"
                    : "the server refused our client certificate";
    case SSL_AD_HANDSHAKE_FAILURE:
    case SSL_AD_PROTOCOL_VERSION:
      return "no TLS version or cipher in common: sockit needs TLS 1.2 or newer";
    default:
      return "";
  }
}

// OpenSSL's SSL-library reasons that have a cause of their own.
std::string_view ssl_reason_cause(std::error_code ec, bool server) {
  auto is = [&](int reason) { return ec == tls_detail::openssl_reason_error(ERR_LIB_SSL, reason); };
  if (is(SSL_R_WRONG_VERSION_NUMBER))  // the first bytes were no TLS record
    return server ? "the client does not speak TLS" : "the peer does not speak TLS on that port";
  if (is(SSL_R_HTTP_REQUEST)) return "the client sent plain HTTP to a TLS port";
  if (is(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE))
    return "the client sent no certificate and --ssl-verify-client requires one";
  if (is(SSL_R_NO_SHARED_CIPHER)) return "no cipher in common";
  if (is(SSL_R_NO_APPLICATION_PROTOCOL))
    return "the client offered none of the --ssl-alpn protocols";
  return "";
}

// sockit's own TLS conditions.
std::string_view own_cause(TlsErrc e, bool server) {
  switch (e) {
    case TlsErrc::ok:
      return "";
    case TlsErrc::truncated:
      return "the connection was cut on the way, or the peer never sends close_notify, like "
             "ncat --ssl: the last data may be missing";
    case TlsErrc::handshake_eof:
      return server ? "the client gave up during the handshake: it may not trust this certificate"
                    : "is it a TLS server on that port? plain TCP needs no --ssl";
    case TlsErrc::pin_mismatch:
      return "the server presented another certificate: check the fingerprint, or whether "
             "something intercepts the connection";
    case TlsErrc::invalid_fingerprint:
      return "give the 64 hex digits that connect -z -v -k shows as the certificate's SHA-256";
    case TlsErrc::no_host_name:
      return "the certificate is checked against a host name: connect by name or set "
             "--ssl-servername NAME; -k skips verification";
    case TlsErrc::bad_certificate:
      return "give the certificate as PEM (-----BEGIN CERTIFICATE-----), leaf first, then its "
             "chain";
    case TlsErrc::bad_private_key:
      return "give the certificate's private key as unencrypted PEM (-----BEGIN PRIVATE "
             "KEY-----)";
    case TlsErrc::key_mismatch:
      return "the key belongs to another certificate: give the key made with this certificate";
    case TlsErrc::bad_ca:
      return "give a PEM file or directory of CA certificates (-----BEGIN CERTIFICATE-----); the "
             "system's are in /etc/ssl/certs";
    case TlsErrc::invalid_alpn:
      return "each protocol name is 1 to 255 bytes, e.g. --ssl-alpn h2,http/1.1";
    case TlsErrc::session_closed:
      return "an earlier failure or close ended this TLS session: start a new connection";
    case TlsErrc::internal:
      return "OpenSSL failed without a reason: memory may be exhausted";
  }
  return "";
}

}  // namespace

std::string_view tls_likely_cause(std::error_code ec, TlsSide side) noexcept {
  if (ec.category() != tls_category()) return "";
  const bool server = side == TlsSide::server;
  if (int reason = tls_verify_reason(ec); reason >= 0) return verify_cause(reason, server);
  if (int alert = tls_alert_reason(ec); alert >= 0) return alert_cause(alert, server);
  if (auto cause = ssl_reason_cause(ec, server); !cause.empty()) return cause;
  return own_cause(static_cast<TlsErrc>(ec.value()), server);
}

}  // namespace sockit
