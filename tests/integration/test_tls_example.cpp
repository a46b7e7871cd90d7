// examples/tls_client.cpp, the verified blocking client with a deadline, against a python ssl
// server that greets first (as SMTP or POP3 over TLS do).
#include <gtest/gtest.h>

#include "support/process.hpp"
#include "support/tls_test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::Process;

constexpr std::string_view kGreeter = R"(import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
ls.settimeout(20)
print("PORT 127.0.0.1:%d" % ls.getsockname()[1], flush=True)
c, _ = ls.accept()
c.settimeout(20)
try:
    s = ctx.wrap_socket(c, server_side=True)
    s.sendall(b"220 greetings over tls\r\n")
    s.unwrap()
    print("CLEAN", flush=True)
except ssl.SSLError as e:
    print("REFUSED", e.reason, flush=True)
)";

struct Greeter {
  test::TestPki pki;
  Process server{
      {"/usr/bin/python3", pki.dir.write("greeter.py", kGreeter), pki.cert_file, pki.key_file}};
  std::string port() {
    if (!server.wait_stdout("\n", 10000ms)) return "0";
    return std::to_string(test::port_after(server.out(), "PORT "));
  }
};

const std::string kExample = std::string(SOCKIT_EXAMPLES_DIR) + "/tls_client";

TEST(TlsExample, VerifiedClientPrintsTheFirstLine) {
  Greeter g;
  auto r = test::run({kExample, "localhost", g.port(), g.pki.ca_file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "TLSv1.3 220 greetings over tls\n");
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(g.server.wait_stdout("CLEAN\n", 10000ms)) << g.server.out();  // our close_notify
}

TEST(TlsExample, UnknownCaIsRefusedWithItsReason) {
  Greeter g;
  auto r = test::run({kExample, "localhost", g.port()});  // the system store lacks our test CA
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
            "TLS handshake failed: certificate verification failed: unable to get local issuer "
            "certificate (the certificate is not signed by a CA this machine trusts: use --cacert "
            "FILE for a private CA, or -k to skip verification)");
  EXPECT_TRUE(g.server.wait_stdout("REFUSED TLSV1_ALERT_UNKNOWN_CA\n", 10000ms)) << g.server.out();
}

}  // namespace
}  // namespace sockit
