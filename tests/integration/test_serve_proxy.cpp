// `sockit serve ... --proxy-protocol` on every model, fed hand-built PROXY v1/v2 headers from
// the test process: the payload after a header is echoed byte for byte; a wrong, truncated,
// oversized or late header, and a connection from an address outside --proxy-from, are closed
// with exactly one log line; chat, --allow/--deny and the stats see the header's address; TLS
// starts after the header.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "serve_harness.hpp"

namespace sockit::test {
namespace {

using namespace std::string_literals;

const std::string kSig = "\r\n\r\n\0\r\nQUIT\n"s;

std::string be16(unsigned v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}

// v2 PROXY TCP over IPv4 from 203.0.113.7:41000 to 198.51.100.1:443.
std::string v2_tcp4() {
  return kSig + "\x21\x11"s + be16(12) + "\xcb\x00\x71\x07\xc6\x33\x64\x01"s + be16(41000) +
         be16(443);
}

// v2 PROXY TCP over IPv6 from [2001:db8::7]:5000 to [::1]:80.
std::string v2_tcp6() {
  std::string src(16, '\0'), dst(16, '\0');
  src[0] = '\x20';
  src[1] = '\x01';
  src[2] = '\x0d';
  src[3] = '\xb8';
  src[15] = '\x07';
  dst[15] = '\x01';
  return kSig + "\x21\x21"s + be16(36) + src + dst + be16(5000) + be16(80);
}

const std::string kV2Local = kSig + "\x20\x00\x00\x00"s;

// "127.0.0.1:PORT" of the client side of `fd`: the address the server logs for it.
std::string local_name(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
}

class ServeProxy : public ::testing::TestWithParam<std::string> {
 protected:
  void start(const std::string& service, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {service,    "127.0.0.1", "0", "--model",
                                     GetParam(), "--threads", "2", "--proxy-protocol"};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = start_serve(args);
    ASSERT_GT(server_.port, 0) << "serve did not start: " << server_.process->err();
  }
  Fd connect() {
    Fd fd(tcp_connect(server_.port));
    EXPECT_TRUE(fd.valid());
    return fd;
  }
  // Sends `bytes`, half-closes, and returns everything the server sent back until it closed.
  ReadResult exchange(const std::string& bytes, Fd* keep = nullptr) {
    Fd fd = connect();
    EXPECT_TRUE(send_all(fd.get(), bytes));
    ::shutdown(fd.get(), SHUT_WR);
    ReadResult r = read_to_eof(fd.get(), Ms(5000));
    if (keep != nullptr) *keep = std::move(fd);
    return r;
  }
  // The server's stderr once it holds `line` (or after 5 s).
  const std::string& log_after(const std::string& line) {
    server_.process->wait_stderr(line, Ms(5000));
    return server_.process->err();
  }
  static std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
      ++n;
    return n;
  }

  ServeChild server_;
};

TEST_P(ServeProxy, PayloadAfterEachKindOfHeaderIsEchoedExactly) {
  start("echo");
  // What follows a header is payload, even when it looks like another header.
  const std::string payload = "PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\n\0\xff binary\r\n"s + kSig;
  for (const std::string& header : {"PROXY TCP4 203.0.113.7 198.51.100.1 41000 443\r\n"s,
                                    "PROXY TCP6 2001:db8::7 ::1 5000 80\r\n"s, "PROXY UNKNOWN\r\n"s,
                                    v2_tcp4(), v2_tcp6(), kV2Local}) {
    const ReadResult r = exchange(header + payload);
    EXPECT_TRUE(r.eof && !r.reset) << server_.process->err();
    EXPECT_EQ(r.data, payload);
  }
  EXPECT_EQ(server_.process->err().find("PROXY header from"), std::string::npos)
      << server_.process->err();
}

TEST_P(ServeProxy, HeaderArrivingByteByByteThenPayload) {
  start("echo");
  Fd fd = connect();
  const int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // one segment per byte
  const std::string header = v2_tcp6();
  for (char c : header) {
    ASSERT_TRUE(send_all(fd.get(), std::string(1, c)));
    std::this_thread::sleep_for(Ms(2));
  }
  ASSERT_TRUE(send_all(fd.get(), "after\n"));
  ::shutdown(fd.get(), SHUT_WR);
  const ReadResult r = read_to_eof(fd.get(), Ms(5000));
  EXPECT_EQ(r.data, "after\n");
}

TEST_P(ServeProxy, WrongSignatureClosesWithOneLogLine) {
  start("echo");
  Fd fd;
  const ReadResult r = exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n", &fd);
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(r.data, "");
  const std::string line = "sockit: PROXY header from " + local_name(fd.get()) +
                           ": not a PROXY protocol header (wrong signature)\n";
  EXPECT_EQ(count(log_after(line), line), 1u) << server_.process->err();
}

TEST_P(ServeProxy, TruncatedMalformedAndOversizedHeadersClose) {
  start("echo");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"PROXY TCP4 203.0.113.7 19", "connection closed in the middle of the PROXY protocol header"},
      {v2_tcp4().substr(0, 20), "connection closed in the middle of the PROXY protocol header"},
      {"PROXY TCP4 203.0.113.7 198.51.100.1 41000 70000\r\nhi", "malformed PROXY protocol header"},
      {"PROXY UNKNOWN " + std::string(100, 'x'), "PROXY protocol header too long"},
      {kSig + "\x20\x00"s + be16(65535), "PROXY protocol header too long"},
      {kSig + "\x21\x51"s + be16(0), "unsupported address family in PROXY protocol header"},
      {"", "connection closed before a PROXY protocol header"},
  };
  for (const auto& [bytes, why] : cases) {
    Fd fd;
    const ReadResult r = exchange(bytes, &fd);
    EXPECT_TRUE(r.eof);
    EXPECT_EQ(r.data, "");
    const std::string line =
        "sockit: PROXY header from " + local_name(fd.get()) + ": " + why + "\n";
    EXPECT_EQ(count(log_after(line), line), 1u) << server_.process->err();
  }
}

// A client that never finishes its header is closed by the deadline (the idle timeout, 1 s).
TEST_P(ServeProxy, ClientThatNeverSendsTheHeaderIsClosedAtTheDeadline) {
  start("echo", {"--idle-timeout", "1"});
  Fd fd = connect();
  ASSERT_TRUE(send_all(fd.get(), "PROXY TCP4 "));
  const auto began = SteadyClock::now();
  const ReadResult r = read_to_eof(fd.get(), Ms(5000));
  const auto took = std::chrono::duration_cast<Ms>(SteadyClock::now() - began);
  EXPECT_TRUE(r.eof);
  EXPECT_FALSE(r.timeout);
  EXPECT_GE(took.count(), 800);
  EXPECT_LT(took.count(), 3000);
  const std::string line = "sockit: PROXY header from " + local_name(fd.get()) +
                           ": no PROXY protocol header before the deadline\n";
  EXPECT_EQ(count(log_after(line), line), 1u) << server_.process->err();
}

// 127.0.0.1 is outside 10.0.0.0/8: refused before a byte is read, even with a valid header.
TEST_P(ServeProxy, UntrustedSourceIsRefused) {
  start("echo", {"--proxy-from", "10.0.0.0/8"});
  Fd fd;
  const ReadResult r = exchange("PROXY TCP4 10.1.2.3 10.0.0.1 1000 2000\r\nhello\n", &fd);
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(r.data, "");
  const std::string line =
      "sockit: refused " + local_name(fd.get()) + ": not a trusted proxy (--proxy-from)\n";
  EXPECT_EQ(count(log_after(line), line), 1u) << server_.process->err();
}

TEST_P(ServeProxy, ExplicitTrustedListAdmitsLoopback) {
  start("echo", {"--proxy-from", "10.0.0.0/8,127.0.0.1"});
  EXPECT_EQ(exchange("PROXY UNKNOWN\r\nok\n").data, "ok\n");
}

// --deny and --allow judge the header's address, not the proxy's (127.0.0.1).
TEST_P(ServeProxy, AllowAndDenyApplyToTheHeadersAddress) {
  start("echo", {"--deny", "203.0.113.0/24", "--allow", "198.51.100.0/24,203.0.113.0/24"});
  EXPECT_EQ(exchange("PROXY TCP4 203.0.113.7 10.0.0.1 41000 443\r\nno\n").data, "");
  EXPECT_EQ(exchange("PROXY TCP4 198.51.100.9 10.0.0.1 41000 443\r\nyes\n").data, "yes\n");
  EXPECT_EQ(exchange("PROXY TCP4 192.0.2.1 10.0.0.1 41000 443\r\nno\n").data, "");  // not allowed
  // LOCAL keeps the proxy's own address, which --allow does not list.
  EXPECT_EQ(exchange(kV2Local + "no").data, "");
  server_.process->signal(SIGUSR1);
  EXPECT_TRUE(server_.process->wait_stderr("(4 accepted, 3 refused)", Ms(5000)))
      << server_.process->err();
  EXPECT_EQ(server_.process->err().find("PROXY header from"), std::string::npos);
}

TEST_P(ServeProxy, ChatOperatorSeesTheHeadersAddress) {
  start("chat");
  Fd a = connect();
  ASSERT_TRUE(send_all(a.get(), "PROXY TCP4 203.0.113.7 198.51.100.1 41000 443\r\n"));
  ASSERT_EQ(read_until_text(a.get(), "\n").data,
            "* welcome guest1; commands: /nick NAME, /who, /quit\n");
  EXPECT_TRUE(server_.process->wait_stdout("* guest1 joined from 203.0.113.7:41000\n", Ms(5000)))
      << server_.process->out();
  Fd b = connect();
  ASSERT_TRUE(send_all(b.get(), v2_tcp6()));
  ASSERT_NE(read_until_text(b.get(), "\n").data.find("* welcome guest2"), std::string::npos);
  EXPECT_TRUE(server_.process->wait_stdout("* guest2 joined from [2001:db8::7]:5000\n", Ms(5000)))
      << server_.process->out();
  // The other members see the name, not the address.
  EXPECT_EQ(read_until_text(a.get(), "\n").data, "* guest2 joined\n");
}

// HAProxy's health check with send-proxy-v2: a LOCAL header, then the proxy hangs up. It is
// closed at the gate: the room never announces a guest joining and leaving for it.
TEST_P(ServeProxy, LocalHeaderFromAProxyThatHungUpIsAHealthCheck) {
  start("chat");
  Fd a = connect();
  ASSERT_TRUE(send_all(a.get(), v2_tcp4()));
  ASSERT_EQ(read_until_text(a.get(), "\n").data,
            "* welcome guest1; commands: /nick NAME, /who, /quit\n");
  for (int i = 0; i < 3; ++i) {
    const ReadResult check = exchange(kV2Local);  // header, FIN, then wait for the close
    EXPECT_TRUE(check.eof);
    EXPECT_EQ(check.data, "");
  }
  ASSERT_TRUE(send_all(a.get(), "/who\n"));
  // The next line A gets is the answer to /who, naming A alone: no join or leave came first.
  EXPECT_EQ(read_until_text(a.get(), "\n").data.substr(0, 9), "* online:")
      << server_.process->err();
  // A LOCAL connection that stays open is served (with its own address).
  Fd b = connect();
  ASSERT_TRUE(send_all(b.get(), kV2Local));
  EXPECT_NE(read_until_text(b.get(), "\n").data.find("* welcome guest2"), std::string::npos);
  EXPECT_EQ(server_.process->err().find("PROXY header from"), std::string::npos)
      << server_.process->err();
}

// The header comes before the TLS handshake: python sends it in the clear, then starts TLS.
TEST_P(ServeProxy, TlsHandshakeFollowsTheHeader) {
  start("echo", {"--ssl"});
  const char* script = R"(
import socket, ssl, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)
s.sendall(b'PROXY TCP4 203.0.113.7 198.51.100.1 41000 443\r\n')
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s)
t.sendall(b'over tls\n')
got = b''
while not got.endswith(b'\n'):
    chunk = t.recv(100)
    if not chunk: break
    got += chunk
sys.stdout.write(got.decode())
)";
  const RunResult r =
      run({"/usr/bin/python3", "-c", script, std::to_string(server_.port)}, {}, Ms(10000));
  EXPECT_EQ(r.exit_code, 0) << r.err << server_.process->err();
  EXPECT_EQ(r.out, "over tls\n");
}

INSTANTIATE_TEST_SUITE_P(Models, ServeProxy,
                         ::testing::Values("loop", "reactors", "thread", "pool"),
                         [](const auto& p) { return p.param; });

// Served on ::1: the default trusted list holds ::1, and the header's IPv4 client is served.
TEST(ServeProxyV6, LoopbackV6ProxyIsTrustedByDefault) {
  ServeChild server = start_serve({"echo", "::1", "0", "--proxy-protocol"});
  ASSERT_GT(server.port, 0) << server.process->err();
  Fd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_port = htons(static_cast<std::uint16_t>(server.port));
  addr.sin6_addr = in6addr_loopback;
  ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_TRUE(send_all(fd.get(), "PROXY TCP4 203.0.113.7 198.51.100.1 41000 443\r\nsix\n"));
  ::shutdown(fd.get(), SHUT_WR);
  EXPECT_EQ(read_to_eof(fd.get(), Ms(5000)).data, "six\n");
}

// The http access log names the header's client.
TEST(ServeProxyHttp, AccessLogNamesTheHeadersClient) {
  std::string dir = "/tmp/sockit_proxy_http_XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::ofstream(dir + "/index.html") << "hi\n";
  ServeChild server = start_serve({"http", "127.0.0.1", "0", "--root", dir, "--proxy-protocol"});
  ASSERT_GT(server.port, 0) << server.process->err();
  Fd fd(tcp_connect(server.port));
  ASSERT_TRUE(send_all(fd.get(),
                       "PROXY TCP6 2001:db8::7 ::1 5000 80\r\n"
                       "GET /index.html HTTP/1.0\r\n\r\n"));
  const ReadResult r = read_to_eof(fd.get(), Ms(5000));
  EXPECT_EQ(r.data.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r.data;
  EXPECT_TRUE(server.process->wait_stdout("\"GET /index.html HTTP/1.0\" 200 3\n", Ms(5000)));
  EXPECT_EQ(server.process->out().rfind("2001:db8::7 - - [", 0), 0u) << server.process->out();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

TEST(ServeProxyUsage, FlagsThatCannotWork) {
  auto udp = run({sockit_bin(), "serve", "echo", "-u", "0", "--proxy-protocol"});
  EXPECT_EQ(udp.exit_code, 2);
  EXPECT_EQ(udp.err, "sockit: --proxy-protocol is for TCP and Unix stream sockets, not -u\n");
  auto from = run({sockit_bin(), "serve", "echo", "0", "--proxy-from", "10.0.0.0/8"});
  EXPECT_EQ(from.exit_code, 2);
  EXPECT_EQ(from.err, "sockit: --proxy-from needs --proxy-protocol\n");
  auto bad =
      run({sockit_bin(), "serve", "echo", "0", "--proxy-protocol", "--proxy-from", "10.0.0.0/33"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err.rfind("sockit: --proxy-from: ", 0), 0u) << bad.err;
}

}  // namespace
}  // namespace sockit::test
