// Error lines as people read them: one pair of parentheses at most, "refused" only for a
// refused connect, a Unix path in the way named for what it is, a usage error for options that
// cannot work together, and a pool that says when clients wait for a worker.
#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "cli_peers.hpp"
#include "sockit/core/error.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

RunResult sockit(std::vector<std::string> args, std::string_view input = {}) {
  args.insert(args.begin(), sockit_bin());
  return run(std::move(args), input);
}

// Every error the tool can explain: errno values, sockit's own codes, getaddrinfo's codes.
std::vector<std::error_code> every_error() {
  std::vector<std::error_code> all;
  for (int e = 1; e < 134; ++e)
    all.push_back(sys_error(e));
  for (int e = 1; e <= static_cast<int>(Errc::deadline_passed); ++e)
    all.push_back(make_error_code(static_cast<Errc>(e)));
  for (int e : {EAI_NONAME, EAI_AGAIN, EAI_FAIL, EAI_SERVICE, EAI_FAMILY, EAI_NODATA})
    all.push_back(gai_error(e, 0));
  return all;
}

TEST(CliWording, NoNestedParentheses) {
  for (const auto& ec : every_error()) {
    const std::string line = explain(ec, "cannot connect to example.com port 80", 80);
    EXPECT_LE(std::count(line.begin(), line.end(), '('), 1) << line;
  }
}

TEST(CliWording, RefusedOnlyForARefusedConnect) {
  for (const auto& ec : every_error()) {
    if (ec == std::errc::connection_refused || ec == Errc::server_full) continue;
    EXPECT_EQ(std::string(likely_cause(ec, 80)).find("refused"), std::string::npos) << ec.message();
  }
  EXPECT_EQ(explain(std::make_error_code(std::errc::connection_reset), "connection to x port 1"),
            "connection to x port 1: Connection reset by peer (the peer reset the connection: it "
            "crashed, aborted, or closed with data unread)");
}

// A Unix socket path for this test, removed before and after.
struct SocketPath {
  std::string path;
  explicit SocketPath(const std::string& tag)
      : path("/tmp/sockit-wording-" + tag + "-" + std::to_string(::getpid())) {
    ::unlink(path.c_str());
  }
  ~SocketPath() { ::unlink(path.c_str()); }
  // Binds a Unix socket there; listens when asked. Returns the descriptor (the caller closes).
  int bind_socket(bool listening) const {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
    if (listening) {
      EXPECT_EQ(::listen(fd, 1), 0);
    }
    return fd;
  }
};

TEST(CliWording, UnixPathThatIsAPlainFile) {
  SocketPath p("file");
  std::ofstream(p.path) << "not a socket\n";
  auto r = sockit({"listen", "-U", p.path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "sockit: cannot listen on " + p.path +
                       ": Address already in use (the path is a file that is not a socket: pick "
                       "another path)\n");
  auto s = sockit({"serve", "echo", "-U", p.path});
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_EQ(s.err, "sockit: cannot serve on " + p.path +
                       ": Address already in use (the path is a file that is not a socket: pick "
                       "another path)\n");
}

TEST(CliWording, UnixPathWithAStaleSocket) {
  SocketPath p("stale");
  ::close(p.bind_socket(false));  // the file stays; nothing listens
  auto r = sockit({"listen", "-U", p.path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "sockit: cannot listen on " + p.path +
                       ": Address already in use (a stale socket file is left there and nothing "
                       "listens on it: remove it and retry)\n");
}

TEST(CliWording, UnixPathSomeoneListensOn) {
  SocketPath p("live");
  const int fd = p.bind_socket(true);
  auto r = sockit({"listen", "-U", p.path});
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "sockit: cannot listen on " + p.path +
                       ": Address already in use (another program listens on that socket)\n");
}

TEST(CliWording, ServeUdpWithFramingIsAUsageError) {
  auto r = sockit({"serve", "-u", "--framing", "line", "echo", "127.0.0.1", "0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: --framing is for streams; UDP keeps each datagram whole\n");
}

// A connected client on 127.0.0.1:port that has sent `line` (the caller closes it).
int client(int port, const std::string& line) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  EXPECT_EQ(::send(fd, line.data(), line.size(), MSG_NOSIGNAL), static_cast<ssize_t>(line.size()));
  return fd;
}

TEST(CliWording, PoolSaysWhenClientsWait) {
  Process serve(
      {sockit_bin(), "serve", "echo", "--model", "pool", "--threads", "1", "127.0.0.1", "0"});
  ASSERT_TRUE(serve.wait_stderr("\n", milliseconds(5000)));
  const int port = port_after(serve.err(), "on ");
  ASSERT_GT(port, 0) << serve.err();
  const int first = client(port, "a\n");
  char echoed[2] = {};
  ASSERT_EQ(::recv(first, echoed, sizeof echoed, MSG_WAITALL), 2);  // the worker holds it now
  const int second = client(port, "b\n");
  const std::string line =
      "sockit: pool: every worker (1) is busy and 1 client is waiting; --threads sets the pool "
      "size\n";
  EXPECT_TRUE(serve.wait_stderr(line, milliseconds(5000))) << serve.err();
  // Rate-limited: still one line a second later.
  EXPECT_FALSE(serve.wait_stderr(line + "sockit: pool:", milliseconds(1000))) << serve.err();
  ::close(first);
  ::close(second);
}

}  // namespace
}  // namespace sockit::test
