// localhost with connect -u and listen (issue 17): localhost is ::1 and 127.0.0.1 (sockit's
// built-in answer); UDP takes the address ncat takes, a TCP listener the first that binds.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
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

RunResult sockit(std::vector<std::string> args, std::string_view input = {}) {
  return run(sockit_args(std::move(args)), input);
}

constexpr const char* kUdpServer = R"(
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", int(sys.argv[1])))
data, address = sock.recvfrom(4096)
sock.sendto(b"pong:" + data, address)
)";

/// A TCP listener on [::1]:port, where port is free on 127.0.0.1 too (a few tries); -1 if
/// this machine has no IPv6 loopback.
int listen_on_ipv6_loopback_only(int& port) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    port = free_port();
    const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    sa.sin6_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 && ::listen(fd, 4) == 0)
      return fd;
    const bool no_ipv6 = errno == EADDRNOTAVAIL;
    ::close(fd);
    if (no_ipv6) return -1;
  }
  return -1;
}

// localhost is ::1 then 127.0.0.1: when ::1's port is taken, the next address is tried.
TEST(CliListen, LocalhostTriesTheNextAddress) {
  int port = 0;
  const int taken = listen_on_ipv6_loopback_only(port);
  if (taken < 0) GTEST_SKIP() << "no IPv6 loopback";
  Process listener(sockit_args({"listen", "localhost", std::to_string(port)}));
  listener.close_stdin();
  EXPECT_TRUE(listener.wait_stderr("\n", milliseconds(5000)));
  EXPECT_EQ(listener.err(), "sockit: listening on 127.0.0.1:" + std::to_string(port) + "\n");
  ::close(taken);
}

// listen -u binds where connect -u and ncat -u send: the system resolver's first address.
TEST(CliUdp, ListenLocalhostBindsWhereClientsSend) {
  auto first = run({"/usr/bin/python3", "-c",
                    "import socket; print(socket.getaddrinfo('localhost', 1, "
                    "type=socket.SOCK_DGRAM)[0][4][0])"});
  if (first.out != "127.0.0.1\n") GTEST_SKIP() << "the system resolver says " << first.out;
  Process listener(sockit_args({"listen", "-u", "-i", "0.2", "localhost", "0"}));
  listener.close_stdin();
  EXPECT_TRUE(listener.wait_stderr("\n", milliseconds(5000)));
  EXPECT_EQ(listener.err().rfind("sockit: listening on 127.0.0.1:", 0), 0u) << listener.err();
}

// UDP cannot try one address after another (silence proves nothing), so connect -u takes the
// address ncat takes: the system resolver's first. Here /etc/hosts maps localhost to
// 127.0.0.1, where the server is (sockit's built-in localhost answer would say ::1 first).
TEST(CliUdp, LocalhostGoesWhereNcatGoes) {
  auto first = run({"/usr/bin/python3", "-c",
                    "import socket; print(socket.getaddrinfo('localhost', 1, "
                    "type=socket.SOCK_DGRAM)[0][4][0])"});
  if (first.out != "127.0.0.1\n") GTEST_SKIP() << "the system resolver says " << first.out;
  const int port = free_port(SOCK_DGRAM);
  Process peer({"/usr/bin/python3", "-c", kUdpServer, std::to_string(port)});
  ASSERT_TRUE(wait_bound(port, true));
  auto r = sockit({"connect", "-u", "-i", "1", "localhost", std::to_string(port)}, "ping\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "pong:ping\n");
  EXPECT_EQ(peer.wait(), 0);
}

}  // namespace
}  // namespace sockit::test
