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

// nc -z's convention: nothing open is exit 1 (and nothing printed), so `scan && echo up` works.
TEST(CliScan, NoOpenPortExitsOne) {
  const int closed = free_port();
  auto r = sockit({"scan", "127.0.0.1", std::to_string(closed)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  auto j = sockit({"scan", "--json", "127.0.0.1", std::to_string(closed)});
  EXPECT_EQ(j.exit_code, 1);
  auto doc = nlohmann::json::parse(j.out);
  ASSERT_EQ(doc["ports"].size(), 1u);
  EXPECT_EQ(doc["ports"][0]["state"], "closed");
}

bool has_ipv6_loopback() {
  return sockit({"resolve", "-6", "localhost"}).exit_code == 0;
}

// localhost is ::1 and 127.0.0.1; a server on 127.0.0.1 only must still be found, and each
// address reported on its own.
TEST(CliScan, EveryAddressOfTheNameIsScanned) {
  Bound open(SOCK_STREAM);
  const std::string port = std::to_string(open.port);
  auto r = sockit({"scan", "localhost", port});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (!has_ipv6_loopback()) {
    EXPECT_EQ(r.out, port + "/tcp open\n");
    return;
  }
  EXPECT_EQ(r.out, port + "/tcp open 127.0.0.1\n");
  auto v = sockit({"scan", "-v", "localhost", port});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(v.out, port + "/tcp closed ::1\n" + port + "/tcp open 127.0.0.1\n");
  EXPECT_EQ(v.err.rfind("sockit: scanned 1 tcp port on ::1, 127.0.0.1 in ", 0), 0u) << v.err;
  auto j = sockit({"scan", "--json", "localhost", port});
  EXPECT_EQ(j.exit_code, 0) << j.err;
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["addresses"], nlohmann::json::parse(R"(["::1", "127.0.0.1"])"));
  ASSERT_EQ(doc["ports"].size(), 2u);
  EXPECT_EQ(doc["ports"][0],
            nlohmann::json({{"address", "::1"}, {"port", open.port}, {"state", "closed"}}));
  EXPECT_EQ(doc["ports"][1],
            nlohmann::json({{"address", "127.0.0.1"}, {"port", open.port}, {"state", "open"}}));
}

// An answering UDP port is known at once, a silent one only after -w: the open line must be
// on stdout long before the scan ends, and stderr (not a terminal) gets no progress line.
TEST(CliScan, EachResultIsPrintedAsSoonAsItIsKnown) {
  const int answering = free_port(SOCK_DGRAM);
  Process peer({"/usr/bin/python3", "-c", kUdpEcho, std::to_string(answering)});
  ASSERT_TRUE(wait_bound(answering, true));
  Bound silent(SOCK_DGRAM);
  Process scan({sockit_bin(), "scan", "-u", "-w", "4", "127.0.0.1",
                std::to_string(answering) + "," + std::to_string(silent.port)});
  EXPECT_TRUE(scan.wait_stdout(std::to_string(answering) + "/udp open\n", milliseconds(2500)));
  EXPECT_TRUE(scan.running());
  EXPECT_EQ(scan.wait(), 0);
  EXPECT_EQ(scan.out(), std::to_string(answering) + "/udp open\n");
  EXPECT_EQ(scan.err(), "");
}

// On a terminal a scan that takes more than a second shows a progress line on stderr, and
// clears it at the end. `script` gives the scan a pseudo-terminal.
TEST(CliScan, ProgressLineOnlyOnATerminal) {
  Bound silent(SOCK_DGRAM);
  const std::string command =
      "'" + sockit_bin() + "' scan -u -w 1.6 127.0.0.1 " + std::to_string(silent.port);
  auto r = run({"script", "-qec", command, "/dev/null"});
  EXPECT_EQ(r.exit_code, 1);  // open|filtered is not open
  EXPECT_EQ(r.out, "\rsockit: scanned 0 of 1, 0 open \r\033[K");
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
