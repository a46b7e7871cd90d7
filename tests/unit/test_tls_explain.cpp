// explain() and likely_cause() for the tls category: every TlsErrc value, every certificate
// verification failure, alert and OpenSSL reason the table knows gets its cause and fix, in the
// same words the tool prints (one table: src/tls/causes.cpp). The messages themselves are
// OpenSSL's (verification, alerts), so each case checks the cause exactly and the line as
// "<what>: <message> (<cause>)".
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/core/error.hpp"
#include "sockit/tls/causes.hpp"
#include "sockit/tls/error.hpp"

namespace sockit {
namespace {

struct Case {
  const char* name;
  std::error_code ec;
  std::string_view cause;
};

// gtest names a failing case by its name, not its bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

// An OpenSSL reason of the SSL library (ERR_LIB_SSL = 20) as tls_category() carries it.
std::error_code ssl_reason(int reason) {
  return {1'000'000 + 20 * 10'000 + reason, tls_category()};
}

constexpr std::string_view kUnknownCa =
    "the certificate is not signed by a CA this machine trusts: use --cacert FILE for a private "
    "CA, or -k to skip verification";
constexpr std::string_view kNoCommonVersion =
    "no TLS version or cipher in common: sockit needs TLS 1.2 or newer";

// The client's side: what explain() says.
const std::vector<Case>& client_cases() {
  static const std::vector<Case> cases = {
      {"truncated", TlsErrc::truncated,
       "the connection was cut on the way, or the peer never sends close_notify, like ncat "
       "--ssl: the last data may be missing"},
      {"handshake_eof", TlsErrc::handshake_eof,
       "is it a TLS server on that port? plain TCP needs no --ssl"},
      {"pin_mismatch", TlsErrc::pin_mismatch,
       "the server presented another certificate: check the fingerprint, or whether something "
       "intercepts the connection"},
      {"invalid_fingerprint", TlsErrc::invalid_fingerprint,
       "give the 64 hex digits that connect -z -v -k shows as the certificate's SHA-256"},
      {"no_host_name", TlsErrc::no_host_name,
       "the certificate is checked against a host name: connect by name or set --ssl-servername "
       "NAME; -k skips verification"},
      {"bad_certificate", TlsErrc::bad_certificate,
       "give the certificate as PEM (-----BEGIN CERTIFICATE-----), leaf first, then its chain"},
      {"bad_private_key", TlsErrc::bad_private_key,
       "give the certificate's private key as unencrypted PEM (-----BEGIN PRIVATE KEY-----)"},
      {"key_mismatch", TlsErrc::key_mismatch,
       "the key belongs to another certificate: give the key made with this certificate"},
      {"bad_ca", TlsErrc::bad_ca,
       "give a PEM file or directory of CA certificates (-----BEGIN CERTIFICATE-----); the "
       "system's are in /etc/ssl/certs"},
      {"invalid_alpn", TlsErrc::invalid_alpn,
       "each protocol name is 1 to 255 bytes, e.g. --ssl-alpn h2,http/1.1"},
      {"session_closed", TlsErrc::session_closed,
       "an earlier failure or close ended this TLS session: start a new connection"},
      {"internal", TlsErrc::internal, "OpenSSL failed without a reason: memory may be exhausted"},
      {"verify_unable_to_get_issuer", tls_verify_error(2), kUnknownCa},
      {"verify_unable_to_get_issuer_locally", tls_verify_error(20), kUnknownCa},
      {"verify_unable_to_verify_leaf", tls_verify_error(21), kUnknownCa},
      {"verify_self_signed_in_chain", tls_verify_error(19), kUnknownCa},
      {"verify_self_signed", tls_verify_error(18),
       "the server's certificate is self-signed: trust it with --cacert FILE or --pin-sha256 "
       "FP, or -k to skip verification"},
      {"verify_expired", tls_verify_error(10),
       "the certificate's validity has ended: it must be renewed, or this machine's clock is "
       "wrong; -k skips verification"},
      {"verify_not_yet_valid", tls_verify_error(9),
       "the certificate's validity has not begun: check both machines' clocks; -k skips "
       "verification"},
      {"verify_host_name_mismatch", tls_verify_error(62),
       "the certificate is for other names: connect by a name it lists, as connect -z -v -k "
       "shows them, or set --ssl-servername NAME"},
      {"verify_ip_mismatch", tls_verify_error(64),
       "the certificate does not list this IP address: connect by a name it lists or set "
       "--ssl-servername NAME"},
      {"verify_invalid_purpose", tls_verify_error(26),
       "the certificate is not issued for this use (extended key usage)"},
      {"alert_certificate_required", tls_alert_error(116),
       "the server requires a client certificate: give one with --ssl-cert FILE --ssl-key FILE"},
      {"alert_no_application_protocol", tls_alert_error(120),
       "the server speaks none of the --ssl-alpn protocols"},
      {"alert_bad_certificate", tls_alert_error(42), "the server refused our client certificate"},
      {"alert_unknown_ca", tls_alert_error(48), "the server refused our client certificate"},
      {"alert_handshake_failure", tls_alert_error(40), kNoCommonVersion},
      {"alert_protocol_version", tls_alert_error(70), kNoCommonVersion},
      {"ssl_wrong_version_number", ssl_reason(267), "the peer does not speak TLS on that port"},
      {"ssl_http_request", ssl_reason(156), "the client sent plain HTTP to a TLS port"},
      {"ssl_peer_did_not_return_a_certificate", ssl_reason(199),
       "the client sent no certificate and --ssl-verify-client requires one"},
      {"ssl_no_shared_cipher", ssl_reason(193), "no cipher in common"},
      {"ssl_no_application_protocol", ssl_reason(235),
       "the client offered none of the --ssl-alpn protocols"},
  };
  return cases;
}

class TlsExplain : public ::testing::TestWithParam<Case> {};

TEST_P(TlsExplain, CauseAndLine) {
  const Case& c = GetParam();
  EXPECT_EQ(likely_cause(c.ec), c.cause);
  EXPECT_EQ(
      explain(c.ec, "connection to example.org port 443"),
      "connection to example.org port 443: " + c.ec.message() + " (" + std::string(c.cause) + ")");
}

INSTANTIATE_TEST_SUITE_P(Client, TlsExplain, ::testing::ValuesIn(client_cases()),
                         [](const auto& p) { return std::string(p.param.name); });

// A server's causes differ where the fault is the client's; the rest read as the client's.
const std::vector<Case>& server_cases() {
  static const std::vector<Case> cases = {
      {"handshake_eof", TlsErrc::handshake_eof,
       "the client gave up during the handshake: it may not trust this certificate"},
      {"verify_unable_to_get_issuer_locally", tls_verify_error(20),
       "the client's certificate is not signed by a CA in --ssl-verify-client"},
      {"verify_self_signed", tls_verify_error(18),
       "the client's certificate is self-signed and not in --ssl-verify-client"},
      {"alert_unknown_ca", tls_alert_error(48),
       "the client does not trust this certificate: give it the CA file for --cacert, or the "
       "fingerprint for --pin-sha256"},
      {"ssl_wrong_version_number", ssl_reason(267), "the client does not speak TLS"},
      {"verify_expired", tls_verify_error(10),
       "the certificate's validity has ended: it must be renewed, or this machine's clock is "
       "wrong; -k skips verification"},
  };
  return cases;
}

class TlsServerCause : public ::testing::TestWithParam<Case> {};

TEST_P(TlsServerCause, Exact) {
  EXPECT_EQ(tls_likely_cause(GetParam().ec, TlsSide::server), GetParam().cause);
}

INSTANTIATE_TEST_SUITE_P(Server, TlsServerCause, ::testing::ValuesIn(server_cases()),
                         [](const auto& p) { return std::string(p.param.name); });

// explain() reads the same table as the client: one text for both.
TEST_P(TlsExplain, SameTextAsTheClientsTable) {
  EXPECT_EQ(likely_cause(GetParam().ec), tls_likely_cause(GetParam().ec, TlsSide::client));
}

// Every TlsErrc value but ok has a cause: a value added later without one fails here.
TEST(TlsExplainAll, EveryTlsErrcValueHasACause) {
  for (int v = 1; v <= static_cast<int>(TlsErrc::internal); ++v) {
    const std::error_code ec = static_cast<TlsErrc>(v);
    EXPECT_FALSE(likely_cause(ec).empty()) << v << ": " << ec.message();
  }
  EXPECT_EQ(likely_cause(TlsErrc::ok), "");
}

// Codes the table does not know keep OpenSSL's words alone: no guessed cause.
TEST(TlsExplainAll, UnknownReasonsGetNoCause) {
  EXPECT_EQ(explain(tls_alert_error(10), "x"), "x: " + tls_alert_error(10).message());
  EXPECT_EQ(likely_cause(tls_verify_error(50)), "");
  EXPECT_EQ(likely_cause(ssl_reason(1)), "");
}

}  // namespace
}  // namespace sockit
