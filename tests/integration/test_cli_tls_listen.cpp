// sockit listen --ssl against real TLS clients (openssl s_client, socat OPENSSL:, python's ssl
// module, sockit connect --ssl): a given certificate, the generated one pinned by its printed
// fingerprint, client certificates, ALPN, the handshake deadline, 16 MiB both ways with
// half-close, and the worked example of docs/cli.md run as written.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_tls_support.hpp"

namespace sockit::test {
namespace {

constexpr int kExitTls = 6;

/// `sockit listen ARGS 0` in the background; port once it printed "listening on".
struct Listener {
  Process process;
  int port = 0;
  explicit Listener(std::vector<std::string> args)
      : process([&] {
          args.insert(args.begin(), "listen");
          args.push_back("0");
          return sockit_argv(std::move(args));
        }()) {
    if (process.wait_stderr("listening on ", milliseconds(10000)) &&
        process.wait_stderr("\n", milliseconds(2000))) {
      port = port_after(process.err(), "listening on ");
    }
  }
  std::string port_text() const { return std::to_string(port); }
  /// stderr without the "listening on" line (and the fingerprint line, if any).
  std::string later_err() const {
    const std::string& err = process.err();
    const std::size_t at = err.find("listening on ");
    return err.substr(err.find('\n', at) + 1);
  }
};

std::vector<std::string> with_cert(const Pki& pki, std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--ssl", "--ssl-cert", pki.server.cert, "--ssl-key",
                                pki.server.key};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(CliTlsListen, OpensslSClientBothDirections) {
  Pki pki;
  Listener listener(with_cert(pki));
  ASSERT_GT(listener.port, 0) << listener.process.err();
  Process client({"openssl", "s_client", "-connect", "127.0.0.1:" + listener.port_text(), "-CAfile",
                  pki.ca_file, "-verify_return_error", "-quiet"});
  client.write_stdin("from-s_client\n");
  EXPECT_TRUE(listener.process.wait_stdout("from-s_client\n"));
  listener.process.write_stdin("from-listener\n");
  listener.process.close_stdin();  // our close_notify: s_client answers with its own and ends
  EXPECT_EQ(listener.process.wait(), 0) << listener.process.err();
  EXPECT_EQ(listener.process.out(), "from-s_client\n");
  EXPECT_EQ(listener.later_err(), "");
  EXPECT_EQ(client.wait(), 0) << client.err();
  EXPECT_EQ(client.out(), "from-listener\n");
}

TEST(CliTlsListen, PythonClientVerifiesAndBothDirectionsArrive) {
  Pki pki;
  Listener listener(with_cert(pki));
  ASSERT_GT(listener.port, 0);
  listener.process.write_stdin("from-listener\n");
  listener.process.close_stdin();
  const std::string script = pki.dir.write("client.py", R"py(
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"from-python\n")
        got = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        sys.stdout.write(got.decode())
        s.unwrap()
)py");
  auto r = run({"/usr/bin/python3", script, listener.port_text(), pki.ca_file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from-listener\n");
  EXPECT_EQ(listener.process.wait(), 0) << listener.process.err();
  EXPECT_EQ(listener.process.out(), "from-python\n");
}

// 16 MiB each way: socat sends its file and half-closes (close_notify, then FIN); the listener
// still sends all of its own, then ends cleanly. Files on both sides, compared by SHA-256.
TEST(CliTlsListen, SixteenMiBBothWaysWithSocatHalfClose) {
  Pki pki;
  const std::string to_socat = pki.dir.write("to_socat.bin", pattern_bytes(16 << 20));
  const std::string to_listener =
      pki.dir.write("to_listener.bin", pattern_bytes((16 << 20) + 7).substr(7));
  const std::string got_listener = pki.dir.write("got_listener.bin", "");
  const std::string got_socat = pki.dir.write("got_socat.bin", "");
  Process listener({"/bin/sh", "-c",
                    sockit_bin() + " listen --ssl --ssl-cert " + pki.server.cert + " --ssl-key " +
                        pki.server.key + " 0 < " + to_socat + " > " + got_listener});
  ASSERT_TRUE(listener.wait_stderr("\n"));
  const int port = port_after(listener.err(), "listening on ");
  ASSERT_GT(port, 0) << listener.err();
  auto socat = run({"/bin/sh", "-c",
                    "socat -t 30 -b 65536 - OPENSSL:127.0.0.1:" + std::to_string(port) +
                        ",cafile=" + pki.ca_file + " < " + to_listener + " > " + got_socat});
  EXPECT_EQ(socat.exit_code, 0) << socat.err;
  EXPECT_EQ(listener.wait(), 0) << listener.err();
  EXPECT_EQ(std::filesystem::file_size(got_listener), 16U << 20);
  EXPECT_EQ(sha256_of_file(got_listener), sha256_of_file(to_listener));
  EXPECT_EQ(std::filesystem::file_size(got_socat), 16U << 20);
  EXPECT_EQ(sha256_of_file(got_socat), sha256_of_file(to_socat));
}

// A client that sends at once after its Finished: the handshake's last read holds more than
// the session takes in one feed (64 KiB), and none of it may be lost. socat does this.
TEST(CliTlsListen, DataRightAfterTheHandshakeIsKept) {
  Pki pki;
  const std::string data = pattern_bytes(1 << 20);
  const std::string file = pki.dir.write("data.bin", data);
  Listener listener(with_cert(pki));  // stdin stays open: the listener only reads
  ASSERT_GT(listener.port, 0);
  Process socat({"/bin/sh", "-c",
                 "socat -t 10 -b 16384 - OPENSSL:127.0.0.1:" + listener.port_text() +
                     ",cafile=" + pki.ca_file + " < " + file + " > /dev/null"});
  EXPECT_TRUE(listener.process.wait_stdout_size(data.size(), milliseconds(10000)));
  listener.process.close_stdin();  // our close_notify ends socat's wait
  EXPECT_EQ(listener.process.wait(), 0) << listener.process.err();
  EXPECT_EQ(socat.wait(), 0) << socat.err();
  EXPECT_EQ(listener.process.out().size(), data.size());
  EXPECT_TRUE(listener.process.out() == data);
  EXPECT_EQ(listener.later_err(), "");
}

// A client whose Finished and first data leave in one send (python's ssl over memory BIOs):
// the listener's handshake reads both, and the data must come out although the socket has
// nothing more to say.
TEST(CliTlsListen, DataInTheSameSegmentAsTheFinishedComesOut) {
  Pki pki;
  Listener listener(with_cert(pki));
  ASSERT_GT(listener.port, 0);
  const std::string script = pki.dir.write("client.py", R"py(
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
while True:
    try:
        tls.do_handshake()
        break
    except ssl.SSLWantReadError:
        sock.sendall(outgoing.read())
        incoming.write(sock.recv(65536))
tls.write(b"sent with the finished\n")
sock.sendall(outgoing.read())
while True:
    try:
        if not tls.read(65536):
            break
    except ssl.SSLWantReadError:
        data = sock.recv(65536)
        if not data:
            sys.exit("EOF without close_notify")
        incoming.write(data)
    except ssl.SSLZeroReturnError:
        break
try:
    tls.unwrap()
except ssl.SSLWantReadError:
    pass
sock.sendall(outgoing.read())
)py");
  Process client({"/usr/bin/python3", script, listener.port_text(), pki.ca_file});
  EXPECT_TRUE(listener.process.wait_stdout("sent with the finished\n", milliseconds(5000)))
      << listener.process.err();
  listener.process.close_stdin();
  EXPECT_EQ(listener.process.wait(), 0) << listener.process.err();
  EXPECT_EQ(listener.process.out(), "sent with the finished\n");
  EXPECT_EQ(client.wait(), 0) << client.err();
}

TEST(CliTlsListen, GeneratedCertificateIsPinnedByItsPrintedFingerprint) {
  Listener listener({"--ssl"});
  ASSERT_GT(listener.port, 0);
  const std::string err = listener.process.err();
  const std::string marker =
      "sockit: TLS: a throwaway certificate for localhost, 127.0.0.1 and ::1; SHA-256 "
      "fingerprint ";
  ASSERT_TRUE(err.starts_with(marker)) << err;
  const std::string fingerprint = err.substr(marker.size(), 95);
  listener.process.write_stdin("from-listener\n");
  listener.process.close_stdin();
  auto r =
      sockit({"connect", "--ssl", "--pin-sha256", fingerprint, "127.0.0.1", listener.port_text()},
             "from-client\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from-listener\n");
  EXPECT_EQ(listener.process.wait(), 0) << listener.process.err();
  EXPECT_EQ(listener.process.out(), "from-client\n");
}

// Without the pin the generated certificate is refused as self-signed, and the listener hears
// why from the client's alert.
TEST(CliTlsListen, GeneratedCertificateWithoutThePinIsRefused) {
  Listener listener({"--ssl"});
  ASSERT_GT(listener.port, 0);
  auto refused = sockit({"connect", "--ssl", "127.0.0.1", listener.port_text()});
  EXPECT_EQ(refused.exit_code, kExitTls);
  EXPECT_EQ(refused.err,
            "sockit: TLS handshake with 127.0.0.1 port " + listener.port_text() +
                ": certificate verification failed: self-signed certificate (the server's "
                "certificate is self-signed: trust it with --cacert FILE or --pin-sha256 FP, or "
                "-k to skip verification)\n");
  EXPECT_EQ(listener.process.wait(), kExitTls);
  EXPECT_TRUE(listener.later_err().ends_with(
      ": the peer sent TLS alert: unknown CA (the client does not trust this certificate: give "
      "it the CA file for --cacert, or the fingerprint for --pin-sha256)\n"))
      << listener.later_err();
}

TEST(CliTlsListen, ClientCertificateRequiredAndMissing) {
  Pki pki;
  Listener listener(with_cert(pki, {"--ssl-verify-client", pki.ca_file}));
  ASSERT_GT(listener.port, 0);
  auto r = run({"openssl", "s_client", "-connect", "127.0.0.1:" + listener.port_text(), "-CAfile",
                pki.ca_file, "-quiet"},
               "x\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(listener.process.wait(), kExitTls);
  const std::string err = listener.later_err();
  EXPECT_TRUE(err.starts_with("sockit: TLS handshake with 127.0.0.1:")) << err;
  EXPECT_TRUE(
      err.ends_with(": TLS error: peer did not return a certificate (the client sent no "
                    "certificate and --ssl-verify-client requires one)\n"))
      << err;

  Listener again(with_cert(pki, {"--ssl-verify-client", pki.ca_file, "-v"}));
  ASSERT_GT(again.port, 0);
  again.process.close_stdin();
  auto ok = sockit({"connect", "--ssl", "--cacert", pki.ca_file, "--ssl-cert", pki.client.cert,
                    "--ssl-key", pki.client.key, "127.0.0.1", again.port_text()},
                   "with a certificate\n");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(again.process.wait(), 0) << again.process.err();
  EXPECT_EQ(again.process.out(), "with a certificate\n");
  EXPECT_NE(again.process.err().find("sockit: client certificate: CN=sockit test client\n"),
            std::string::npos)
      << again.process.err();
}

TEST(CliTlsListen, AlpnAgreedAndRefused) {
  Pki pki;
  Listener agreed(with_cert(pki, {"--ssl-alpn", "h2,http/1.1"}));
  ASSERT_GT(agreed.port, 0);
  auto ok = sockit({"connect", "-z", "--ssl", "--cacert", pki.ca_file, "--ssl-alpn",
                    "http/1.1,spdy/3", "127.0.0.1", agreed.port_text()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("\nTLS: TLSv1.3, cipher TLS_AES_256_GCM_SHA384, ALPN http/1.1\n"),
            std::string::npos)
      << ok.out;

  Listener refusing(with_cert(pki, {"--ssl-alpn", "h2"}));
  ASSERT_GT(refusing.port, 0);
  auto r = sockit({"connect", "--ssl", "--cacert", pki.ca_file, "--ssl-alpn", "http/1.1",
                   "127.0.0.1", refusing.port_text()});
  EXPECT_EQ(r.exit_code, kExitTls);
  EXPECT_EQ(r.err, "sockit: TLS handshake with 127.0.0.1 port " + refusing.port_text() +
                       ": the peer sent TLS alert: no application protocol (the server speaks "
                       "none of the --ssl-alpn protocols)\n");
  EXPECT_EQ(refusing.process.wait(), kExitTls);
  EXPECT_TRUE(refusing.later_err().ends_with(
      ": TLS error: no application protocol (the client offered none of the --ssl-alpn "
      "protocols)\n"))
      << refusing.later_err();
}

TEST(CliTlsListen, ClientThatSaysNothingMeetsTheHandshakeDeadline) {
  Pki pki;
  Listener listener(with_cert(pki, {"--ssl-handshake-timeout", "0.5"}));
  ASSERT_GT(listener.port, 0);
  Process silent({"socat", "-u", "TCP:127.0.0.1:" + listener.port_text(), "-"});
  EXPECT_EQ(listener.process.wait(milliseconds(5000)), 5) << listener.process.err();
  const std::string err = listener.later_err();
  EXPECT_TRUE(err.starts_with("sockit: TLS handshake with 127.0.0.1:")) << err;
  EXPECT_TRUE(
      err.ends_with(": the deadline passed before the operation finished (no answer "
                    "within the time allowed)\n"))
      << err;
}

TEST(CliTlsListen, UsageErrors) {
  Pki pki;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--ssl-cert", pki.server.cert, "--ssl-key", pki.server.key},
       "--ssl-cert is a TLS option: add --ssl"},
      {{"--ssl-verify-client", pki.ca_file}, "--ssl-verify-client is a TLS option: add --ssl"},
      {{"--ssl", "--ssl-key", pki.server.key},
       "--ssl-key needs --ssl-cert (the certificate it signs for)"},
      {{"--ssl", "--ssl-cert", pki.server.cert, "--ssl-key", pki.client.key},
       "--ssl-key " + pki.client.key + ": the private key does not match the certificate"},
      {{"--ssl", "--ssl-cert", pki.ca_file + ".missing", "--ssl-key", pki.server.key},
       "--ssl-cert " + pki.ca_file + ".missing: No such file or directory"},
      {{"--ssl", "-u"}, "--ssl is for streams; -u cannot be combined with it (no DTLS)"},
  };
  for (const auto& [extra, message] : cases) {
    std::vector<std::string> args{"listen"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("0");
    auto r = sockit(args);
    EXPECT_EQ(r.exit_code, 2) << message;
    EXPECT_EQ(r.err, "sockit: " + message + "\n");
  }
}

// The worked example of docs/cli.md's TLS section, run as written (on a free port instead of
// 4433, with this build's sockit first on PATH).
TEST(CliTlsListen, DocumentedExampleWorks) {
  std::ifstream doc(std::string(SOCKIT_SOURCE_DIR) + "/docs/cli.md");
  std::stringstream text;
  text << doc.rdbuf();
  const std::string all = text.str();
  const std::size_t start = all.find("```sh\n", all.find("<!-- tls-example"));
  const std::size_t end = all.find("```\n", start + 6);
  ASSERT_NE(start, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string script = all.substr(start + 6, end - start - 6);
  const std::string port = std::to_string(free_port());
  for (std::size_t at; (at = script.find("4433")) != std::string::npos;)
    script.replace(at, 4, port);
  ScratchDir dir;
  const std::string path = dir.write("example.sh", "set -e\n" + script + "wait\n");
  const std::string bin_dir = std::filesystem::path(sockit_bin()).parent_path().string();
  auto r = run({"/bin/sh", "-c",
                "cd " + std::filesystem::path(path).parent_path().string() + " && PATH=" + bin_dir +
                    ":$PATH sh " + path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello\n");
  EXPECT_NE(r.err.find("sockit: listening on 127.0.0.1:" + port + "\n"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace sockit::test
