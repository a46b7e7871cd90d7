// What `connect --ssl -v` and `-z --ssl` show about a session, and the fix the tool adds to a
// TLS failure.
#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "sockit/tls/error.hpp"
#include "tls_options.hpp"

namespace sockit::cli {
namespace {

// X509_V_ERR_* values (OpenSSL's x509_vfy.h; fixed since OpenSSL 1.0). The tool does not
// include OpenSSL's headers: only src/tls/ does.
enum VerifyReason : int {
  kUnableToGetIssuer = 2,
  kNotYetValid = 9,
  kExpired = 10,
  kSelfSigned = 18,
  kSelfSignedInChain = 19,
  kUnableToGetIssuerLocally = 20,
  kUnableToVerifyLeaf = 21,
  kInvalidPurpose = 26,
  kHostNameMismatch = 62,
  kIpMismatch = 64,
};

// TLS alert numbers (RFC 8446 §6).
enum Alert : int {
  kHandshakeFailure = 40,
  kBadCertificate = 42,
  kUnknownCa = 48,
  kProtocolVersion = 70,
  kCertificateRequired = 116,
  kNoApplicationProtocol = 120,
};

// OpenSSL's SSL library reasons (sslerr.h), as tls_category() codes carry them:
// 1'000'000 + library * 10'000 + reason (sockit/tls/error.hpp), library 20 = ERR_LIB_SSL.
int ssl_reason(std::error_code ec) {
  constexpr int kSslBase = 1'000'000 + 20 * 10'000;
  return ec.value() >= kSslBase && ec.value() < kSslBase + 10'000 ? ec.value() - kSslBase : -1;
}

constexpr std::string_view kUnknownCaFix =
    "the certificate is not signed by a CA this machine trusts: use --cacert FILE for a private "
    "CA, or -k to skip verification";

std::string_view verify_cause(int reason, bool server) {
  switch (reason) {
    case kUnableToGetIssuer:
    case kUnableToGetIssuerLocally:
    case kUnableToVerifyLeaf:
    case kSelfSignedInChain:
      return server ? "the client's certificate is not signed by a CA in --ssl-verify-client"
                    : kUnknownCaFix;
    case kSelfSigned:
      return server ? "the client's certificate is self-signed and not in --ssl-verify-client"
                    : "the server's certificate is self-signed: trust it with --cacert FILE or "
                      "--pin-sha256 FP, or -k to skip verification";
    case kExpired:
      return "the certificate's validity has ended: it must be renewed, or this machine's clock "
             "is wrong; -k skips verification";
    case kNotYetValid:
      return "the certificate's validity has not begun: check both machines' clocks; -k skips "
             "verification";
    case kHostNameMismatch:
      return "the certificate is for other names: connect by a name it lists, as connect -z -v "
             "-k shows them, or set --ssl-servername NAME";
    case kIpMismatch:
      return "the certificate does not list this IP address: connect by a name it lists or set "
             "--ssl-servername NAME";
    case kInvalidPurpose:
      return "the certificate is not issued for this use (extended key usage)";
    default:
      return "";
  }
}

std::string_view alert_cause(int alert, bool server) {
  switch (alert) {
    case kCertificateRequired:
      return "the server requires a client certificate: give one with --ssl-cert FILE --ssl-key "
             "FILE";
    case kNoApplicationProtocol:
      return "the server speaks none of the --ssl-alpn protocols";
    case kBadCertificate:
    case kUnknownCa:
      return server ? "the client does not trust this certificate: give it the CA file for "
                      "--cacert, or the fingerprint for --pin-sha256"
                    : "the server refused our client certificate";
    case kHandshakeFailure:
    case kProtocolVersion:
      return "no TLS version or cipher in common: sockit needs TLS 1.2 or newer";
    default:
      return "";
  }
}

}  // namespace

std::string_view tls_cause(std::error_code ec, bool server) noexcept {
  if (ec.category() != tls_category()) return "";
  if (int reason = tls_verify_reason(ec); reason >= 0) return verify_cause(reason, server);
  if (int alert = tls_alert_reason(ec); alert >= 0) return alert_cause(alert, server);
  if (ec == TlsErrc::pin_mismatch)
    return "the server presented another certificate: check the fingerprint, or whether "
           "something intercepts the connection";
  if (ec == TlsErrc::handshake_eof)
    return server ? "the client gave up during the handshake: it may not trust this certificate"
                  : "is it a TLS server on that port? plain TCP needs no --ssl";
  switch (ssl_reason(ec)) {
    case 267:  // SSL_R_WRONG_VERSION_NUMBER: the first bytes were no TLS record
      return server ? "the client does not speak TLS" : "the peer does not speak TLS on that port";
    case 156:  // SSL_R_HTTP_REQUEST
      return "the client sent plain HTTP to a TLS port";
    case 199:  // SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE
      return "the client sent no certificate and --ssl-verify-client requires one";
    case 193:  // SSL_R_NO_SHARED_CIPHER
      return "no cipher in common";
    case 235:  // SSL_R_NO_APPLICATION_PROTOCOL
      return "the client offered none of the --ssl-alpn protocols";
    default:
      return "";
  }
}

namespace {

std::string utc_text(std::int64_t epoch) {
  const std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::int64_t days_left(std::int64_t not_after) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::int64_t left = not_after - now;
  return left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items)
    text += (text.empty() ? "" : ", ") + item;
  return text;
}

}  // namespace

std::vector<std::string> tls_summary(const TlsSession& session, std::string_view verification) {
  const std::string alpn = session.alpn();
  std::vector<std::string> lines{fmt::format("TLS: {}, cipher {}, ALPN {}", session.protocol(),
                                             session.cipher(), alpn.empty() ? "none" : alpn)};
  if (auto cert = session.peer_certificate()) {
    const std::int64_t left = days_left(cert->not_after);
    lines.push_back("certificate subject: " + cert->subject);
    lines.push_back("certificate issuer: " + cert->issuer);
    lines.push_back("certificate SANs: " + (cert->sans.empty() ? "none" : joined(cert->sans)));
    lines.push_back(fmt::format(
        "certificate valid from {} to {}, {}", utc_text(cert->not_before),
        utc_text(cert->not_after),
        left >= 0 ? fmt::format("{} days left", left) : fmt::format("expired {} days ago", -left)));
    lines.push_back("certificate SHA-256: " + session.peer_fingerprint());
  } else {
    lines.push_back("certificate: none");
  }
  lines.push_back("verification: " + std::string(verification));
  return lines;
}

nlohmann::json tls_summary_json(const TlsSession& session, std::string_view verification,
                                double handshake_ms) {
  const std::string alpn = session.alpn();
  nlohmann::json doc{{"version", session.protocol()},
                     {"cipher", session.cipher()},
                     {"alpn", alpn.empty() ? nlohmann::json(nullptr) : nlohmann::json(alpn)},
                     {"verified", verification.starts_with("OK")},
                     {"verification", verification},
                     {"handshake_ms", handshake_ms}};
  if (auto cert = session.peer_certificate()) {
    doc["certificate"] = {{"subject", cert->subject},
                          {"issuer", cert->issuer},
                          {"sans", cert->sans},
                          {"not_before", utc_text(cert->not_before)},
                          {"not_after", utc_text(cert->not_after)},
                          {"days_left", days_left(cert->not_after)},
                          {"sha256", session.peer_fingerprint()}};
  }
  return doc;
}

}  // namespace sockit::cli
