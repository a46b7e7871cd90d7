// sockit connect and sockit listen against real peers (ncat, socat, python3) on 127.0.0.1:
// bytes in both directions, half-close with 1 MiB, UDP both ways, Unix sockets, framing,
// tracing, hex dumps and timeouts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "cli_peers.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

using std::chrono::milliseconds;

std::vector<std::string> sockit_args(std::vector<std::string> args) {
  args.insert(args.begin(), sockit_bin());
  return args;
}

RunResult sockit(std::vector<std::string> args, std::string_view input = {}) {
  return run(sockit_args(std::move(args)), input);
}

/// socat echoing every byte back (EXEC:cat keeps data across a half-close, unlike ncat --exec).
struct SocatEcho {
  int port = free_port();
  Process p{
      {"socat", "TCP-LISTEN:" + std::to_string(port) + ",bind=127.0.0.1,reuseaddr", "EXEC:cat"}};
  SocatEcho() { EXPECT_TRUE(wait_bound(port)); }
  std::string port_text() const { return std::to_string(port); }
};

/// Sums the "= N" results of the --trace lines for one call name ("sockit: trace: send(fd 3,
/// 65536 bytes) = 43690"); failed calls ("= -1 (...)") add nothing.
std::size_t traced_total(const std::string& err, const std::string& call) {
  const std::string prefix = "sockit: trace: " + call + "(fd ";
  std::size_t total = 0;
  for (std::size_t at = err.find(prefix); at != std::string::npos; at = err.find(prefix, at + 1)) {
    const std::size_t eq = err.find(") = ", at);
    const std::size_t end = err.find('\n', at);
    if (eq == std::string::npos || eq > end) continue;
    const std::string result = err.substr(eq + 4, end - eq - 4);
    if (!result.empty() && result[0] != '-') total += std::stoul(result);
  }
  return total;
}

TEST(CliConnect, NcatListenerBothDirections) {
  const int port = free_port();
  Process ncat({"ncat", "-l", "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(wait_bound(port));
  ncat.write_stdin("from-server\n");
  ncat.close_stdin();
  auto r = sockit({"connect", "127.0.0.1", std::to_string(port)}, "from-client\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from-server\n");
  EXPECT_EQ(ncat.wait(), 0);
  EXPECT_EQ(ncat.out(), "from-client\n");
}

TEST(CliListen, NcatClientBothDirections) {
  Process listener(sockit_args({"listen", "0"}));
  ASSERT_TRUE(listener.wait_stderr("\n", milliseconds(5000)));
  const int port = port_after(listener.err(), "listening on ");
  ASSERT_GT(port, 0) << listener.err();
  EXPECT_EQ(listener.err(), "sockit: listening on 127.0.0.1:" + std::to_string(port) + "\n");
  listener.write_stdin("from-listener\n");
  listener.close_stdin();
  auto r = run({"ncat", "127.0.0.1", std::to_string(port)}, "from-ncat\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from-listener\n");
  EXPECT_EQ(listener.wait(), 0) << listener.err();
  EXPECT_EQ(listener.out(), "from-ncat\n");
}

TEST(CliListen, KeepOpenServesClientsInTurn) {
  Process listener(sockit_args({"listen", "-k", "-v", "0"}));
  listener.close_stdin();
  ASSERT_TRUE(listener.wait_stderr("\n", milliseconds(5000)));
  const std::string port = std::to_string(port_after(listener.err(), "listening on "));
  EXPECT_EQ(run({"ncat", "127.0.0.1", port}, "first\n").exit_code, 0);
  ASSERT_TRUE(listener.wait_stdout("first\n"));
  EXPECT_EQ(run({"ncat", "127.0.0.1", port}, "second\n").exit_code, 0);
  ASSERT_TRUE(listener.wait_stdout("first\nsecond\n"));
  EXPECT_TRUE(listener.running());
  EXPECT_NE(listener.err().find("sockit: connection from 127.0.0.1:"), std::string::npos);
}

TEST(CliConnect, HalfCloseEchoesOneMebibyteExactly) {
  SocatEcho echo;
  const std::string data = pattern_bytes(1 << 20);
  auto r = sockit({"connect", "127.0.0.1", echo.port_text()}, data);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.size(), data.size());
  EXPECT_TRUE(r.out == data);
}

TEST(CliConnect, TraceAccountsForEveryByte) {
  SocatEcho echo;
  const std::string data = pattern_bytes(1 << 20);
  auto r = sockit({"connect", "--trace", "127.0.0.1", echo.port_text()}, data);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.out == data);
  EXPECT_EQ(traced_total(r.err, "send"), data.size());
  EXPECT_EQ(traced_total(r.err, "recvmsg") + traced_total(r.err, "recv") +
                traced_total(r.err, "readv") + traced_total(r.err, "read"),
            data.size());
}

// Endless input echoed back into `head -c 5`: the only way out is the EPIPE on stdout.
TEST(CliConnect, ClosedStdoutEndsTheSessionQuietly) {
  SocatEcho echo;
  const std::string script = "'" + sockit_bin() + "' connect 127.0.0.1 " + echo.port_text() +
                             " < /dev/zero | head -c 5 | wc -c; echo \"status ${PIPESTATUS[0]}\"";
  auto r = run({"/bin/bash", "-c", script});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "5\nstatus 0\n");
  EXPECT_EQ(r.err, "");
}

TEST(CliConnect, NoShutdownKeepsWriteSideOpenUntilIdle) {
  SocatEcho echo;
  auto r = sockit({"connect", "--no-shutdown", "-i", "0.5", "127.0.0.1", echo.port_text()},
                  "still open\n");
  EXPECT_EQ(r.out, "still open\n");  // echoed, but the peer never saw EOF, so it never closed
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.err, "sockit: connection to 127.0.0.1 port " + echo.port_text() + ": idle timeout\n");
}

TEST(CliConnect, IdleTimeout) {
  const int port = free_port();
  Process ncat({"ncat", "-l", "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(wait_bound(port));
  Process client(sockit_args({"connect", "-i", "0.3", "127.0.0.1", std::to_string(port)}));
  EXPECT_EQ(client.wait(milliseconds(5000)), 5);
  EXPECT_EQ(client.err(),
            "sockit: connection to 127.0.0.1 port " + std::to_string(port) + ": idle timeout\n");
}

TEST(CliConnect, CrlfTurnsLfIntoCrLf) {
  SocatEcho echo;
  auto r = sockit({"connect", "-C", "127.0.0.1", echo.port_text()}, "a\nb\r\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "a\r\nb\r\n");
}

TEST(CliConnect, HexDumpsBothDirections) {
  SocatEcho echo;
  auto r = sockit({"connect", "-x", "127.0.0.1", echo.port_text()}, "abc\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "abc\n");
  const std::string row = "00000000  61 62 63 0a                                       |abc.|\n";
  EXPECT_NE(r.err.find("> " + row), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("< " + row), std::string::npos) << r.err;
}

TEST(CliConnect, VerboseCheckShowsTheAttempt) {
  SocatEcho echo;
  auto r = sockit({"connect", "-z", "-v", "127.0.0.1", echo.port_text()});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("connected to 127.0.0.1 port " + echo.port_text() +
                            " (127.0.0.1:" + echo.port_text() + ") in ",
                        0),
            0u)
      << r.out;
  EXPECT_EQ(r.err.rfind("sockit: 127.0.0.1:" + echo.port_text() + ": connected (", 0), 0u) << r.err;
}

// localhost is ::1 and 127.0.0.1; only the IPv4 one listens. Happy Eyeballs tries ::1 first,
// is refused, and connects over IPv4; -v shows both outcomes.
TEST(CliConnect, VerboseShowsEveryAddressTried) {
  if (sockit({"resolve", "-6", "localhost"}).exit_code != 0) GTEST_SKIP() << "no IPv6 loopback";
  SocatEcho echo;
  auto r = sockit({"connect", "--check", "-v", "localhost", echo.port_text()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("sockit: [::1]:" + echo.port_text() + ": Connection refused ("),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("sockit: 127.0.0.1:" + echo.port_text() + ": connected ("),
            std::string::npos)
      << r.err;
}

TEST(CliConnect, FrameLineSplitsAndJoinsLines) {
  SocatEcho echo;
  auto r = sockit({"connect", "--frame", "line", "127.0.0.1", echo.port_text()}, "one\ntwo");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "one\ntwo\n");  // the unterminated last line still went out as a frame
}

constexpr const char* kLen32Peer = R"(
import socket, struct, sys
srv = socket.socket(); srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(1)
conn, _ = srv.accept()
buf = b""
while True:
    data = conn.recv(4096)
    if not data: break
    buf += data
reply = b""
while len(buf) >= 4:
    n = struct.unpack(">I", buf[:4])[0]
    payload, buf = buf[4:4 + n], buf[4 + n:]
    reply += struct.pack(">I", len(payload) + 5) + b"echo:" + payload
conn.sendall(reply)
conn.close()
)";

TEST(CliConnect, FrameLen32AgainstPythonPeer) {
  const int port = free_port();
  Process peer({"/usr/bin/python3", "-c", kLen32Peer, std::to_string(port)});
  ASSERT_TRUE(wait_bound(port));
  auto r =
      sockit({"connect", "--frame", "len32", "127.0.0.1", std::to_string(port)}, "one\n\nthree\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "echo:one\necho:\necho:three\n");
  EXPECT_EQ(peer.wait(), 0) << peer.err();
}

TEST(CliConnect, RecvOnlyPrintsWithoutReadingStdin) {
  const int port = free_port();
  Process ncat({"ncat", "-l", "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(wait_bound(port));
  ncat.write_stdin("news\n");
  ncat.close_stdin();
  auto r = sockit({"connect", "--recv-only", "127.0.0.1", std::to_string(port)}, "ignored\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "news\n");
  ncat.wait();
  EXPECT_EQ(ncat.out(), "");
}

TEST(CliConnect, SendOnlyExitsOnceStdinIsSent) {
  const int port = free_port();
  Process ncat({"ncat", "-l", "127.0.0.1", std::to_string(port)});
  ASSERT_TRUE(wait_bound(port));
  ncat.write_stdin("never read\n");  // ncat keeps its stdin open: the connection stays up
  auto r = sockit({"connect", "--send-only", "127.0.0.1", std::to_string(port)}, "one way\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(ncat.wait_stdout("one way\n"));
}

constexpr const char* kResettingPeer = R"(
import socket, struct, sys, time
srv = socket.socket(); srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(1)
conn, _ = srv.accept()
time.sleep(0.3)  # let the client finish connecting first
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()
)";

// With --send-only the socket is never read, so a reset must still end the session (and not
// leave poll() reporting the error forever).
TEST(CliConnect, SendOnlyNoticesAReset) {
  const int port = free_port();
  Process peer({"/usr/bin/python3", "-c", kResettingPeer, std::to_string(port)});
  ASSERT_TRUE(wait_bound(port));
  Process client(sockit_args({"connect", "--send-only", "127.0.0.1", std::to_string(port)}));
  EXPECT_EQ(client.wait(milliseconds(5000)), 1);
  EXPECT_EQ(client.err(), "sockit: connection to 127.0.0.1 port " + std::to_string(port) +
                              ": Connection reset by peer (the peer reset the connection: it "
                              "crashed, aborted, or closed with data unread)\n");
}

constexpr const char* kUdpServer = R"(
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", int(sys.argv[1])))
data, address = sock.recvfrom(4096)
sock.sendto(b"pong:" + data, address)
)";

TEST(CliUdp, ConnectGetsReplyAfterStdinEnds) {
  const int port = free_port(SOCK_DGRAM);
  Process peer({"/usr/bin/python3", "-c", kUdpServer, std::to_string(port)});
  ASSERT_TRUE(wait_bound(port, true));
  auto r = sockit({"connect", "-u", "-i", "1", "127.0.0.1", std::to_string(port)}, "ping\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "pong:ping\n");
  EXPECT_EQ(peer.wait(), 0);
}

constexpr const char* kUdpClient = R"(
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(5)
sock.sendto(b"hello listener", ("127.0.0.1", int(sys.argv[1])))
data, address = sock.recvfrom(4096)
print(data.decode(), end="")
)";

TEST(CliUdp, ListenRepliesToTheSender) {
  Process listener(sockit_args({"listen", "-u", "-v", "-i", "1", "0"}));
  ASSERT_TRUE(listener.wait_stderr("\n", milliseconds(5000)));
  const int port = port_after(listener.err(), "listening on ");
  ASSERT_GT(port, 0);
  listener.write_stdin("reply to you\n");
  listener.close_stdin();
  auto r = run({"/usr/bin/python3", "-c", kUdpClient, std::to_string(port)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "reply to you\n");
  EXPECT_EQ(listener.wait(), 0);
  EXPECT_EQ(listener.out(), "hello listener");
  EXPECT_NE(listener.err().find("sockit: datagram from 127.0.0.1:"), std::string::npos);
}

// listen -u --send-only must still receive, to learn whom to send stdin to (it used to end at
// once, exit 0, having sent nothing); what it receives is not printed.
TEST(CliUdp, ListenSendOnlyWaitsForASender) {
  Process listener(sockit_args({"listen", "-u", "--send-only", "-i", "1", "0"}));
  ASSERT_TRUE(listener.wait_stderr("\n", milliseconds(5000)));
  const int port = port_after(listener.err(), "listening on ");
  ASSERT_GT(port, 0) << listener.err();
  listener.write_stdin("reply to you\n");
  listener.close_stdin();
  auto r = run({"/usr/bin/python3", "-c", kUdpClient, std::to_string(port)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "reply to you\n");
  EXPECT_EQ(listener.wait(), 0) << listener.err();
  EXPECT_EQ(listener.out(), "");
}

TEST(CliUdp, PortUnreachableIsRefused) {
  const int port = free_port(SOCK_DGRAM);
  auto r = sockit({"connect", "-u", "-i", "2", "127.0.0.1", std::to_string(port)}, "anyone?\n");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "sockit: connection to 127.0.0.1 port " + std::to_string(port) +
                       ": Connection refused (nothing listens on that port)\n");
}

std::string temp_socket_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("sockit-") + name + "-" + std::to_string(::getpid()) + ".sock"))
      .string();
}

TEST(CliUnix, ConnectToSocatEcho) {
  const std::string path = temp_socket_path("echo");
  std::filesystem::remove(path);
  Process echo({"socat", "UNIX-LISTEN:" + path, "EXEC:cat"});
  for (int i = 0; i < 250 && !std::filesystem::exists(path); ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  auto r = sockit({"connect", "-U", path}, "over unix\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "over unix\n");
  std::filesystem::remove(path);
}

TEST(CliUnix, ListenServesSocatClient) {
  const std::string path = temp_socket_path("listen");
  std::filesystem::remove(path);
  Process listener(sockit_args({"listen", "-U", path}));
  ASSERT_TRUE(listener.wait_stderr("listening on " + path + "\n", milliseconds(5000)));
  listener.write_stdin("hello unix client\n");
  listener.close_stdin();
  auto r = run({"socat", "-", "UNIX-CONNECT:" + path}, "hello unix server\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello unix client\n");
  EXPECT_EQ(listener.wait(), 0);
  EXPECT_EQ(listener.out(), "hello unix server\n");
  EXPECT_FALSE(std::filesystem::exists(path));  // the listener removes its socket file
}

}  // namespace
}  // namespace sockit::test
