// Abusive peers and exhausted resources against `sockit serve` (issue 6): the connection cap,
// slowloris and idle clients, oversized lines, UDP size limits, the default bind, allow/deny,
// peers that reset mid-write (SIGPIPE), and running out of descriptors. Each test starts its
// own server on 127.0.0.1 port 0 and is bounded well under 20 s.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "serve_harness.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

using std::chrono::duration_cast;

const std::vector<std::string> kModels = {"thread", "pool", "loop", "reactors"};

// The asan/tsan presets build this test and `sockit` with sanitizers (same flags).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

std::string model_name(const ::testing::TestParamInfo<std::string>& p) {
  return p.param;
}

// Milliseconds since `start`.
long elapsed_ms(SteadyClock::time_point start) {
  return static_cast<long>(duration_cast<Ms>(SteadyClock::now() - start).count());
}

// A client that echoes one line through the server and returns whether it came back.
bool echoes(int port, const std::string& line = "ping\n", const char* source = nullptr) {
  Fd fd(tcp_connect(port, "127.0.0.1", source));
  if (!fd.valid() || !send_all(fd.get(), line)) return false;
  const auto r = read_bytes(fd.get(), line.size(), Ms(3000));
  return r.data == line;
}

// Closes with an RST (SO_LINGER 0) instead of a FIN.
void reset_close(Fd& fd) {
  linger lg{1, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  fd.reset();
}

class AbuseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void start(const std::string& service, std::vector<std::string> extra,
             const std::vector<std::string>& prefix = {}) {
    std::vector<std::string> args = {service, "127.0.0.1", "0", "--model", GetParam()};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = start_serve(args, {}, prefix);
    ASSERT_GT(server_.port, 0) << "serve did not start: " << server_.process->err();
  }
  ServeChild server_;
};

// ---- connection cap -------------------------------------------------------------------------

// 50 clients arrive together at a server capped at 10: exactly 10 are admitted, the other 40
// read the refusal line and then EOF. Every admitted client is then served (in the pool model
// some wait in the queue until a worker is free, so each one is closed once answered).
TEST_P(AbuseTest, ConnectionCapServesExactlyTheCap) {
  start("echo", {"--max-conns", "10"});
  std::vector<Fd> clients;
  for (int i = 0; i < 50; ++i) {
    clients.emplace_back(tcp_connect(server_.port));
    ASSERT_TRUE(clients.back().valid());
  }
  // A refused client hears at once; an admitted one hears nothing until it speaks.
  std::vector<std::string> heard(clients.size());
  std::vector<bool> ended(clients.size(), false);
  const auto until = SteadyClock::now() + Ms(3000);
  std::size_t refused = 0;
  while (refused < 40 && SteadyClock::now() < until) {
    std::vector<pollfd> fds;
    for (auto& c : clients)
      fds.push_back({c.get(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (ended[i] || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buf[256];
      const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) heard[i].append(buf, static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EAGAIN)) {
        ended[i] = true;
        if (heard[i] == "ERR server full\n") ++refused;
      }
    }
  }
  std::vector<std::size_t> admitted;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    if (!ended[i]) {
      EXPECT_EQ(heard[i], "") << "an admitted client was told something";
      admitted.push_back(i);
    } else {
      EXPECT_EQ(heard[i], "ERR server full\n");
    }
  }
  EXPECT_EQ(refused, 40u);
  ASSERT_EQ(admitted.size(), 10u);
  for (const auto i : admitted)
    ASSERT_TRUE(send_all(clients[i].get(), "hello\n"));
  std::size_t served = 0;
  const auto serve_until = SteadyClock::now() + Ms(8000);
  while (served < admitted.size() && SteadyClock::now() < serve_until) {
    for (const auto i : admitted) {
      if (!clients[i].valid()) continue;
      const auto r = read_bytes(clients[i].get(), 6, Ms(20));
      heard[i] += r.data;
      if (heard[i] == "hello\n") {
        ++served;
        clients[i].reset();  // frees a pool worker for the next queued client
      }
    }
  }
  EXPECT_EQ(served, 10u);
  EXPECT_TRUE(server_.process->running());
}

// ---- slow and idle clients ------------------------------------------------------------------

// Slowloris: a byte every 200 ms, never a newline. The partial-message deadline (1 s) counts
// from the start of the message, so trickling bytes must not keep the connection alive; a
// legitimate client meanwhile gets its echoes promptly.
TEST_P(AbuseTest, SlowlorisIsClosedAtThePartialDeadline) {
  start("echo", {"--framing", "line", "--partial-timeout", "1", "--idle-timeout", "30"});
  Fd slow(tcp_connect(server_.port));
  Fd good(tcp_connect(server_.port));
  ASSERT_TRUE(slow.valid() && good.valid());
  const auto start_time = SteadyClock::now();
  std::string heard;
  bool closed = false;
  long worst_echo_ms = 0;
  for (int i = 0; i < 40 && !closed; ++i) {
    if (!send_all(slow.get(), "x", Ms(500))) {
      closed = true;
      break;
    }
    const auto echo_start = SteadyClock::now();
    const std::string line = "legit " + std::to_string(i) + "\n";
    EXPECT_TRUE(send_all(good.get(), line));
    EXPECT_EQ(read_bytes(good.get(), line.size(), Ms(2000)).data, line);
    worst_echo_ms = std::max(worst_echo_ms, elapsed_ms(echo_start));
    const auto r = read_until(
        slow.get(), [](const std::string&) { return false; }, Ms(200));
    heard += r.data;
    closed = r.eof;
  }
  const long took = elapsed_ms(start_time);
  EXPECT_TRUE(closed) << "slowloris still connected after " << took << " ms";
  EXPECT_GE(took, 900);
  EXPECT_LE(took, 3500);
  EXPECT_EQ(heard, "ERR message timeout\n");
  EXPECT_LT(worst_echo_ms, 500) << "the legitimate client was slowed down";
}

// An idle client is closed at the idle deadline, with the reason.
TEST_P(AbuseTest, IdleClientIsClosedAtTheIdleDeadline) {
  start("echo", {"--idle-timeout", "1"});
  Fd idle(tcp_connect(server_.port));
  ASSERT_TRUE(idle.valid());
  const auto start_time = SteadyClock::now();
  const auto r = read_to_eof(idle.get(), Ms(5000));
  const long took = elapsed_ms(start_time);
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(r.data, "ERR idle timeout\n");
  EXPECT_GE(took, 900);
  EXPECT_LE(took, 3000);
}

// ---- oversized input ------------------------------------------------------------------------

// A line over --max-line gets the error line and a close; lines at the limit still work.
TEST_P(AbuseTest, OversizedLineGetsErrorLineAndClose) {
  start("echo", {"--framing", "line", "--max-line", "1024"});
  const std::string fits(1024, 'a');
  EXPECT_TRUE(echoes(server_.port, fits + "\n"));
  Fd fd(tcp_connect(server_.port));
  ASSERT_TRUE(fd.valid());
  ASSERT_TRUE(send_all(fd.get(), std::string(1025, 'b')));
  const auto r = read_to_eof(fd.get(), Ms(5000));
  EXPECT_TRUE(r.eof && !r.reset) << "closed with a reset: the error line may be lost";
  EXPECT_EQ(r.data, "ERR line too long\n");
  EXPECT_TRUE(server_.process->running());
  EXPECT_TRUE(echoes(server_.port));
}

// A peer that floods 8 MiB without a newline: refused early, and the server's memory does not
// grow by the flood (it never buffers past the limit).
TEST_P(AbuseTest, FloodWithoutNewlineKeepsMemoryBounded) {
  start("echo", {"--framing", "line", "--max-line", "4096"});
  const long rss_before = rss_kib(server_.process->pid());
  Fd fd(tcp_connect(server_.port));
  ASSERT_TRUE(fd.valid());
  const std::string chunk(64 * 1024, 'z');
  for (int i = 0; i < 128; ++i) {
    if (!send_all(fd.get(), chunk, Ms(2000))) break;  // the server closed on us: expected
  }
  const auto r = read_to_eof(fd.get(), Ms(5000));
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(r.data.rfind("ERR line too long\n", 0), 0u) << r.data.substr(0, 80);
  const long rss_after = rss_kib(server_.process->pid());
  EXPECT_LT(rss_after - rss_before, 4 * 1024) << "RSS grew by " << rss_after - rss_before << " KiB";
}

// ---- peers that vanish ------------------------------------------------------------------------

// Clients that send 4 MiB and reset without reading while the server is writing the echo:
// the server sees EPIPE/ECONNRESET, never SIGPIPE, and keeps serving.
TEST_P(AbuseTest, ResetMidWriteNeverKillsTheServer) {
  start("echo", {});
  const std::string chunk(256 * 1024, 'p');
  for (int round = 0; round < 5; ++round) {
    Fd fd(tcp_connect(server_.port));
    ASSERT_TRUE(fd.valid());
    int small = 4096;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    for (int i = 0; i < 16; ++i) {
      if (!send_all(fd.get(), chunk, Ms(300))) break;  // our window is full: the server is stuck
    }
    reset_close(fd);
  }
  std::this_thread::sleep_for(Ms(200));
  ASSERT_TRUE(server_.process->running()) << "server died: " << server_.process->err();
  EXPECT_TRUE(echoes(server_.port));
}

// Half-close with 1 MiB still flowing back: every byte of the echo arrives after our FIN.
TEST_P(AbuseTest, HalfCloseStillReceivesTheWholeEcho) {
  start("echo", {});
  Fd fd(tcp_connect(server_.port));
  ASSERT_TRUE(fd.valid());
  std::string data(1 << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>('a' + (i * 7) % 26);
  std::string got;
  std::thread reader([&] { got = read_to_eof(fd.get(), Ms(15000)).data; });
  EXPECT_TRUE(send_all(fd.get(), data, Ms(15000)));
  ::shutdown(fd.get(), SHUT_WR);
  reader.join();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_EQ(fnv1a(got), fnv1a(data));
}

// Half-close while the echo is still queued in the server: 8 MiB go out and our FIN follows
// while we do not read for 500 ms, so the server holds output (and pauses reading at its high
// water mark) when it finally reads the FIN. It must flush all of it before closing.
TEST_P(AbuseTest, HalfCloseWithQueuedOutputStillDeliversIt) {
  start("echo", {});
  Fd fd(tcp_connect(server_.port));
  ASSERT_TRUE(fd.valid());
  std::string data(8 << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>('A' + (i * 13) % 26);
  bool sent = false;
  std::thread sender([&] {
    sent = send_all(fd.get(), data, Ms(15000));
    ::shutdown(fd.get(), SHUT_WR);
  });
  std::this_thread::sleep_for(Ms(500));
  const auto r = read_to_eof(fd.get(), Ms(15000));
  sender.join();
  EXPECT_TRUE(sent);
  EXPECT_EQ(r.data.size(), data.size()) << "the echo was cut after our half-close";
  EXPECT_EQ(fnv1a(r.data), fnv1a(data));
}

// ---- allow / deny -------------------------------------------------------------------------------

// Deny wins over allow; outside the allow list is refused; refused peers are closed at once.
TEST_P(AbuseTest, AllowDenyListsDenyWins) {
  start("echo", {"--allow", "127.0.0.0/8", "--deny", "127.0.0.2/32", "--allow", "::1/128"});
  EXPECT_TRUE(echoes(server_.port, "ok\n", "127.0.0.3"));
  Fd denied(tcp_connect(server_.port, "127.0.0.1", "127.0.0.2"));
  ASSERT_TRUE(denied.valid());
  (void)send_all(denied.get(), "let me in\n");
  const auto r = read_to_eof(denied.get(), Ms(3000));
  EXPECT_TRUE(r.eof) << "a denied peer was kept open";
  EXPECT_EQ(r.data, "");
}

TEST_P(AbuseTest, OutsideTheAllowListIsRefused) {
  start("echo", {"--allow", "127.0.0.5/32", "--deny", "127.0.0.5/32", "--allow", "127.0.0.7/32"});
  EXPECT_TRUE(echoes(server_.port, "ok\n", "127.0.0.7"));
  for (const char* source : {"127.0.0.5", "127.0.0.1", "127.0.0.6"}) {
    Fd fd(tcp_connect(server_.port, "127.0.0.1", source));
    ASSERT_TRUE(fd.valid());
    (void)send_all(fd.get(), "hi\n");
    const auto r = read_to_eof(fd.get(), Ms(3000));
    EXPECT_TRUE(r.eof) << source;
    EXPECT_EQ(r.data, "") << source;
  }
}

// ---- descriptor exhaustion ----------------------------------------------------------------------

// With RLIMIT_NOFILE 64 and 500 clients: no crash, no spin (CPU < 5% while saturated), the
// excess refused or queued, and service again within 1 s once the clients leave.
TEST_P(AbuseTest, DescriptorExhaustionRecoversWithoutSpinning) {
  if (kSanitized) {
    // Out of descriptors, UBSan's vptr check cannot open the pipe it probes memory with and
    // reports "invalid vptr" on a valid object (seen on std::error_category), killing the server.
    GTEST_SKIP() << "sanitizer runtimes need spare descriptors; run in the dev preset";
  }
  start("echo", {}, {"prlimit", "--nofile=64:64", "--"});
  const pid_t pid = server_.process->pid();
  std::vector<Fd> clients;
  for (int i = 0; i < 500; ++i) {
    // Several source addresses spread the SYN queue; every connect completes in the backlog.
    const std::string source = "127.0.0." + std::to_string(1 + i % 4);
    clients.emplace_back(tcp_connect(server_.port, "127.0.0.1", source.c_str()));
  }
  // The server reaches its limit and refuses or parks the backlog: that is work, not a spin,
  // and on a slow machine it runs into the measurement. Wait until it has settled (a spinning
  // server never does; after 5 s the measurement below catches it).
  std::this_thread::sleep_for(Ms(500));
  (void)wait_cpu_quiet(pid, Ms(250), Ms(5000));
  const long ticks_before = cpu_ticks(pid);
  std::this_thread::sleep_for(Ms(2000));
  const long ticks = cpu_ticks(pid) - ticks_before;
  const long hz = ::sysconf(_SC_CLK_TCK);
  EXPECT_LT(static_cast<double>(ticks) / static_cast<double>(hz) / 2.0, 0.05)
      << ticks << " ticks of CPU in 2 s while saturated: the accept loop spins";
  ASSERT_TRUE(server_.process->running()) << server_.process->err();

  // The clients leave; "descriptors free up" once the server has closed its side of them.
  clients.clear();
  const auto left = SteadyClock::now();
  while (count_fds(pid) > 32 && elapsed_ms(left) < 5000)
    std::this_thread::sleep_for(Ms(5));
  const auto freed = SteadyClock::now();
  bool served = false;
  while (!served && elapsed_ms(freed) < 3000) {
    served = echoes(server_.port, "back\n");
  }
  const long took = elapsed_ms(freed);
  EXPECT_TRUE(served);
  EXPECT_LT(took, 1000) << "accepting again took " << took << " ms";
}

INSTANTIATE_TEST_SUITE_P(Models, AbuseTest, ::testing::ValuesIn(kModels), model_name);

// ---- UDP ----------------------------------------------------------------------------------------

// The largest IPv4 datagram (65,507 bytes) echoes exactly; every reply equals its request and the
// server never sends more bytes than it received (no amplification).
TEST(AbuseUdp, LargestDatagramEchoesExactlyAndNothingIsAmplified) {
  ServeChild server = start_serve({"echo", "-u", "127.0.0.1", "0"});
  ASSERT_GT(server.port, 0) << server.process->err();
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd.valid());
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(server.port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
  std::size_t sent = 0, received = 0;
  std::vector<char> buf(70000);
  for (const std::size_t size : {65507u, 0u, 1u, 100u, 1472u, 9000u, 65507u}) {
    std::string datagram(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
      datagram[i] = static_cast<char>((i * 31 + size) % 251);
    ASSERT_EQ(::send(fd.get(), datagram.data(), datagram.size(), 0),
              static_cast<ssize_t>(datagram.size()));
    sent += size;
    pollfd p{fd.get(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 3000), 1) << "no echo for a " << size << "-byte datagram";
    const ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
    ASSERT_GE(n, 0);
    received += static_cast<std::size_t>(n);
    EXPECT_EQ(std::string(buf.data(), static_cast<std::size_t>(n)), datagram) << size;
  }
  // Nothing else arrives: one datagram out per datagram in.
  pollfd p{fd.get(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 300), 0);
  EXPECT_EQ(received, sent);
}

// ---- exposure -----------------------------------------------------------------------------------

// Without a HOST ("serve echo 0": just a port) the server binds loopback only: the listening socket
// in /proc/net/tcp is 127.0.0.1 (0100007F), never 0.0.0.0.
TEST(AbuseDefaults, DefaultBindIsLoopbackOnly) {
  Process server({sockit_bin(), "serve", "echo", "0"});  // default host, any free port
  ASSERT_TRUE(server.wait_stderr("sockit: serving", Ms(10000))) << server.err();
  ASSERT_TRUE(server.wait_stderr("\n", Ms(2000)));
  EXPECT_NE(server.err().find(" on 127.0.0.1:"), std::string::npos) << server.err();
  const int port = port_after(server.err(), " on ");
  ASSERT_GT(port, 0);
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  char want[16];
  std::snprintf(want, sizeof want, ":%04X", port);
  bool found = false;
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (state != "0A" || local.size() < 5 || local.substr(local.size() - 5) != want) continue;
    found = true;
    EXPECT_EQ(local.substr(0, 8), "0100007F") << "listening on " << local;
  }
  EXPECT_TRUE(found) << "no listening socket on port " << port;
}

}  // namespace
}  // namespace sockit::test
