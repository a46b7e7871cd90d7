// sockit scan on 127.0.0.1: open and closed TCP ports, UDP closed (ICMP port unreachable),
// open (a reply) and open|filtered (silence), JSON, and a bad port list.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "cli_peers.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

RunResult sockit(std::vector<std::string> args) {
  args.insert(args.begin(), sockit_bin());
  return run(std::move(args));
}

/// A socket bound to 127.0.0.1:0 (listening, for TCP); closes on destruction.
struct Bound {
  int fd = -1;
  int port = 0;
  explicit Bound(int type) {
    fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    if (type == SOCK_STREAM) {
      EXPECT_EQ(::listen(fd, 16), 0);
    }
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
  }
  ~Bound() { ::close(fd); }
};

TEST(CliScan, ReportsOpenTcpPorts) {
  Bound open(SOCK_STREAM);
  const int closed = free_port();
  const std::string list = std::to_string(open.port) + "," + std::to_string(closed);
  auto r = sockit({"scan", "127.0.0.1", list});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::to_string(open.port) + "/tcp open\n");
}

TEST(CliScan, VerboseListsEveryPortInOrder) {
  Bound open(SOCK_STREAM);
  const int closed = free_port();
  auto r =
      sockit({"scan", "-v", "127.0.0.1", std::to_string(closed) + "," + std::to_string(open.port)});
  EXPECT_EQ(r.exit_code, 0);
  const int lo = std::min(open.port, closed), hi = std::max(open.port, closed);
  auto state = [&](int p) { return p == open.port ? "open" : "closed"; };
  EXPECT_EQ(r.out, std::to_string(lo) + "/tcp " + state(lo) + "\n" + std::to_string(hi) + "/tcp " +
                       state(hi) + "\n");
  EXPECT_NE(r.err.find("sockit: scanned 2 tcp ports on 127.0.0.1 in "), std::string::npos);
}

TEST(CliScan, ConcurrencyCapOfOneStillScansARange) {
  Bound open(SOCK_STREAM);
  const int first = open.port > 5 ? open.port - 5 : open.port;
  auto r = sockit({"scan", "-c", "1", "--json", "127.0.0.1",
                   std::to_string(first) + "-" + std::to_string(open.port)});
  ASSERT_EQ(r.exit_code, 0);
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["protocol"], "tcp");
  ASSERT_EQ(doc["ports"].size(), static_cast<std::size_t>(open.port - first + 1));
  EXPECT_EQ(doc["ports"].back()["port"], open.port);
  EXPECT_EQ(doc["ports"].back()["state"], "open");
}

constexpr const char* kUdpEcho = R"(
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", int(sys.argv[1])))
sock.settimeout(10)
data, address = sock.recvfrom(4096)
sock.sendto(b"here", address)
)";

TEST(CliScan, UdpClosedOpenAndSilent) {
  const int answering = free_port(SOCK_DGRAM);
  Process peer({"/usr/bin/python3", "-c", kUdpEcho, std::to_string(answering)});
  ASSERT_TRUE(wait_bound(answering, true));
  Bound silent(SOCK_DGRAM);  // bound, never answers: indistinguishable from a filter
  const int closed = free_port(SOCK_DGRAM);
  auto r = sockit({"scan", "-u", "-w", "0.5", "--json", "127.0.0.1",
                   std::to_string(answering) + "," + std::to_string(silent.port) + "," +
                       std::to_string(closed)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  std::map<int, std::string> states;
  for (const auto& p : doc["ports"])
    states[p["port"].get<int>()] = p["state"];
  EXPECT_EQ(states[answering], "open");
  EXPECT_EQ(states[silent.port], "open|filtered");
  EXPECT_EQ(states[closed], "closed");
  EXPECT_EQ(peer.wait(), 0);
}

TEST(CliScan, BadPortListIsUsageError) {
  auto r = sockit({"scan", "127.0.0.1", "8100-8000"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("sockit: 8100-8000: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("reversed"), std::string::npos) << r.err;
}

TEST(CliScan, UnknownHostIsDnsError) {
  auto r = sockit({"scan", "www.abc.invalid", "80"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err,
            "sockit: cannot resolve www.abc.invalid: Name or service not known (the name does not "
            "exist in DNS)\n");
}

}  // namespace
}  // namespace sockit::test
