// sockit's interface: help, version, usage errors and their exit code, `ip`, `resolve`, and
// every error class of `connect` with its exact message and exit code.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cli_peers.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

RunResult sockit(std::vector<std::string> args, std::string_view input = {}) {
  args.insert(args.begin(), sockit_bin());
  return run(std::move(args), input);
}

TEST(CliHelp, ListsCommandsAndExitCodes) {
  auto r = sockit({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd : {"ip", "resolve", "connect", "scan", "listen"}) {
    EXPECT_NE(r.out.find(std::string("\n  ") + cmd + " "), std::string::npos) << cmd;
  }
  EXPECT_NE(r.out.find("  2  usage error"), std::string::npos);
  EXPECT_NE(r.out.find("  3  name resolution (DNS) failed"), std::string::npos);
  EXPECT_NE(r.out.find("  4  connection refused"), std::string::npos);
  EXPECT_NE(r.out.find("  5  timeout"), std::string::npos);
}

TEST(CliHelp, EveryCommandHasExamples) {
  for (const char* cmd : {"ip", "resolve", "connect", "scan", "listen"}) {
    auto r = sockit({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Examples:\n  sockit " + std::string(cmd)), std::string::npos) << cmd;
  }
}

TEST(CliHelp, Version) {
  auto r = sockit({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')), "sockit 0.1.0");  // more: test_cli_version.cpp
}

TEST(CliUsage, UnknownOptionIsUsageError) {
  auto r = sockit({"connect", "--no-such-flag", "127.0.0.1", "80"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("sockit: ", 0), 0u) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(CliUsage, UnknownCommandIsUsageError) {
  EXPECT_EQ(sockit({"frobnicate"}).exit_code, 2);
}

TEST(CliUsage, BadPortIsUsageError) {
  auto r = sockit({"connect", "127.0.0.1", "99999"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: invalid port '99999': must be a number from 1 to 65535\n");
}

TEST(CliUsage, ConnectWithoutPortIsUsageError) {
  auto r = sockit({"connect", "127.0.0.1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: connect needs HOST and PORT (or -U PATH)\n");
}

TEST(CliUsage, ContradictoryFlagsAreUsageErrors) {
  EXPECT_EQ(sockit({"connect", "--send-only", "--recv-only", "127.0.0.1", "1"}).exit_code, 2);
  EXPECT_EQ(sockit({"resolve", "-4", "-6", "localhost"}).exit_code, 2);
  auto r = sockit({"connect", "-u", "--frame", "line", "127.0.0.1", "1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: --frame is for streams; UDP keeps each datagram whole\n");
}

// Numbers on the command line: a sign on a count, nan, inf, a value past the option's range and
// trailing junk are usage errors that name the option and what was typed. Before these checks,
// "--max-conns -1" served with no cap, "--requests -1" ran (nearly) forever, and "nan" or
// "1e300" seconds overflowed the conversion to milliseconds.
TEST(CliUsage, NumericOptionsRefuseWhatTheyCannotUse) {
  struct Case {
    std::vector<std::string> args;
    std::string err;
  };
  const std::string seconds = "must be a number of seconds from 0 to 31536000, not ";
  const std::string positive = "must be a number of seconds above 0, up to 31536000, not ";
  const std::vector<Case> cases = {
      {{"serve", "echo", "0", "--max-conns", "-1"},
       "--max-conns: must be a whole number from 1 to 10000000, not '-1'"},
      {{"serve", "echo", "0", "--max-conns", "0"},
       "--max-conns: must be a whole number from 1 to 10000000, not '0'"},
      {{"serve", "echo", "0", "--max-line", "0"},
       "--max-line: must be a whole number from 1 to 1073741824, not '0'"},
      {{"serve", "echo", "0", "--output-limit", "-5"},
       "--output-limit: must be a whole number from 1 to 1099511627776, not '-5'"},
      {{"serve", "echo", "0", "--threads", "99999"},
       "--threads: must be a whole number from 0 to 4096, not '99999'"},
      {{"serve", "echo", "0", "--idle-timeout", "nan"}, "--idle-timeout: " + seconds + "'nan'"},
      {{"serve", "echo", "0", "--partial-timeout", "1e300"},
       "--partial-timeout: " + seconds + "'1e300'"},
      {{"serve", "echo", "0", "--drain-timeout", "-1"}, "--drain-timeout: " + seconds + "'-1'"},
      {{"connect", "-w", "inf", "127.0.0.1", "1"}, "--connect-timeout: " + seconds + "'inf'"},
      {{"connect", "-i", "1x", "127.0.0.1", "1"}, "--idle-timeout: " + seconds + "'1x'"},
      {{"listen", "-i", "-2", "0"}, "--idle-timeout: " + seconds + "'-2'"},
      {{"resolve", "-w", "nan", "localhost"}, "--timeout: " + seconds + "'nan'"},
      {{"scan", "-w", "0", "127.0.0.1", "1"}, "--timeout: " + positive + "'0'"},
      {{"scan", "-c", "-1", "127.0.0.1", "1"},
       "--concurrency: must be a whole number from 1 to 10000, not '-1'"},
      {{"bench", "tcp", "127.0.0.1", "1", "--duration", "-1"}, "--duration: " + positive + "'-1'"},
      {{"bench", "tcp", "127.0.0.1", "1", "--requests", "-1"},
       "--requests: must be a whole number from 1 to 1000000000000, not '-1'"},
      {{"bench", "tcp", "127.0.0.1", "1", "--size", "0"},
       "--size: must be a whole number from 1 to 1048576, not '0'"},
      {{"bench", "tcp", "127.0.0.1", "1", "--rate", "nan"},
       "--rate: must be a number from 0 to 1000000000, not 'nan'"},
      {{"bench", "tcp", "127.0.0.1", "1", "--warmup", "-1"}, "--warmup: " + seconds + "'-1'"},
  };
  for (const auto& c : cases) {
    auto r = sockit(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << " " << c.err;
    EXPECT_EQ(r.err, "sockit: " + c.err + "\nRun with --help for more information.\n");
    EXPECT_EQ(r.out, "");
  }
}

// The edges of those ranges are accepted: fractions of a second, 0 where it means "never".
TEST(CliUsage, NumericOptionsAcceptTheirEdges) {
  auto r = sockit({"resolve", "-w", "0.5", "-4", "localhost"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = sockit({"resolve", "-w", "0", "-4", "localhost"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = sockit({"scan", "-w", "0.25", "-c", "10000", "127.0.0.1", "1"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // accepted and run: port 1 is closed (scan: none open)
}

// getaddrinfo() would answer an empty name with loopback addresses.
TEST(CliUsage, ResolveRefusesAnEmptyName) {
  auto r = sockit({"resolve", ""});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: resolve needs a host name or address, not ''\n");
  EXPECT_EQ(r.out, "");
}

TEST(CliIp, Ipv4Address) {
  auto r = sockit({"ip", "10.1.2.3"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "address:    10.1.2.3\n"
            "decimal:    167838211\n"
            "hex:        0x0A010203\n"
            "binary:     00001010.00000001.00000010.00000011\n"
            "class:      private (legacy class A)\n"
            "iana row:   10.0.0.0/8 Private-Use, RFC 1918, allocated 1996-02\n"
            "iana flags: source yes, destination yes, forwardable yes, globally reachable no, "
            "reserved-by-protocol no\n"
            "iana table: special-purpose registries as of 2025-04\n");
}

TEST(CliIp, Ipv4NetworkWithSplit) {
  auto r = sockit({"ip", "192.168.1.0/24", "--split", "26"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "address:    192.168.1.0\n"
            "decimal:    3232235776\n"
            "hex:        0xC0A80100\n"
            "binary:     11000000.10101000.00000001.00000000\n"
            "class:      private (legacy class C)\n"
            "iana row:   192.168.0.0/16 Private-Use, RFC 1918, allocated 1996-02\n"
            "iana flags: source yes, destination yes, forwardable yes, globally reachable no, "
            "reserved-by-protocol no\n"
            "iana table: special-purpose registries as of 2025-04\n"
            "network:    192.168.1.0/24\n"
            "netmask:    255.255.255.0 = 24\n"
            "wildcard:   0.0.0.255\n"
            "broadcast:  192.168.1.255\n"
            "hosts:      192.168.1.1 - 192.168.1.254\n"
            "host count: 254\n"
            "subnets:    4 x /26\n"
            "  192.168.1.0/26       192.168.1.1 - 192.168.1.62\n"
            "  192.168.1.64/26      192.168.1.65 - 192.168.1.126\n"
            "  192.168.1.128/26     192.168.1.129 - 192.168.1.190\n"
            "  192.168.1.192/26     192.168.1.193 - 192.168.1.254\n");
}

TEST(CliIp, AddressWithNetmask) {
  auto r = sockit({"ip", "172.16.5.4", "255.255.0.0"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("network:    172.16.0.0/16\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("broadcast:  172.16.255.255\n"), std::string::npos);
  EXPECT_NE(r.out.find("hosts:      172.16.0.1 - 172.16.255.254\n"), std::string::npos);
  EXPECT_NE(r.out.find("host count: 65534\n"), std::string::npos);
}

TEST(CliIp, Ipv6Network) {
  auto r = sockit({"ip", "2001:db8::1/64"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "address:    2001:db8::1\n"
            "expanded:   2001:0db8:0000:0000:0000:0000:0000:0001\n"
            "class:      documentation\n"
            "iana row:   2001:db8::/32 Documentation, RFC 3849, allocated 2004-07\n"
            "iana flags: source no, destination no, forwardable no, globally reachable no, "
            "reserved-by-protocol no\n"
            "iana table: special-purpose registries as of 2025-04\n"
            "network:    2001:db8::/64\n"
            "netmask:    ffff:ffff:ffff:ffff:: = 64\n"
            "hosts:      2001:db8::1 - 2001:db8::ffff:ffff:ffff:ffff\n"
            "addresses:  18446744073709551616\n");
}

TEST(CliIp, InvalidOctetSaysWhich) {
  auto r = sockit({"ip", "192.168.1.300"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "sockit: 192.168.1.300: octet 4 is 300, above 255\n");
}

TEST(CliIp, SplitOfAnAddressIsUsageError) {
  auto r = sockit({"ip", "10.1.2.3", "--split", "26"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: --split needs a network (ADDRESS/PREFIX)\n");
}

TEST(CliIp, SplitTooFineIsRefusedWithTheCount) {
  auto r = sockit({"ip", "10.0.0.0/8", "--split", "30"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "sockit: --split 30: splitting /8 into /30 gives 4194304 subnets, more than the limit "
            "of 4096\n");
}

TEST(CliIp, Json) {
  auto r = sockit({"ip", "--json", "10.0.0.0/8"});
  ASSERT_EQ(r.exit_code, 0);
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["network"], "10.0.0.0/8");
  EXPECT_EQ(doc["broadcast"], "10.255.255.255");
  EXPECT_EQ(doc["host_count"], 16777214);
  EXPECT_EQ(doc["class"], "private");
  EXPECT_EQ(doc["hex"], "0x0A000000");
}

TEST(CliIp, InterfacesIncludeLoopback) {
  auto r = sockit({"ip"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find(": lo  <up running loopback>\n    inet 127.0.0.1/8  loopback\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("default gateway (IPv4): "), std::string::npos);
  auto j = sockit({"ip", "--json"});
  ASSERT_EQ(j.exit_code, 0);
  auto doc = nlohmann::json::parse(j.out);
  bool found = false;
  for (const auto& i : doc["interfaces"]) {
    for (const auto& a : i["addresses"])
      found = found || a["address"] == "127.0.0.1";
  }
  EXPECT_TRUE(found);
}

TEST(CliResolve, LocalhostIpv4Only) {
  auto r = sockit({"resolve", "-4", "localhost"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("localhost: 1 address in ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\n  127.0.0.1  IPv4  loopback\n"), std::string::npos) << r.out;
}

TEST(CliResolve, Json) {
  auto r = sockit({"resolve", "--json", "-4", "localhost"});
  ASSERT_EQ(r.exit_code, 0);
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["addresses"].size(), 1u);
  EXPECT_EQ(doc["addresses"][0]["address"], "127.0.0.1");
  EXPECT_EQ(doc["addresses"][0]["class"], "loopback");
}

TEST(CliResolve, UnknownNameIsDnsError) {
  auto r = sockit({"resolve", "www.abc.invalid"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err,
            "sockit: cannot resolve www.abc.invalid: Name or service not known (the name does not "
            "exist in DNS)\n");
}

TEST(CliErrors, DnsFailure) {
  auto r = sockit({"connect", "www.abc.invalid", "80"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err,
            "sockit: cannot connect to www.abc.invalid port 80: Name or service not known (the "
            "name does not exist in DNS)\n");
}

TEST(CliErrors, Refused) {
  const int port = free_port();
  auto r = sockit({"connect", "127.0.0.1", std::to_string(port)});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "sockit: cannot connect to 127.0.0.1 port " + std::to_string(port) +
                       ": Connection refused (nothing listens on that port)\n");
}

// A listener with a backlog of 0 whose queue is already full drops further SYNs, so a
// connect to it times out: a deterministic timeout on loopback.
TEST(CliErrors, ConnectTimeout) {
  const int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(lfd, 0), 0);
  socklen_t len = sizeof sa;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    (void)::connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    fillers.push_back(c);
  }
  const std::string port = std::to_string(ntohs(sa.sin_port));
  auto r = sockit({"connect", "-w", "0.5", "127.0.0.1", port});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.err, "sockit: cannot connect to 127.0.0.1 port " + port +
                       ": the deadline passed before the operation finished (no answer within the "
                       "time allowed)\n");
  for (int c : fillers)
    ::close(c);
  ::close(lfd);
}

TEST(CliErrors, CheckJsonReportsRefusal) {
  const int port = free_port();
  auto r = sockit({"connect", "--check", "--json", "127.0.0.1", std::to_string(port)});
  EXPECT_EQ(r.exit_code, 4);
  auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["connected"], false);
  EXPECT_EQ(doc["port"], port);
  ASSERT_EQ(doc["attempts"].size(), 1u);
  EXPECT_EQ(doc["attempts"][0]["result"], "closed");
  EXPECT_EQ(doc["attempts"][0]["error"], "Connection refused");
  EXPECT_EQ(doc["kind"], "refused");
  EXPECT_EQ(doc["exit_code"], 4);
}

}  // namespace
}  // namespace sockit::test
