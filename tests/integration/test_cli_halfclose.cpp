// Half-close, both ways (issue 17): a peer's FIN ends only the peer's direction. connect and
// listen keep sending stdin to the end, exit 0 only once every byte was handed to the kernel,
// and a send that fails (reset) is exit 1 with one line. Peers: ncat and python3 scripts;
// sizes and SHA-256 compared.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli_peers.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

std::vector<std::string> sockit_args(std::vector<std::string> args) {
  args.insert(args.begin(), sockit_bin());
  return args;
}

RunResult sockit(std::vector<std::string> args, std::string_view input = {},
                 milliseconds timeout = milliseconds(20000)) {
  return run(sockit_args(std::move(args)), input, timeout);
}

// Some children here stop reading their stdin early (the failures these tests catch): a write
// to them must come back as EPIPE, not kill the test binary.
[[maybe_unused]] const bool kSigpipeIgnored = [] {
  return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR;
}();

// A peer's FIN ends only its own direction: every byte of stdin must still reach it, and sockit
// exits 0 only once all of it was handed over.
// As in the report: `ncat -l ... --recv-only > out &` (a background job's stdin is /dev/null).
// ncat half-closes at once; a file for its output, since a pipe nobody drains would stall it.
TEST(CliConnect, PeerHalfCloseStillGetsAllOfStdin) {
  const int port = free_port();
  const std::string out_file =
      ::testing::TempDir() + "sockit-recv-only-" + std::to_string(::getpid()) + ".bin";
  Process ncat({"/bin/sh", "-c",
                "exec ncat -l 127.0.0.1 " + std::to_string(port) + " --recv-only < /dev/null > " +
                    out_file});
  ASSERT_TRUE(wait_bound(port));
  const std::string data = pattern_bytes(1 << 20);
  auto r = sockit({"connect", "127.0.0.1", std::to_string(port)}, data);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(ncat.wait(), 0) << ncat.err();
  std::ifstream in(out_file, std::ios::binary);
  const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(out_file);
  ASSERT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

// Half-closes 50 ms after the connection is up, then reads until EOF and prints the byte count
// and the SHA-256 of everything it got.
constexpr const char* kHalfClosingSink = R"(
import hashlib, socket, sys, time
srv = socket.socket(); srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(1)
conn, _ = srv.accept()
time.sleep(0.05)
conn.shutdown(socket.SHUT_WR)
h = hashlib.sha256(); n = 0
while True:
    data = conn.recv(1 << 16)
    if not data: break
    h.update(data); n += len(data)
print(n, h.hexdigest())
)";

std::string sha256_line(const std::string& data) {
  Process hasher({"/usr/bin/python3", "-c",
                  "import hashlib, sys; d = sys.stdin.buffer.read(); "
                  "print(len(d), hashlib.sha256(d).hexdigest())"});
  hasher.write_stdin(data);
  hasher.close_stdin();
  hasher.wait();
  return hasher.out();
}

TEST(CliConnect, ServerHalfCloseAfter50msGets32MebibytesExactly) {
  const int port = free_port();
  Process peer({"/usr/bin/python3", "-c", kHalfClosingSink, std::to_string(port)});
  ASSERT_TRUE(wait_bound(port));
  const std::string data = pattern_bytes(32 << 20);
  auto r = sockit({"connect", "127.0.0.1", std::to_string(port)}, data, milliseconds(60000));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(peer.wait(milliseconds(30000)), 0) << peer.err();
  EXPECT_EQ(peer.out(), sha256_line(data));
}

// Half-closes at once, reads 64 KiB, then resets: the rest of stdin cannot be delivered, and
// that must be a failure with one clear line, not exit 0.
constexpr const char* kHalfCloseThenReset = R"(
import socket, struct, sys
srv = socket.socket(); srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(1)
conn, _ = srv.accept()
conn.shutdown(socket.SHUT_WR)
got = 0
while got < 65536:
    data = conn.recv(65536 - got)
    if not data: break
    got += len(data)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()
)";

TEST(CliConnect, ResetAfterHalfCloseIsAFailure) {
  const int port = free_port();
  Process peer({"/usr/bin/python3", "-c", kHalfCloseThenReset, std::to_string(port)});
  ASSERT_TRUE(wait_bound(port));
  auto r = sockit({"connect", "127.0.0.1", std::to_string(port)}, pattern_bytes(32 << 20),
                  milliseconds(30000));
  // The reset comes after the peer's FIN: in CLOSE_WAIT, Linux reports it as EPIPE.
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "sockit: connection to 127.0.0.1 port " + std::to_string(port) +
                       ": Broken pipe (the peer closed its end)\n");
  EXPECT_EQ(peer.wait(), 0) << peer.err();
}

// The listen side, the other way round: a client that half-closes at once still gets all of
// the listener's stdin.
constexpr const char* kHalfClosingClient = R"(
import hashlib, socket, sys
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
conn.shutdown(socket.SHUT_WR)
h = hashlib.sha256(); n = 0
while True:
    data = conn.recv(1 << 16)
    if not data: break
    h.update(data); n += len(data)
print(n, h.hexdigest())
)";

TEST(CliListen, ClientHalfCloseStillGetsAllOfStdin) {
  Process listener(sockit_args({"listen", "0"}));
  ASSERT_TRUE(listener.wait_stderr("\n", milliseconds(5000)));
  const int port = port_after(listener.err(), "listening on ");
  ASSERT_GT(port, 0) << listener.err();
  Process client({"/usr/bin/python3", "-c", kHalfClosingClient, std::to_string(port)});
  const std::string data = pattern_bytes(4 << 20);
  ASSERT_TRUE(listener.write_stdin(data, milliseconds(20000)));
  listener.close_stdin();
  EXPECT_EQ(listener.wait(milliseconds(20000)), 0) << listener.err();
  EXPECT_EQ(listener.out(), "");
  EXPECT_EQ(client.wait(milliseconds(20000)), 0) << client.err();
  EXPECT_EQ(client.out(), sha256_line(data));
}

}  // namespace
}  // namespace sockit::test
