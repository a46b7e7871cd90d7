// `sockit bench` end to end: short bounded runs against real peers, checking that the JSON
// result is self-consistent and that verification, UDP, open loop and bulk modes count right.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace sockit::test {
namespace {

using Json = nlohmann::json;
const std::string kPeers = std::string(SOCKIT_SOURCE_DIR) + "/bench/peers/";

// A peer that prints its port on stdout once bound (bench/peers/*.py, or an inline script).
struct Peer {
  std::unique_ptr<Process> process;
  std::string port;
};

Peer start_peer(std::vector<std::string> argv) {
  Peer p;
  p.process = std::make_unique<Process>(std::move(argv));
  if (p.process->wait_stdout("\n", milliseconds(10000))) {
    const std::string& out = p.process->out();
    p.port = out.substr(0, out.find('\n'));
  }
  return p;
}

Peer python_peer(const std::string& script) {
  return start_peer({"/usr/bin/python3", kPeers + script, "0"});
}

struct BenchRun {
  int exit_code = -1;
  Json json;
  std::string err;
};

BenchRun bench(const std::string& port, std::vector<std::string> extra) {
  std::vector<std::string> argv{sockit_bin(), "bench"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.begin() + 3, {"127.0.0.1", port});  // after the transport word
  argv.emplace_back("--json");
  auto r = run(argv, {}, milliseconds(20000));
  BenchRun out;
  out.exit_code = r.exit_code;
  out.err = r.err;
  out.json = Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  return out;
}

void expect_consistent(const BenchRun& r, std::uint64_t requests) {
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(r.json.is_discarded());
  EXPECT_EQ(r.json["requests"].get<std::uint64_t>(), requests);
  EXPECT_EQ(r.json["responses"].get<std::uint64_t>(), requests);
  EXPECT_EQ(r.json["responses_verified"].get<std::uint64_t>(), requests);
  EXPECT_EQ(r.json["errors"]["total"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(r.json["bytes_received"].get<std::uint64_t>(), requests * 64);
  EXPECT_GT(r.json["rps"].get<double>(), 0.0);
  const auto& lat = r.json["latency_ms"];
  EXPECT_GT(lat["p50"].get<double>(), 0.0);
  EXPECT_LE(lat["p50"].get<double>(), lat["p90"].get<double>());
  EXPECT_LE(lat["p90"].get<double>(), lat["p99"].get<double>());
  EXPECT_LE(lat["p99"].get<double>(), lat["p99_9"].get<double>());
  EXPECT_LE(lat["p99_9"].get<double>(), lat["max"].get<double>());
}

TEST(Bench, ClosedLoopAgainstServeEchoIsConsistent) {
  Process serve({sockit_bin(), "serve", "echo", "127.0.0.1", "0"});
  ASSERT_TRUE(serve.wait_stderr("serving echo on", milliseconds(10000))) << serve.err();
  ASSERT_TRUE(serve.wait_stderr("\n", milliseconds(2000)));
  const int port = port_after(serve.err(), " on ");
  ASSERT_GT(port, 0) << serve.err();
  auto r = bench(std::to_string(port), {"tcp", "--conns", "10", "--requests", "2000"});
  expect_consistent(r, 2000);
  EXPECT_EQ(r.json["connected_count"].get<int>(), 10);
}

TEST(Bench, ClosedLoopAgainstPythonEchoIsConsistent) {
  auto peer = python_peer("asyncio_echo.py");
  ASSERT_FALSE(peer.port.empty()) << peer.process->err();
  auto r = bench(peer.port, {"tcp", "--conns", "10", "--requests", "2000", "--pipeline", "4"});
  expect_consistent(r, 2000);
}

TEST(Bench, ThreadsWarmupAndIdleConnectionsKeepCountsExact) {
  auto peer = python_peer("asyncio_echo.py");
  ASSERT_FALSE(peer.port.empty()) << peer.process->err();
  // 1001 requests over 2 threads with 3 and 2 connections: the quota split must not lose one;
  // warm-up traffic must not be counted.
  auto r = bench(peer.port, {"tcp", "--conns", "5", "--threads", "2", "--requests", "1001",
                             "--warmup", "0.2", "--idle", "20"});
  expect_consistent(r, 1001);
  EXPECT_EQ(r.json["threads"].get<int>(), 2);
  EXPECT_EQ(r.json["connected_count"].get<int>(), 5);
  EXPECT_EQ(r.json["idle_connected_count"].get<int>(), 20);
}

TEST(Bench, CorruptedEchoIsCountedAsMismatch) {
  // Echoes everything but flips the last byte of each chunk it receives.
  const char* script =
      "import socket,sys\n"
      "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(8)\n"
      "print(s.getsockname()[1], flush=True)\n"
      "c,_=s.accept()\n"
      "while True:\n"
      "  d=c.recv(65536)\n"
      "  if not d: break\n"
      "  c.sendall(d[:-1]+bytes([d[-1]^1]))\n";
  auto peer = start_peer({"/usr/bin/python3", "-c", script});
  ASSERT_FALSE(peer.port.empty()) << peer.process->err();
  auto r = bench(peer.port, {"tcp", "--conns", "1", "--requests", "10"});
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_FALSE(r.json.is_discarded()) << r.err;
  EXPECT_EQ(r.json["errors"]["mismatch"].get<std::uint64_t>(), 1u);
  EXPECT_EQ(r.json["responses_verified"].get<std::uint64_t>(), 0u);
}

TEST(Bench, NoVerifyAcceptsCorruptedBytes) {
  const char* script =
      "import socket\n"
      "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(8)\n"
      "print(s.getsockname()[1], flush=True)\n"
      "c,_=s.accept()\n"
      "while True:\n"
      "  d=c.recv(65536)\n"
      "  if not d: break\n"
      "  c.sendall(bytes(len(d)))\n";
  auto peer = start_peer({"/usr/bin/python3", "-c", script});
  ASSERT_FALSE(peer.port.empty());
  auto r = bench(peer.port, {"tcp", "--requests", "50", "--no-verify"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json["responses"].get<std::uint64_t>(), 50u);
  EXPECT_EQ(r.json["responses_verified"].get<std::uint64_t>(), 0u);
}

TEST(Bench, OpenLoopSendsAtTheRequestedRate) {
  auto peer = python_peer("asyncio_echo.py");
  ASSERT_FALSE(peer.port.empty());
  auto r = bench(peer.port, {"tcp", "--conns", "4", "--rate", "2000", "--duration", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json["loop"], "open");
  // 2000/s for 1 s: the schedule decides the count, not the server's speed.
  const auto requests = r.json["requests"].get<std::uint64_t>();
  EXPECT_EQ(requests, 2000u);
  EXPECT_EQ(r.json["responses_verified"].get<std::uint64_t>(), requests);
}

// An echo peer that stalls for 300 ms once, on its 20th read.
const char* kStallOnceScript =
    "import socket,time\n"
    "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(8)\n"
    "print(s.getsockname()[1], flush=True)\n"
    "c,_=s.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); n=0\n"
    "while True:\n"
    "  d=c.recv(65536)\n"
    "  if not d: break\n"
    "  n+=1\n"
    "  if n==20: time.sleep(0.3)\n"
    "  c.sendall(d)\n";

TEST(Bench, OpenLoopChargesAStallToEveryRequestItDelayed) {
  // 200/s for 1 s: about 60 requests fall due during the 300 ms stall, and each is timed from
  // when it should have left, so the top 10% of latencies are all well above 100 ms.
  auto peer = start_peer({"/usr/bin/python3", "-c", kStallOnceScript});
  ASSERT_FALSE(peer.port.empty());
  auto r = bench(peer.port, {"tcp", "--rate", "200", "--duration", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json["requests"].get<std::uint64_t>(), 200u);
  EXPECT_GE(r.json["latency_ms"]["max"].get<double>(), 290.0);
  EXPECT_GE(r.json["latency_ms"]["p90"].get<double>(), 100.0);
}

TEST(Bench, ClosedLoopSeesTheSameStallOnlyOnce) {
  // The contrast that open loop exists for: a closed loop simply waits, so one request absorbs
  // the whole stall and the percentiles below the maximum hide it.
  auto peer = start_peer({"/usr/bin/python3", "-c", kStallOnceScript});
  ASSERT_FALSE(peer.port.empty());
  auto r = bench(peer.port, {"tcp", "--requests", "200"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(r.json["latency_ms"]["max"].get<double>(), 290.0);
  EXPECT_LT(r.json["latency_ms"]["p90"].get<double>(), 100.0);
}

TEST(Bench, BulkEchoesEveryByte) {
  auto peer = python_peer("asyncio_echo.py");
  ASSERT_FALSE(peer.port.empty());
  auto r = bench(peer.port, {"tcp", "--bulk", "--requests", "64", "--size", "65536"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json["mode"], "bulk");
  EXPECT_GE(r.json["bytes_sent"].get<std::uint64_t>(), 64u * 65536u);
  EXPECT_EQ(r.json["bytes_received"].get<std::uint64_t>(),
            r.json["bytes_sent"].get<std::uint64_t>());
  EXPECT_GT(r.json["mb_per_sec"].get<double>(), 0.0);
}

TEST(Bench, UdpCountsEveryDatagram) {
  auto peer = python_peer("udp_echo.py");
  ASSERT_FALSE(peer.port.empty());
  auto r = bench(peer.port, {"udp", "--conns", "2", "--pipeline", "2", "--requests", "500"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json["transport"], "udp");
  EXPECT_EQ(r.json["requests"].get<std::uint64_t>(), 500u);
  EXPECT_EQ(r.json["responses_verified"].get<std::uint64_t>(), 500u);
  EXPECT_EQ(r.json["errors"]["lost"].get<std::uint64_t>(), 0u);
}

TEST(Bench, RefusedConnectionExitsWithRefusedCode) {
  // Bind a port, learn it, close it: nothing listens there afterwards.
  auto peer = python_peer("udp_echo.py");  // a UDP socket: its port has no TCP listener
  ASSERT_FALSE(peer.port.empty());
  auto r = run({sockit_bin(), "bench", "tcp", "127.0.0.1", peer.port, "--requests", "10"}, {},
               milliseconds(10000));
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("refused"), std::string::npos) << r.err;
}

// A UDP "connect" always succeeds: a closed port shows only as ICMP port unreachable. With
// not one answer that is "refused", exit 4, as for TCP, not a report of zeros.
TEST(Bench, UdpToAClosedPortIsRefused) {
  auto peer = python_peer("asyncio_echo.py");  // a TCP listener: its port has no UDP socket
  ASSERT_FALSE(peer.port.empty());
  auto r = run({sockit_bin(), "bench", "udp", "127.0.0.1", peer.port, "--requests", "10"}, {},
               milliseconds(10000));
  EXPECT_EQ(r.exit_code, 4) << r.out;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "sockit: cannot bench 127.0.0.1:" + peer.port +
                       ": Connection refused (nothing listens on that port)\n");
}

// The transport is the first word; -u after 'bench tcp' contradicts it.
TEST(Bench, UdpFlagOnATcpLineIsAUsageError) {
  auto r = run({sockit_bin(), "bench", "tcp", "127.0.0.1", "9", "-u", "--requests", "10"}, {},
               milliseconds(5000));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "sockit: -u is for UDP, but this line says 'bench tcp': use 'bench udp'\n");
}

// localhost is ::1 and 127.0.0.1; the echo server listens on 127.0.0.1 only. TCP uses the
// address a connect reaches; UDP the one the system resolver lists first, as ncat does.
TEST(Bench, LocalhostReachesAServerOn127001) {
  auto tcp_peer = python_peer("asyncio_echo.py");
  ASSERT_FALSE(tcp_peer.port.empty());
  auto r =
      run({sockit_bin(), "bench", "tcp", "localhost", tcp_peer.port, "--requests", "20", "--json"},
          {}, milliseconds(20000));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = Json::parse(r.out);
  EXPECT_EQ(doc["responses_verified"], 20);
  auto udp_peer = python_peer("udp_echo.py");
  ASSERT_FALSE(udp_peer.port.empty());
  auto system_first = run({"/usr/bin/python3", "-c",
                           "import socket; print(socket.getaddrinfo('localhost', 1, "
                           "type=socket.SOCK_DGRAM)[0][4][0])"});
  if (system_first.out != "127.0.0.1\n") GTEST_SKIP() << "localhost is " << system_first.out;
  auto u =
      run({sockit_bin(), "bench", "udp", "localhost", udp_peer.port, "--requests", "20", "--json"},
          {}, milliseconds(20000));
  ASSERT_EQ(u.exit_code, 0) << u.err;
  EXPECT_EQ(Json::parse(u.out)["responses_verified"], 20);
}

TEST(Bench, BadOptionsAreUsageErrors) {
  auto r =
      run({sockit_bin(), "bench", "tcp", "127.0.0.1", "9", "--conns", "0"}, {}, milliseconds(5000));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--conns"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sockit::test
