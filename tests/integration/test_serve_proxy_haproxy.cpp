// `sockit serve --proxy-protocol` behind a real HAProxy (Debian's 2.6, started in the foreground
// with a config written here): one frontend per header version (`send-proxy-v2` and
// `send-proxy`), each server health-checked every 100 ms. A client through HAProxy is echoed
// byte for byte; chat tells the operator the client's own address (not HAProxy's); the health
// checks (v2 LOCAL; v1 a TCP4 header naming the check's own connection) produce no error line.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "serve_harness.hpp"

namespace sockit::test {
namespace {

constexpr const char* kHaproxy = "/usr/sbin/haproxy";

// A port that was free a moment ago (HAProxy must be told its ports up front).
int free_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return 0;
  return ntohs(a.sin_port);
}

int local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// HAProxy in front of one sockit server: frontend `v2_port` sends PROXY v2, `v1_port` v1.
class HaproxyFront {
 public:
  explicit HaproxyFront(int server_port) : v2_port(free_port()), v1_port(free_port()) {
    std::string dir = "/tmp/sockit_haproxy_XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) return;
    dir_ = dir;
    const std::string server = "127.0.0.1:" + std::to_string(server_port);
    const std::string cfg = dir_ + "/haproxy.cfg";
    std::ofstream(cfg) << "global\n"
                          "  maxconn 100\n"
                          "defaults\n"
                          "  mode tcp\n"
                          "  timeout connect 2s\n"
                          "  timeout client 10s\n"
                          "  timeout server 10s\n"
                          "frontend fe_v2\n"
                          "  bind 127.0.0.1:"
                       << v2_port
                       << "\n"
                          "  default_backend be_v2\n"
                          "backend be_v2\n"
                          "  server s1 "
                       << server
                       << " send-proxy-v2 check inter 100ms\n"
                          "frontend fe_v1\n"
                          "  bind 127.0.0.1:"
                       << v1_port
                       << "\n"
                          "  default_backend be_v1\n"
                          "backend be_v1\n"
                          "  server s2 "
                       << server << " send-proxy check inter 100ms\n";
    process = std::make_unique<Process>(std::vector<std::string>{kHaproxy, "-f", cfg, "-db"});
  }
  ~HaproxyFront() {
    process.reset();  // SIGKILL if still running
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  /// Waits (up to 5 s) until both frontends accept connections.
  bool ready() {
    for (int port : {v2_port, v1_port}) {
      bool up = false;
      for (int i = 0; i < 100 && !up; ++i) {
        Fd probe(tcp_connect(port));
        up = probe.valid();
        if (!up) std::this_thread::sleep_for(Ms(50));
      }
      if (!up) return false;
    }
    return true;
  }

  int v2_port, v1_port;
  std::unique_ptr<Process> process;

 private:
  std::string dir_;
};

std::string random_bytes(std::size_t n) {
  std::mt19937 rng(1234);
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(rng() & 0xff);
  return s;
}

TEST(ServeProxyHaproxy, EchoIsByteExactThroughBothHeaderVersions) {
  ServeChild server = start_serve({"echo", "127.0.0.1", "0", "--proxy-protocol"});
  ASSERT_GT(server.port, 0) << server.process->err();
  HaproxyFront front(server.port);
  ASSERT_TRUE(front.process != nullptr);
  ASSERT_TRUE(front.ready()) << front.process->err();
  const std::string payload = random_bytes(256 * 1024);
  for (int port : {front.v2_port, front.v1_port}) {
    Fd fd(tcp_connect(port));
    ASSERT_TRUE(fd.valid());
    ASSERT_TRUE(send_all(fd.get(), payload));
    const ReadResult r = read_bytes(fd.get(), payload.size(), Ms(10000));
    EXPECT_EQ(r.data.size(), payload.size()) << "port " << port;
    EXPECT_TRUE(r.data == payload) << "port " << port;
  }
  // A second of health checks (10 per server): none is an error, and they did connect.
  std::this_thread::sleep_for(Ms(1000));
  server.process->signal(SIGUSR1);
  ASSERT_TRUE(server.process->wait_stderr("stats: ", Ms(5000))) << server.process->err();
  ASSERT_TRUE(server.process->wait_stderr(" B/s out\n", Ms(5000))) << server.process->err();
  const std::string& err = server.process->err();
  EXPECT_EQ(err.find("PROXY header from"), std::string::npos) << err;
  EXPECT_EQ(err.find("refused 127"), std::string::npos) << err;
  const auto accepted_at = err.find(" accepted");
  ASSERT_NE(accepted_at, std::string::npos) << err;
  const auto open_at = err.rfind('(', accepted_at);
  const int accepted = std::stoi(err.substr(open_at + 1, accepted_at - open_at - 1));
  EXPECT_GE(accepted, 2 + 10) << err;  // the two clients and the checks
  EXPECT_NE(err.find(" 0 refused)"), std::string::npos) << err;
}

// The operator's join notice names the client's own port, which HAProxy's outgoing connection
// to the server does not share.
TEST(ServeProxyHaproxy, ChatShowsTheClientsRealAddress) {
  ServeChild server = start_serve({"chat", "127.0.0.1", "0", "--proxy-protocol"});
  ASSERT_GT(server.port, 0) << server.process->err();
  HaproxyFront front(server.port);
  ASSERT_TRUE(front.process != nullptr);
  ASSERT_TRUE(front.ready()) << front.process->err();
  int guest = 0;
  for (int port : {front.v2_port, front.v1_port}) {
    Fd fd(tcp_connect(port));
    ASSERT_TRUE(fd.valid());
    const ReadResult welcome = read_until_text(fd.get(), "\n", Ms(5000));
    ASSERT_NE(welcome.data.find("* welcome guest"), std::string::npos) << welcome.data;
    ++guest;
    const std::string line =
        " joined from 127.0.0.1:" + std::to_string(local_port(fd.get())) + "\n";
    EXPECT_TRUE(server.process->wait_stdout(line, Ms(5000))) << "want" << line << "\nstdout:\n"
                                                             << server.process->out();
  }
  EXPECT_EQ(guest, 2);
  EXPECT_EQ(server.process->err().find("PROXY header from"), std::string::npos)
      << server.process->err();
}

}  // namespace
}  // namespace sockit::test
