// sockit connect --ssl against real TLS servers (openssl s_server, python's ssl module, ncat
// --ssl -l) with certificates the tests make: verified by default, each refusal with its own
// words and exit 6, -k, pinning, client certificates, ALPN, truncation, 16 MiB with half-close,
// and the usage errors of the TLS options.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_tls_support.hpp"
#include "json_schema.hpp"

namespace sockit::test {
namespace {

constexpr int kExitTls = 6;

std::string handshake_error(const std::string& port, const std::string& rest) {
  return "sockit: TLS handshake with 127.0.0.1 port " + port + ": " + rest + "\n";
}

TEST(CliTlsConnect, VerifiedByAPrivateCaAgainstSServer) {
  Pki pki;
  SServer server(pki.server, {"-rev"});
  ASSERT_GT(server.port, 0) << server.process.err();
  auto r = sockit({"connect", "--ssl", "--cacert", pki.ca_file, "127.0.0.1", server.port_text()},
                  "hello tls\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "slt olleh\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliTlsConnect, CheckPrintsTheSessionAndCertificate) {
  Pki pki;
  SServer server(pki.server, {"-alpn", "h2,http/1.1"});
  ASSERT_GT(server.port, 0);
  auto r = sockit({"connect", "-z", "--ssl", "--cacert", pki.ca_file, "--ssl-alpn", "http/1.1",
                   "127.0.0.1", server.port_text()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines;
  for (std::size_t at = 0, end; (end = r.out.find('\n', at)) != std::string::npos; at = end + 1)
    lines.push_back(r.out.substr(at, end - at));
  ASSERT_EQ(lines.size(), 8U) << r.out;
  EXPECT_TRUE(lines[0].starts_with("connected to 127.0.0.1 port " + server.port_text()))
      << lines[0];
  EXPECT_EQ(lines[1], "TLS: TLSv1.3, cipher TLS_AES_256_GCM_SHA384, ALPN http/1.1");
  EXPECT_EQ(lines[2], "certificate subject: CN=localhost");
  EXPECT_EQ(lines[3], "certificate issuer: CN=sockit test CA");
  EXPECT_EQ(lines[4], "certificate SANs: DNS:localhost, IP:127.0.0.1, IP:::1");
  // make_certificate: valid from an hour ago for 30 days (29 whole days and some seconds left,
  // or 30 when the certificate was made within the second of the check).
  EXPECT_TRUE(lines[5].starts_with("certificate valid from 20")) << lines[5];
  EXPECT_TRUE(lines[5].ends_with("Z, 29 days left") || lines[5].ends_with("Z, 30 days left"))
      << lines[5];
  EXPECT_EQ(lines[6], "certificate SHA-256: " + pki.server.fingerprint);
  EXPECT_EQ(lines[7], "verification: OK: signed by a trusted CA, valid for 127.0.0.1");
}

TEST(CliTlsConnect, CheckJsonIsOneObjectTheSchemaKnows) {
  Pki pki;
  SServer server(pki.server, {});
  ASSERT_GT(server.port, 0);
  auto r = sockit({"connect", "-z", "--json", "--ssl", "--cacert", pki.ca_file, "127.0.0.1",
                   server.port_text()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.out;
  const auto schema =
      SchemaChecker::load(std::string(SOCKIT_SOURCE_DIR) + "/docs/sockit-json.schema.json");
  EXPECT_EQ(schema.check(doc, "connect_check"), std::vector<std::string>{}) << r.out;
  EXPECT_EQ(schema.check(doc), std::vector<std::string>{}) << r.out;
  EXPECT_EQ(doc["tls"]["version"], "TLSv1.3");
  EXPECT_EQ(doc["tls"]["alpn"], nullptr);
  EXPECT_EQ(doc["tls"]["verified"], true);
  EXPECT_EQ(doc["tls"]["certificate"]["sha256"], pki.server.fingerprint);
  EXPECT_GE(doc["tls"]["certificate"].value("days_left", 0), 29);
  EXPECT_LE(doc["tls"]["certificate"].value("days_left", 0), 30);

  // A refused certificate: the same document with the failure's three fields, exit 6.
  auto bad = sockit({"connect", "-z", "--json", "--ssl", "127.0.0.1", server.port_text()});
  EXPECT_EQ(bad.exit_code, kExitTls);
  const auto failed = nlohmann::json::parse(bad.out, nullptr, false);
  EXPECT_EQ(schema.check(failed, "connect_check"), std::vector<std::string>{}) << bad.out;
  EXPECT_EQ(failed.value("kind", ""), "tls");
  EXPECT_EQ(failed.value("exit_code", 0), kExitTls);
  EXPECT_EQ("sockit: " + failed.value("error", std::string()) + "\n", bad.err);
}

// One s_server per certificate; `connect --ssl` to it with `extra` options.
RunResult refused_by(const CertFiles& cert, std::vector<std::string> extra, std::string& port) {
  SServer server(cert, {});
  EXPECT_GT(server.port, 0);
  port = server.port_text();
  std::vector<std::string> args{"connect", "--ssl"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), {"127.0.0.1", port});
  return sockit(args, "x\n");
}

TEST(CliTlsConnect, UnknownCaIsRefused) {
  Pki pki;
  std::string port;
  auto r = refused_by(pki.server, {}, port);
  EXPECT_EQ(r.exit_code, kExitTls);
  EXPECT_EQ(r.err, handshake_error(port,
                                   "certificate verification failed: unable to get local issuer "
                                   "certificate (the certificate is not signed by a CA this "
                                   "machine trusts: use --cacert FILE for a private CA, or -k to "
                                   "skip verification)"));
}

TEST(CliTlsConnect, ExpiredIsRefused) {
  Pki pki;
  auto old = pki.issue(
      "old", {.not_before = std::chrono::hours(-48), .not_after = std::chrono::hours(-24)});
  std::string port;
  auto r = refused_by(old, {"--cacert", pki.ca_file}, port);
  EXPECT_EQ(r.exit_code, kExitTls);
  EXPECT_EQ(r.err, handshake_error(port,
                                   "certificate verification failed: certificate has expired (the "
                                   "certificate's validity has ended: it must be renewed, or this "
                                   "machine's clock is wrong; -k skips verification)"));
}

TEST(CliTlsConnect, NotYetValidIsRefused) {
  Pki pki;
  auto early = pki.issue(
      "early", {.not_before = std::chrono::hours(24), .not_after = std::chrono::hours(48)});
  std::string port;
  auto r = refused_by(early, {"--cacert", pki.ca_file}, port);
  EXPECT_EQ(r.exit_code, kExitTls);
  EXPECT_EQ(r.err, handshake_error(port,
                                   "certificate verification failed: certificate is not yet valid "
                                   "(the certificate's validity has not begun: check both "
                                   "machines' clocks; -k skips verification)"));
}

TEST(CliTlsConnect, HostNameMismatchIsRefused) {
  Pki pki;
  std::string port;
  auto r =
      refused_by(pki.server, {"--cacert", pki.ca_file, "--ssl-servername", "example.com"}, port);
  EXPECT_EQ(r.exit_code, kExitTls);
  EXPECT_EQ(r.err,
            handshake_error(port,
                            "certificate verification failed: hostname mismatch (the "
                            "certificate is for other names: connect by a name it lists, "
                            "as connect -z -v -k shows them, or set --ssl-servername NAME)"));
}

TEST(CliTlsConnect, IpSanMismatchIsRefusedAndANameItListsWorks) {
  Pki pki;
  auto other = pki.issue("other_ip", {.ip_addresses = {"127.0.0.2"}});
  std::string port;
  auto r = refused_by(other, {"--cacert", pki.ca_file}, port);
  EXPECT_EQ(r.exit_code, kExitTls);
  EXPECT_EQ(r.err, handshake_error(port,
                                   "certificate verification failed: IP address mismatch (the "
                                   "certificate does not list this IP address: connect by a name "
                                   "it lists or set --ssl-servername NAME)"));
  // The certificate names localhost: verifying that name over the same address passes.
  auto named =
      refused_by(other, {"--cacert", pki.ca_file, "--ssl-servername", "localhost", "-z"}, port);
  EXPECT_EQ(named.exit_code, 0) << named.err;
}

TEST(CliTlsConnect, PinAcceptsItsCertificateOnly) {
  Pki pki;
  auto self = pki.issue("self", {}, true);
  std::string lower;  // no colons, lower case: the same fingerprint
  for (char c : self.fingerprint)
    if (c != ':') lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string port;
  auto ok = refused_by(self, {"-z", "--pin-sha256", lower}, port);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("verification: OK: the certificate matches the pinned SHA-256 "
                        "fingerprint\n"),
            std::string::npos)
      << ok.out;
  auto wrong = refused_by(self, {"--pin-sha256", pki.server.fingerprint}, port);
  EXPECT_EQ(wrong.exit_code, kExitTls);
  EXPECT_EQ(wrong.err, handshake_error(port,
                                       "the certificate does not match the pinned SHA-256 "
                                       "fingerprint (the server presented another certificate: "
                                       "check the fingerprint, or whether something intercepts "
                                       "the connection)"));
}

TEST(CliTlsConnect, InsecureConnectsAndWarns) {
  Pki pki;
  SServer server(pki.server, {"-rev"});
  ASSERT_GT(server.port, 0);
  auto r = sockit({"connect", "--ssl", "-k", "127.0.0.1", server.port_text()}, "abc\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "cba\n");
  EXPECT_EQ(r.err,
            "sockit: warning: -k: the server's certificate and name are not checked; anyone on "
            "the path can read and change the data\n");
}

TEST(CliTlsConnect, ClientCertificateRequiredAndMissing) {
  Pki pki;
  PythonTlsServer without(std::string("echo"), pki.server, pki.ca_file);
  ASSERT_GT(without.port, 0) << without.process.err();
  auto r = sockit({"connect", "--ssl", "--cacert", pki.ca_file, "127.0.0.1", without.port_text()},
                  "hello\n");
  EXPECT_EQ(r.exit_code, kExitTls);
  EXPECT_EQ(r.err, "sockit: connection to 127.0.0.1 port " + without.port_text() +
                       ": the peer sent TLS alert: certificate required (the server requires a "
                       "client certificate: give one with --ssl-cert FILE --ssl-key FILE)\n");

  PythonTlsServer with(std::string("echo"), pki.server, pki.ca_file);
  ASSERT_GT(with.port, 0);
  auto ok = sockit({"connect", "--ssl", "--cacert", pki.ca_file, "--ssl-cert", pki.client.cert,
                    "--ssl-key", pki.client.key, "127.0.0.1", with.port_text()},
                   "hello\n");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "hello\n");
}

TEST(CliTlsConnect, AlpnRefusedBySServer) {
  Pki pki;
  SServer server(pki.server, {"-alpn", "h2"});
  ASSERT_GT(server.port, 0);
  auto r = sockit({"connect", "--ssl", "--cacert", pki.ca_file, "--ssl-alpn", "http/1.1",
                   "127.0.0.1", server.port_text()});
  EXPECT_EQ(r.exit_code, kExitTls);
  EXPECT_EQ(r.err, handshake_error(server.port_text(),
                                   "the peer sent TLS alert: no application protocol (the server "
                                   "speaks none of the --ssl-alpn protocols)"));
}

TEST(CliTlsConnect, EofWithoutCloseNotifyIsTruncation) {
  Pki pki;
  PythonTlsServer server(std::string("truncate"), pki.server);
  ASSERT_GT(server.port, 0);
  auto r = sockit({"connect", "--ssl", "--cacert", pki.ca_file, "127.0.0.1", server.port_text()},
                  "sent\n");
  EXPECT_EQ(r.exit_code, kExitTls);
  EXPECT_EQ(r.out, "partial\n");
  EXPECT_EQ(r.err, "sockit: connection to 127.0.0.1 port " + server.port_text() +
                       ": the peer closed the connection without close_notify (truncated) (the "
                       "connection was cut on the way, or the peer never sends close_notify, "
                       "like ncat --ssl: the last data may be missing)\n");
}

// 16 MiB to a python server that answers only after our close_notify (the half-close): it
// receives every byte, and every byte comes back.
TEST(CliTlsConnect, SixteenMiBBothWaysWithHalfClose) {
  Pki pki;
  const std::string data = pattern_bytes(16 << 20);
  const std::string file = pki.dir.write("data.bin", data);
  PythonTlsServer server(std::string("echo"), pki.server);
  ASSERT_GT(server.port, 0);
  auto r =
      sockit({"connect", "--ssl", "--cacert", pki.ca_file, "127.0.0.1", server.port_text()}, data);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), data.size());
  EXPECT_TRUE(r.out == data);
  EXPECT_EQ(server.process.wait(), 0);
  EXPECT_NE(server.process.out().find("RECEIVED 16777216 " + sha256_of_file(file) + "\n"),
            std::string::npos)
      << server.process.out();
}

// ncat --ssl -l delivers everything but ends without close_notify: sockit says so (exit 6).
TEST(CliTlsConnect, NcatSslListenerEndsWithoutCloseNotify) {
  Pki pki;
  const int port = free_port();
  Process ncat({"ncat", "--ssl", "--ssl-cert", pki.server.cert, "--ssl-key", pki.server.key, "-l",
                "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(wait_bound(port));
  ncat.write_stdin("from-ncat\n");
  ncat.close_stdin();
  auto r = sockit({"connect", "--ssl", "--cacert", pki.ca_file, "127.0.0.1", std::to_string(port)},
                  "from-client\n");
  EXPECT_EQ(r.out, "from-ncat\n");
  EXPECT_EQ(ncat.wait(), 0);
  EXPECT_EQ(ncat.out(), "from-client\n");
  EXPECT_EQ(r.exit_code, kExitTls);
  EXPECT_EQ(r.err, "sockit: connection to 127.0.0.1 port " + std::to_string(port) +
                       ": the peer closed the connection without close_notify (truncated) (the "
                       "connection was cut on the way, or the peer never sends close_notify, "
                       "like ncat --ssl: the last data may be missing)\n");
}

TEST(CliTlsConnect, UsageErrors) {
  Pki pki;
  const std::string missing = "/nonexistent/ca.pem";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--cacert", pki.ca_file}, "--cacert is a TLS option: add --ssl"},
      {{"-k"}, "-k/--insecure is a TLS option: add --ssl"},
      {{"--ssl", "--ssl-key", pki.client.key},
       "--ssl-key needs --ssl-cert (the certificate it signs for)"},
      {{"--ssl", "--ssl-cert", pki.client.cert}, "--ssl-cert needs --ssl-key (its private key)"},
      {{"--ssl", "--cacert", missing}, "--cacert " + missing + ": No such file or directory"},
      {{"--ssl", "--ssl-trustfile", "/tmp"}, "--cacert /tmp: Is a directory"},
      {{"--ssl", "--pin-sha256", "AB:CD"},
       "--pin-sha256 'AB:CD': invalid SHA-256 fingerprint (expected 32 hex bytes, colons "
       "optional)"},
      {{"--ssl", "-u"}, "--ssl is for streams; -u cannot be combined with it (no DTLS)"},
      {{"--ssl", "--cacert", pki.client.key},
       "--cacert " + pki.client.key + ": no usable CA certificate in the CA file or directory"},
      {{"--ssl", "--ssl-alpn", "h2,"}, "--ssl-alpn 'h2,': each protocol name is 1 to 255 bytes"},
      {{"--ssl", "-k", "--pin-sha256", pki.server.fingerprint},
       "--pin-sha256 checks the certificate; -k skips checks: pick one"},
  };
  for (const auto& [extra, message] : cases) {
    std::vector<std::string> args{"connect"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"127.0.0.1", "9"});
    auto r = sockit(args);
    EXPECT_EQ(r.exit_code, 2) << message;
    EXPECT_EQ(r.err, "sockit: " + message + "\n");
  }
}

}  // namespace
}  // namespace sockit::test
