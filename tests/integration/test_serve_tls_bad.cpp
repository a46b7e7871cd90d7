// `sockit serve echo --ssl` against clients that fail: no client certificate when one is
// required, garbage instead of a ClientHello, a client that says nothing, one that stalls in
// the middle of its ClientHello, one that vanishes in the middle of a record. Each failure is
// exactly one line on the server's stderr naming the client and OpenSSL's reason; a good client
// is served right after, and the server's descriptors return to their count before the attack.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "serve_tls_support.hpp"

namespace sockit::test {
namespace {

/// Misbehaving clients, one per mode (python, standard library). Arguments: MODE PORT CAFILE.
///   garbage     sends text instead of a ClientHello, reads until the server closes
///   silent      connects and sends nothing until the server closes
///   half-hello  sends the first half of a real ClientHello, then waits until the server closes
///   mid-record  finishes the handshake, sends half of a 10,000-byte record ("SENT"), then FIN
/// Prints "CLOSED" once the server closed.
constexpr std::string_view kBadClient = R"py(import socket, ssl, sys
mode, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sock = socket.create_connection(("127.0.0.1", port), timeout=20)
def until_closed():
    while True:
        try:
            if not sock.recv(65536):
                break
        except ConnectionResetError:
            break
    print("CLOSED", flush=True)
if mode == "garbage":
    sock.sendall(b"garbage, not a ClientHello\r\n")
    until_closed()
elif mode == "silent":
    until_closed()
else:
    ctx = ssl.create_default_context(cafile=cafile)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    if mode == "half-hello":
        sock.sendall(hello[:len(hello) // 2])
        until_closed()
        sys.exit(0)
    sock.sendall(hello)
    for _ in range(100):
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            sock.sendall(out.read())
            inc.write(sock.recv(65536))
    sock.sendall(out.read())
    tls.write(b"x" * 10000)
    record = out.read()
    sock.sendall(record[:len(record) // 2])
    print("SENT", flush=True)
    # FIN, not close(): the session tickets the server sent are unread, and closing with
    # unread input would reset the connection instead.
    sock.shutdown(socket.SHUT_WR)
    until_closed()
)py";

class ServeTlsBad : public ::testing::TestWithParam<std::string> {
 protected:
  void start(std::vector<std::string> extra) {
    server_ = start_tls_serve(pki_, "echo", GetParam(), std::move(extra));
    ASSERT_GT(server_.port, 0) << "serve did not start: " << server_.process->err();
    baseline_ = settled_fd_count(server_.process->pid());
    ASSERT_GT(baseline_, 0);
    start_lines_ = server_.process->err().size();
  }
  std::string port() const { return std::to_string(server_.port); }

  RunResult python(std::string_view script, std::vector<std::string> args) {
    const std::string path = pki_.dir.write("client.py", script);
    args.insert(args.begin(), {"/usr/bin/python3", path});
    return run(args, {}, Ms(30000));
  }
  RunResult bad(const std::string& mode) {
    return python(kBadClient, {mode, port(), pki_.ca_file});
  }
  RunResult good(std::vector<std::string> cert = {}) {
    std::vector<std::string> args = {port(), pki_.ca_file};
    args.insert(args.end(), cert.begin(), cert.end());
    return python(kPythonLineEcho, args);
  }

  // The server's stderr since it started, once `ending` has arrived (or 5 s passed), without
  // the thread model's note about lowering --max-conns.
  std::string log_after(const std::string& ending) {
    (void)server_.process->wait_stderr(ending, Ms(5000));
    std::istringstream in(server_.process->err().substr(start_lines_));
    std::string log;
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with("sockit: --max-conns lowered")) log += line + "\n";
    }
    return log;
  }

  // Exactly one line that starts with `prefix` and ends with `ending`.
  void expect_one_line(const std::string& prefix, const std::string& ending) {
    const std::string log = log_after(ending + "\n");
    EXPECT_TRUE(log.starts_with(prefix)) << log;
    EXPECT_TRUE(log.ends_with(ending + "\n")) << log;
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  }

  void expect_served_and_no_leak() {
    auto r = good();
    EXPECT_EQ(r.out, "ECHO one line\n") << r.err;
    EXPECT_EQ(wait_fd_count(server_.process->pid(), baseline_, Ms(6000)), baseline_)
        << fd_listing(server_.process->pid());
    EXPECT_TRUE(server_.process->running());
  }

  ServePki pki_;
  ServeChild server_;
  int baseline_ = 0;
  std::size_t start_lines_ = 0;
};

const std::string kHandshakeWith = "sockit: TLS handshake with 127.0.0.1:";
const std::string kDeadline =
    ": the deadline passed before the operation finished (no answer within the time allowed)";

TEST_P(ServeTlsBad, GarbageInsteadOfAClientHello) {
  start({});
  auto r = bad("garbage");
  EXPECT_EQ(r.out, "CLOSED\n") << r.err;
  expect_one_line(kHandshakeWith,
                  ": TLS error: wrong version number (the client does not speak TLS)");
  expect_served_and_no_leak();
}

TEST_P(ServeTlsBad, SilentClientIsClosedAtTheHandshakeDeadline) {
  start({"--ssl-handshake-timeout", "0.5"});
  const auto began = SteadyClock::now();
  auto r = bad("silent");
  const auto waited = SteadyClock::now() - began;
  EXPECT_EQ(r.out, "CLOSED\n") << r.err;
  EXPECT_GE(waited, Ms(450));
  EXPECT_LT(waited, Ms(3000));
  expect_one_line(kHandshakeWith, kDeadline);
  expect_served_and_no_leak();
}

TEST_P(ServeTlsBad, ClientStalledMidClientHelloIsClosedAtTheDeadline) {
  start({"--ssl-handshake-timeout", "0.5"});
  auto r = bad("half-hello");
  EXPECT_EQ(r.out, "CLOSED\n") << r.err;
  expect_one_line(kHandshakeWith, kDeadline);
  expect_served_and_no_leak();
}

TEST_P(ServeTlsBad, PeerVanishingMidRecordIsATruncation) {
  start({});
  auto r = bad("mid-record");
  EXPECT_EQ(r.out, "SENT\nCLOSED\n") << r.err;
  expect_one_line("sockit: connection from 127.0.0.1:",
                  ": the peer closed the connection without close_notify (truncated) (the "
                  "connection was cut on the way, or the peer never sends close_notify, like "
                  "ncat --ssl: the last data may be missing)");
  expect_served_and_no_leak();
}

TEST_P(ServeTlsBad, ClientCertificateRequiredAndMissingIsRefused) {
  start({"--ssl-verify-client", pki_.ca_file});
  auto refused = good();
  EXPECT_TRUE(refused.out.starts_with("REFUSED ")) << refused.out << refused.err;
  const std::string log = log_after("certificate");
  EXPECT_TRUE(log.starts_with(kHandshakeWith)) << log;
  EXPECT_NE(log.find("certificate"), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
  auto served = good({pki_.client_cert, pki_.client_key});
  EXPECT_EQ(served.out, "ECHO one line\n") << served.err << server_.process->err();
  EXPECT_EQ(wait_fd_count(server_.process->pid(), baseline_, Ms(6000)), baseline_)
      << fd_listing(server_.process->pid());
}

// Over the cap a TLS client is closed without the plaintext "ERR server full" line, which it
// could not read (its TLS layer would call it a wrong version number).
TEST_P(ServeTlsBad, OverTheCapAClientIsClosedWithoutAPlaintextLine) {
  start({"--max-conns", "1"});
  const std::string script = pki_.dir.write("hold.py", R"py(import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
port = int(sys.argv[1])
held = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20),
                       server_hostname="localhost")
held.sendall(b"first\n")
print("HELD", held.recv(100).decode().strip(), flush=True)
extra = socket.create_connection(("127.0.0.1", port), timeout=20)
print("EXTRA", repr(extra.recv(100)), flush=True)
)py");
  auto r = run({"/usr/bin/python3", script, port(), pki_.ca_file}, {}, Ms(30000));
  EXPECT_EQ(r.out, "HELD first\nEXTRA b''\n") << r.err;
}

const std::vector<std::string> kModels = {"thread", "pool", "loop", "reactors"};
INSTANTIATE_TEST_SUITE_P(Models, ServeTlsBad, ::testing::ValuesIn(kModels),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace sockit::test
