// `sockit serve echo|chat --ssl` on every model against real TLS clients: python's ssl module
// (16 MiB each way with half-close, chat between two members), openssl s_client and socat's
// OPENSSL address. The server presents a certificate from a CA the test makes; the clients
// verify it (name and chain), so a server that sent no certificate or the wrong one fails.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "serve_tls_support.hpp"

namespace sockit::test {
namespace {

class ServeTls : public ::testing::TestWithParam<std::string> {
 protected:
  void start(const std::string& service, std::vector<std::string> extra = {}) {
    server_ = start_tls_serve(pki_, service, GetParam(), std::move(extra));
    ASSERT_GT(server_.port, 0) << "serve did not start: " << server_.process->err();
  }
  std::string port() const { return std::to_string(server_.port); }

  ServePki pki_;
  ServeChild server_;
};

TEST_P(ServeTls, StartLineSaysTlsAndNoFingerprintForAGivenCertificate) {
  start("echo");
  const std::string& err = server_.process->err();
  EXPECT_NE(err.find("(tcp, model " + GetParam() + ", TLS)\n"), std::string::npos) << err;
  EXPECT_EQ(err.find("fingerprint"), std::string::npos) << err;
}

// The client sends 16 MiB, then close_notify and FIN, and reads until the server's
// close_notify: every byte comes back, in order, and the server ends cleanly.
TEST_P(ServeTls, EchoSixteenMiBEachWayWithPythonHalfClose) {
  start("echo");
  const std::string script = pki_.dir.write("bulk.py", kPythonBulkClient);
  auto r = run({"/usr/bin/python3", script, port(), pki_.ca_file, std::to_string(16 << 20)}, {},
               Ms(120000));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << server_.process->err();
  const auto sent = r.out.find("SENT 16777216 ");
  ASSERT_NE(sent, std::string::npos) << r.out;
  const std::string sha = r.out.substr(sent + 14, 64);
  EXPECT_NE(r.out.find("GOT 16777216 " + sha + "\n"), std::string::npos) << r.out;
}

TEST_P(ServeTls, EchoAnswersOpensslSClient) {
  start("echo");
  Process client({"openssl", "s_client", "-connect", "127.0.0.1:" + port(), "-CAfile", pki_.ca_file,
                  "-verify_hostname", "localhost", "-verify_return_error", "-quiet",
                  "-no_ign_eof"});
  ASSERT_TRUE(client.write_stdin("a line through s_client\n"));
  EXPECT_TRUE(client.wait_stdout("a line through s_client\n", Ms(10000))) << client.err();
  client.close_stdin();  // -no_ign_eof: close_notify, and the echo server closes in turn
  EXPECT_EQ(client.wait(Ms(10000)), 0) << client.err();
  EXPECT_EQ(client.out(), "a line through s_client\n");
}

TEST_P(ServeTls, EchoAnswersSocatOpenssl) {
  start("echo");
  auto r = run({"socat", "-", "OPENSSL:127.0.0.1:" + port() + ",cafile=" + pki_.ca_file},
               "through socat\n", Ms(20000));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "through socat\n");
}

// The welcome is sent before the handshake finishes (the session opens at accept): it waits in
// the filter and is the first record the client reads.
TEST_P(ServeTls, ChatCarriesALineBetweenTwoPythonMembers) {
  start("chat");
  const std::string script = pki_.dir.write("chat.py", kPythonChatClients);
  auto r = run({"/usr/bin/python3", script, port(), pki_.ca_file}, {}, Ms(30000));
  EXPECT_EQ(r.exit_code, 0) << r.err << server_.process->err();
  EXPECT_NE(r.out.find(": hello over tls\n"), std::string::npos) << r.out << r.err;
}

TEST_P(ServeTls, GeneratedCertificateIsPinnedByItsPrintedFingerprint) {
  std::vector<std::string> args = {"echo", "127.0.0.1", "0", "--model", GetParam(), "--ssl"};
  server_ = start_serve(args);
  ASSERT_GT(server_.port, 0) << server_.process->err();
  const std::string& err = server_.process->err();
  const std::string marker =
      "sockit: TLS: a throwaway certificate for localhost, 127.0.0.1 and ::1; SHA-256 "
      "fingerprint ";
  const auto at = err.find(marker);
  ASSERT_NE(at, std::string::npos) << err;
  const std::string fingerprint = err.substr(at + marker.size(), 95);
  auto r = run({sockit_bin(), "connect", "--ssl", "--pin-sha256", fingerprint, "127.0.0.1", port()},
               "pinned\n", Ms(20000));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "pinned\n");
}

// SIGTERM drains: an idle TLS client is closed with close_notify (a clean end, not a cut one)
// and the server reports that every connection finished.
TEST_P(ServeTls, DrainEndsAnIdleClientWithCloseNotify) {
  start("echo");
  const std::string script = pki_.dir.write("idle.py", R"py(import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20),
                    server_hostname="localhost", suppress_ragged_eofs=False)
s.sendall(b"before the drain\n")
print("ECHO", s.recv(100).decode().strip(), flush=True)
try:
    print("CLEAN" if s.recv(100) == b"" else "DATA", flush=True)
except ssl.SSLEOFError:
    print("RAGGED", flush=True)
)py");
  Process client({"/usr/bin/python3", script, port(), pki_.ca_file});
  ASSERT_TRUE(client.wait_stdout("ECHO before the drain\n", Ms(10000))) << client.err();
  server_.process->signal(SIGTERM);
  EXPECT_EQ(client.wait(Ms(10000)), 0) << client.err();
  EXPECT_EQ(client.out(), "ECHO before the drain\nCLEAN\n") << client.err();
  EXPECT_EQ(server_.process->wait(Ms(10000)), 0);
  EXPECT_NE(server_.process->err().find("sockit: drained: every connection finished\n"),
            std::string::npos)
      << server_.process->err();
}

const std::vector<std::string> kModels = {"thread", "pool", "loop", "reactors"};
INSTANTIATE_TEST_SUITE_P(Models, ServeTls, ::testing::ValuesIn(kModels),
                         [](const auto& p) { return p.param; });

TEST(ServeTlsUsage, FlagsThatCannotWorkAreUsageErrors) {
  ServePki pki;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--ssl-cert", pki.cert_file, "--ssl-key", pki.key_file},
       "sockit: --ssl-cert is a TLS option: add --ssl\n"},
      {{"--ssl-verify-client", pki.ca_file},
       "sockit: --ssl-verify-client is a TLS option: add --ssl\n"},
      {{"--ssl", "--ssl-key", pki.key_file},
       "sockit: --ssl-key needs --ssl-cert (the certificate it signs for)\n"},
      {{"--ssl", "-u"}, "sockit: --ssl is for streams; -u cannot be combined with it (no DTLS)\n"},
      {{"--ssl", "--ssl-cert", pki.cert_file, "--ssl-key", pki.client_key},
       "sockit: --ssl-key " + pki.client_key +
           ": the private key does not match the certificate\n"},
  };
  for (const auto& [extra, message] : cases) {
    std::vector<std::string> argv = {sockit_bin(), "serve", "echo", "127.0.0.1", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = run(argv, {}, Ms(10000));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err, message);
  }
}

}  // namespace
}  // namespace sockit::test
