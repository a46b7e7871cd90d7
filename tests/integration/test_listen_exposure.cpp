// Exposure and contradictory transports (issues 3 and 6): `sockit listen 0.0.0.0|:: PORT` warns
// on stderr that other machines can reach it (and still works, tested over loopback only: the
// wildcard socket is reached through 127.0.0.1 or ::1, never a non-loopback address); the
// default and an explicit loopback bind say nothing; -U with -u (Unix datagram) is refused by
// listen, serve and connect with a usage error and no socket file.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "serve_harness.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

// A TCP connection to [::1]:port; -1 on failure.
int tcp_connect_v6_loopback(int port) {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_port = htons(static_cast<std::uint16_t>(port));
  to.sin6_addr = in6addr_loopback;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Starts `sockit listen <args...>` and waits (bounded) for its "listening on" line; returns
// the port from that line (0 if it never came).
int start_listen(Process& p) {
  if (!p.wait_stderr("sockit: listening on ", Ms(10000)) || !p.wait_stderr("\n", Ms(2000)))
    return 0;
  return port_after(p.err(), "sockit: listening on ");
}

std::string line_for(const std::string& host, int port) {
  return "sockit: listening on " + host + ":" + std::to_string(port) + "\n";
}

// The warning a wildcard bind prints, then the usual line (`shown`: the address as printed).
std::string wildcard_err(const std::string& host, const std::string& shown, int port) {
  return "sockit: warning: listening on all interfaces (" + host +
         "): other machines can connect\n" + line_for(shown, port);
}

// One exchange in each direction through a listener, then the client leaves: listen (without
// -k) ends with exit 0.
void expect_bridges(Process& listener, Fd client) {
  ASSERT_TRUE(client.valid());
  ASSERT_TRUE(send_all(client.get(), "from the client\n"));
  EXPECT_TRUE(listener.wait_stdout("from the client\n", Ms(5000))) << listener.out();
  ASSERT_TRUE(listener.write_stdin("from stdin\n"));
  EXPECT_EQ(read_bytes(client.get(), 11, Ms(5000)).data, "from stdin\n");
  client.reset();
  listener.close_stdin();
  EXPECT_EQ(listener.wait(Ms(5000)), 0) << listener.err();
  EXPECT_EQ(listener.out(), "from the client\n");
}

TEST(ListenExposure, Ipv4WildcardWarnsAndIsReachedOverLoopback) {
  Process listener({sockit_bin(), "listen", "0.0.0.0", "0"});
  const int port = start_listen(listener);
  ASSERT_GT(port, 0) << listener.err();
  EXPECT_EQ(listener.err(), wildcard_err("0.0.0.0", "0.0.0.0", port));
  expect_bridges(listener, Fd(tcp_connect(port, "127.0.0.1")));
}

TEST(ListenExposure, Ipv6WildcardWarnsAndIsReachedOverLoopback) {
  Process listener({sockit_bin(), "listen", "::", "0"});
  const int port = start_listen(listener);
  ASSERT_GT(port, 0) << listener.err();
  EXPECT_EQ(listener.err(), wildcard_err("::", "[::]", port));
  expect_bridges(listener, Fd(tcp_connect_v6_loopback(port)));
}

// UDP binds the wildcard the same way and warns the same way.
TEST(ListenExposure, UdpWildcardWarns) {
  Process listener({sockit_bin(), "listen", "-u", "-i", "1", "0.0.0.0", "0"});
  const int port = start_listen(listener);
  ASSERT_GT(port, 0) << listener.err();
  EXPECT_EQ(listener.err(), wildcard_err("0.0.0.0", "0.0.0.0", port));
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd.valid());
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::sendto(fd.get(), "datagram\n", 9, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 9);
  EXPECT_TRUE(listener.wait_stdout("datagram\n", Ms(5000)));
  EXPECT_EQ(listener.wait(Ms(5000)), 0) << listener.err();  // the 1 s idle timeout ends UDP
  EXPECT_EQ(listener.out(), "datagram\n");
}

// No warning for the default host nor for loopback named explicitly.
TEST(ListenExposure, LoopbackBindsDoNotWarn) {
  for (const std::vector<std::string>& where :
       {std::vector<std::string>{"0"}, std::vector<std::string>{"127.0.0.1", "0"}}) {
    std::vector<std::string> argv = {sockit_bin(), "listen"};
    argv.insert(argv.end(), where.begin(), where.end());
    Process listener(argv);
    const int port = start_listen(listener);
    ASSERT_GT(port, 0) << listener.err();
    EXPECT_EQ(listener.err(), line_for("127.0.0.1", port));
    expect_bridges(listener, Fd(tcp_connect(port, "127.0.0.1")));
  }
  Process v6({sockit_bin(), "listen", "::1", "0"});
  const int port = start_listen(v6);
  ASSERT_GT(port, 0) << v6.err();
  EXPECT_EQ(v6.err(), line_for("[::1]", port));
  expect_bridges(v6, Fd(tcp_connect_v6_loopback(port)));
}

// ---- -U with -u ---------------------------------------------------------------------------

class UnixDatagram : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sockit-unixdgram-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/s.sock";
  }
  void TearDown() override {
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }
  // Refused before anything is bound: exit 2, the exact message, no socket file left behind.
  void expect_refused(std::vector<std::string> args, const std::string& message) {
    args.insert(args.begin(), sockit_bin());
    const RunResult r = run(args, {}, Ms(5000));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err, "sockit: " + message + "\n");
    EXPECT_EQ(r.out, "");
    struct stat st {};
    EXPECT_NE(::stat(path_.c_str(), &st), 0) << "a socket file was created at " << path_;
  }
  std::string dir_, path_;
};

TEST_F(UnixDatagram, ListenRefusesUnixWithUdp) {
  const std::string why = "-U listens on a Unix stream socket; -u cannot be combined with it";
  expect_refused({"listen", "-U", path_, "-u"}, why);
  expect_refused({"listen", "-u", "-U", path_}, why);
}

TEST_F(UnixDatagram, ServeRefusesUnixWithUdp) {
  const std::string why = "-U serves a Unix stream socket; -u cannot be combined with it";
  expect_refused({"serve", "echo", "-U", path_, "-u"}, why);
  expect_refused({"serve", "-u", "-U", path_, "discard"}, why);
}

TEST_F(UnixDatagram, ConnectRefusesUnixWithUdp) {
  expect_refused({"connect", "-U", path_, "-u"},
                 "-U connects to Unix stream sockets; -u cannot be combined with it");
}

}  // namespace
}  // namespace sockit::test
