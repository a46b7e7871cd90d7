// Certificate and name verification, pinning, and context set-up errors: each refusal has its
// own exact code and message.
#include <gtest/gtest.h>

#include <openssl/x509_vfy.h>

#include "sockit/tls/session.hpp"
#include "support/tls_test_support.hpp"

namespace sockit {
namespace {

using std::chrono::hours;
using test::handshake_pair;
using tls_detail::CertificateSpec;
using tls_detail::MadeCertificate;
using tls_detail::make_certificate;

MadeCertificate make_ca(const std::string& name) {
  return *make_certificate(
      {.common_name = name, .dns_names = {}, .ip_addresses = {}, .is_ca = true});
}

struct Trial {
  test::ScratchDir dir;
  MadeCertificate ca = make_ca("Test CA");

  // Connects a client trusting `ca` (unless told not to, or the options say otherwise) to a server
  // presenting `leaf`.
  test::HandshakeOutcome run(const MadeCertificate& leaf, std::string_view host,
                             TlsClientOptions options = {}, bool trust_test_ca = true) {
    if (trust_test_ca && options.ca_file.empty() && options.pin_sha256.empty() && options.verify) {
      options.ca_file = dir.write("ca.pem", ca.cert_pem);
    }
    auto server_ctx =
        TlsServerContext::create({.cert_pem = leaf.cert_pem, .key_pem = leaf.key_pem});
    auto client_ctx = TlsClientContext::create(options);
    EXPECT_TRUE(server_ctx.has_value());
    EXPECT_TRUE(client_ctx.has_value());
    auto client = *TlsSession::client(*client_ctx, host);
    auto server = *TlsSession::server(*server_ctx);
    auto outcome = handshake_pair(client, server);
    server_error = outcome.server ? std::error_code{} : outcome.server.error();
    return outcome;
  }
  std::error_code server_error;
};

TEST(TlsVerify, SignedByTrustedCaForTheNameIsAccepted) {
  Trial t;
  auto outcome = t.run(*make_certificate({.issuer = &t.ca}), "localhost");
  EXPECT_TRUE(outcome.client.has_value()) << outcome.client.error().message();
}

TEST(TlsVerify, WrongHostNameIsRefused) {
  Trial t;
  auto outcome = t.run(*make_certificate({.issuer = &t.ca}), "www.example.com");
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_EQ(outcome.client.error(), tls_verify_error(X509_V_ERR_HOSTNAME_MISMATCH));
  EXPECT_EQ(outcome.client.error().message(), "certificate verification failed: hostname mismatch");
  EXPECT_EQ(tls_verify_reason(outcome.client.error()), 62);
  // The server hears why: our alert.
  EXPECT_EQ(t.server_error, tls_alert_error(42));
  EXPECT_EQ(t.server_error.message(), "the peer sent TLS alert: bad certificate");
}

TEST(TlsVerify, CommonNameAloneDoesNotMatch) {
  Trial t;
  auto outcome =
      t.run(*make_certificate({.dns_names = {}, .ip_addresses = {}, .issuer = &t.ca}), "localhost");
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_EQ(outcome.client.error().message(), "certificate verification failed: hostname mismatch");
}

TEST(TlsVerify, IpLiteralMatchesAnIpSanOnly) {
  Trial t;
  auto leaf = *make_certificate({.issuer = &t.ca});  // IP SANs 127.0.0.1 and ::1
  EXPECT_TRUE(t.run(leaf, "127.0.0.1").client.has_value());
  EXPECT_TRUE(t.run(leaf, "::1").client.has_value());
  EXPECT_TRUE(t.run(leaf, "[::1]").client.has_value());
  auto other = t.run(leaf, "127.0.0.2");
  ASSERT_FALSE(other.client.has_value());
  EXPECT_EQ(other.client.error(), tls_verify_error(X509_V_ERR_IP_ADDRESS_MISMATCH));
  EXPECT_EQ(other.client.error().message(), "certificate verification failed: IP address mismatch");
  // A DNS SAN spelling the address is not an IP SAN.
  auto dns_only =
      *make_certificate({.dns_names = {"127.0.0.1"}, .ip_addresses = {}, .issuer = &t.ca});
  auto by_dns = t.run(dns_only, "127.0.0.1");
  ASSERT_FALSE(by_dns.client.has_value());
  EXPECT_EQ(by_dns.client.error().message(),
            "certificate verification failed: IP address mismatch");
}

TEST(TlsVerify, SniCarriesNamesButNeverIpLiterals) {
  test::ScratchDir dir;
  auto server_ctx = *TlsServerContext::create();
  auto client_ctx =
      *TlsClientContext::create({.ca_file = dir.write("gen.pem", server_ctx.certificate_pem())});
  for (const auto& [host, sni] :
       {std::pair{"localhost", "localhost"}, std::pair{"127.0.0.1", ""}, std::pair{"::1", ""}}) {
    auto client = *TlsSession::client(client_ctx, host);
    auto server = *TlsSession::server(server_ctx);
    ASSERT_TRUE(handshake_pair(client, server).server.has_value()) << host;
    EXPECT_EQ(server.server_name(), sni) << host;
  }
}

TEST(TlsVerify, ExpiredIsRefused) {
  Trial t;
  auto outcome =
      t.run(*make_certificate({.not_before = hours(-48), .not_after = hours(-1), .issuer = &t.ca}),
            "localhost");
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_EQ(outcome.client.error(), tls_verify_error(X509_V_ERR_CERT_HAS_EXPIRED));
  EXPECT_EQ(outcome.client.error().message(),
            "certificate verification failed: certificate has expired");
  EXPECT_EQ(t.server_error.message(), "the peer sent TLS alert: certificate expired");
}

TEST(TlsVerify, NotYetValidIsRefused) {
  Trial t;
  auto outcome =
      t.run(*make_certificate({.not_before = hours(24), .not_after = hours(48), .issuer = &t.ca}),
            "localhost");
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_EQ(outcome.client.error().message(),
            "certificate verification failed: certificate is not yet valid");
}

TEST(TlsVerify, SelfSignedIsRefused) {
  Trial t;
  auto outcome = t.run(*make_certificate({}), "localhost");
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_EQ(outcome.client.error(), tls_verify_error(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT));
  EXPECT_EQ(outcome.client.error().message(),
            "certificate verification failed: self-signed certificate");
}

TEST(TlsVerify, UnknownCaIsRefused) {
  Trial t;
  auto stranger = make_ca("Stranger CA");
  auto outcome = t.run(*make_certificate({.issuer = &stranger}), "localhost");
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_EQ(outcome.client.error(), tls_verify_error(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY));
  EXPECT_EQ(outcome.client.error().message(),
            "certificate verification failed: unable to get local issuer certificate");
  EXPECT_EQ(t.server_error.message(), "the peer sent TLS alert: unknown CA");
}

TEST(TlsVerify, SystemStoreDoesNotTrustAPrivateCa) {
  Trial t;
  // No trust options: OpenSSL's default paths, Debian's /etc/ssl/certs.
  auto outcome = t.run(*make_certificate({.issuer = &t.ca}), "localhost", {}, false);
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_EQ(outcome.client.error().message(),
            "certificate verification failed: unable to get local issuer certificate");
}

TEST(TlsVerify, PinnedFingerprintReplacesChainAndName) {
  Trial t;
  auto self_signed = *make_certificate({});
  auto outcome = t.run(self_signed, "any.name.example", {.pin_sha256 = self_signed.fingerprint});
  EXPECT_TRUE(outcome.client.has_value()) << outcome.client.error().message();
}

TEST(TlsVerify, WrongPinIsRefused) {
  Trial t;
  auto other = *make_certificate({});
  auto outcome = t.run(*make_certificate({}), "localhost", {.pin_sha256 = other.fingerprint});
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_EQ(outcome.client.error(), TlsErrc::pin_mismatch);
  EXPECT_EQ(outcome.client.error().message(),
            "the certificate does not match the pinned SHA-256 fingerprint");
}

TEST(TlsVerify, InsecureAcceptsAnythingButStillSaysSo) {
  Trial t;
  auto outcome = t.run(*make_certificate({.not_after = hours(-1), .issuer = &t.ca}),
                       "wrong.example", {.verify = false});
  EXPECT_TRUE(outcome.client.has_value());
}

TEST(TlsVerify, GeneratedServerCertificate) {
  auto ctx = *TlsServerContext::create();
  EXPECT_TRUE(ctx.generated());
  EXPECT_EQ(ctx.fingerprint().size(), 95U);
  EXPECT_EQ(format_sha256_fingerprint(*parse_sha256_fingerprint(ctx.fingerprint())),
            ctx.fingerprint());
  test::ScratchDir dir;
  // Trusted as its own CA, it verifies for localhost, 127.0.0.1 and ::1.
  auto client_ctx =
      *TlsClientContext::create({.ca_file = dir.write("gen.pem", ctx.certificate_pem())});
  for (const char* host : {"localhost", "127.0.0.1", "::1"}) {
    auto client = *TlsSession::client(client_ctx, host);
    auto server = *TlsSession::server(ctx);
    auto outcome = handshake_pair(client, server);
    EXPECT_TRUE(outcome.client.has_value()) << host << ": " << outcome.client.error().message();
  }
}

TEST(TlsVerify, FingerprintText) {
  const std::string colon =
      "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"
      "EE:FF";
  auto parsed = parse_sha256_fingerprint(colon);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ((*parsed)[10], 0xaa);
  EXPECT_EQ(format_sha256_fingerprint(*parsed), colon);
  EXPECT_TRUE(parse_sha256_fingerprint("sha256 Fingerprint=" + colon).has_value());
  EXPECT_TRUE(
      parse_sha256_fingerprint("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
  for (const std::string& bad : {std::string(""), colon.substr(3), colon + ":00", colon + ":",
                                 ":" + colon, "zz" + colon.substr(2), std::string("0:0")}) {
    auto result = parse_sha256_fingerprint(bad);
    ASSERT_FALSE(result.has_value()) << bad;
    EXPECT_EQ(result.error(), TlsErrc::invalid_fingerprint);
  }
  EXPECT_EQ(make_error_code(TlsErrc::invalid_fingerprint).message(),
            "invalid SHA-256 fingerprint (expected 32 hex bytes, colons optional)");
}

TEST(TlsVerify, ContextErrors) {
  test::ScratchDir dir;
  auto missing = TlsClientContext::create({.ca_file = "/nonexistent/ca.pem"});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error(), std::errc::no_such_file_or_directory);
  auto empty = TlsClientContext::create({.ca_file = dir.write("empty.pem", "not a certificate\n")});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error(), TlsErrc::bad_ca);
  EXPECT_EQ(empty.error().message(), "no usable CA certificate in the CA file or directory");
  auto bad_pin = TlsClientContext::create({.pin_sha256 = "12:34"});
  ASSERT_FALSE(bad_pin.has_value());
  EXPECT_EQ(bad_pin.error(), TlsErrc::invalid_fingerprint);
  auto bad_alpn = TlsClientContext::create({.alpn = {""}});
  ASSERT_FALSE(bad_alpn.has_value());
  EXPECT_EQ(bad_alpn.error(), TlsErrc::invalid_alpn);

  auto a = *make_certificate({});
  auto b = *make_certificate({});
  auto mismatch = TlsServerContext::create({.cert_pem = a.cert_pem, .key_pem = b.key_pem});
  ASSERT_FALSE(mismatch.has_value());
  EXPECT_EQ(mismatch.error(), TlsErrc::key_mismatch);
  EXPECT_EQ(mismatch.error().message(), "the private key does not match the certificate");
  auto no_cert = TlsServerContext::create({.cert_pem = "garbage", .key_pem = a.key_pem});
  ASSERT_FALSE(no_cert.has_value());
  EXPECT_EQ(no_cert.error(), TlsErrc::bad_certificate);
  auto no_key = TlsServerContext::create({.cert_pem = a.cert_pem});
  ASSERT_FALSE(no_key.has_value());
  EXPECT_EQ(no_key.error(), TlsErrc::bad_private_key);

  auto client_ctx = *TlsClientContext::create({.ca_file = dir.write("a.pem", a.cert_pem)});
  auto no_host = TlsSession::client(client_ctx, "");
  ASSERT_FALSE(no_host.has_value());
  EXPECT_EQ(no_host.error(), TlsErrc::no_host_name);
  EXPECT_EQ(no_host.error().message(), "no host name to verify the certificate against");
}

}  // namespace
}  // namespace sockit
