// `sockit serve echo -u --max-datagram BYTES` through the real binary (issue 6, UDP): a datagram
// over the limit is detected (MSG_TRUNC), counted in the stats line and dropped, never echoed cut
// short; one at the limit echoes exactly; the echo never sends more bytes than it received; bad
// limits are usage errors. (The 65,507-byte echo with default settings is AbuseUdp's test.)
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <string>
#include <vector>

#include "serve_harness.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

// A UDP socket connected to 127.0.0.1:port (a connected socket only hears that server).
Fd udp_client(int port) {
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd.valid() && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) != 0)
    fd.reset();
  return fd;
}

std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>((i * 29 + size) % 253);
  return s;
}

// The next datagram within `wait`; came == false when none arrived.
struct Reply {
  bool came = false;
  std::string data;
};
Reply next_reply(int fd, Ms wait) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return {};
  std::vector<char> buf(70000);
  const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
  if (n < 0) return {};
  return {true, std::string(buf.data(), static_cast<std::size_t>(n))};
}

ServeChild start_udp_echo(const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"echo", "-u", "127.0.0.1", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return start_serve(args);
}

// 513 and 2000 bytes against a 512-byte limit: no reply (a short bounded wait), counted as
// truncated 2; then 512 bytes echo exactly. The stats line (SIGUSR1) and the exit summary agree.
TEST(UdpTruncation, OverLimitIsCountedAndDroppedAtLimitEchoesExactly) {
  ServeChild server = start_udp_echo({"--max-datagram", "512"});
  ASSERT_GT(server.port, 0) << server.process->err();
  EXPECT_NE(server.process->err().find("(udp, datagrams up to 512 bytes)"), std::string::npos)
      << server.process->err();
  Fd fd = udp_client(server.port);
  ASSERT_TRUE(fd.valid());
  for (const std::size_t size : {513u, 2000u}) {
    const std::string big = pattern(size);
    ASSERT_EQ(::send(fd.get(), big.data(), big.size(), 0), static_cast<ssize_t>(size));
    const Reply r = next_reply(fd.get(), Ms(400));
    EXPECT_FALSE(r.came) << "a " << size << "-byte datagram was answered with " << r.data.size()
                         << " bytes";
  }
  const std::string fits = pattern(512);
  ASSERT_EQ(::send(fd.get(), fits.data(), fits.size(), 0), 512);
  const Reply r = next_reply(fd.get(), Ms(3000));
  ASSERT_TRUE(r.came) << "no echo for a 512-byte datagram";
  EXPECT_EQ(r.data, fits);
  EXPECT_FALSE(next_reply(fd.get(), Ms(200)).came) << "more than one reply";

  server.process->signal(SIGUSR1);
  const std::string want =
      "sockit: stats: 1 datagrams, 2 truncated, 512 B in, 512 B out, 0 send errors\n";
  EXPECT_TRUE(server.process->wait_stderr(want, Ms(3000))) << server.process->err();
  server.process->signal(SIGTERM);
  EXPECT_EQ(server.process->wait(Ms(5000)), 0);
  EXPECT_NE(server.process->err().find(
                "sockit: udp: 1 datagrams, 2 truncated and dropped, 512 B in, 512 B out\n"),
            std::string::npos)
      << server.process->err();
}

// --stats SECONDS prints the same counters periodically, without a signal.
TEST(UdpTruncation, PeriodicStatsReportTruncated) {
  ServeChild server = start_udp_echo({"--max-datagram", "100", "--stats", "0.2"});
  ASSERT_GT(server.port, 0) << server.process->err();
  Fd fd = udp_client(server.port);
  ASSERT_TRUE(fd.valid());
  const std::string big = pattern(101);
  ASSERT_EQ(::send(fd.get(), big.data(), big.size(), 0), 101);
  EXPECT_TRUE(server.process->wait_stderr(
      "sockit: stats: 0 datagrams, 1 truncated, 0 B in, 0 B out, 0 send errors\n", Ms(3000)))
      << server.process->err();
  EXPECT_FALSE(next_reply(fd.get(), Ms(100)).came);
}

// Mixed sizes around the limit: exactly the datagrams that fit come back, each equal to its
// request, and the bytes received never exceed the bytes sent (no amplification).
TEST(UdpTruncation, EchoNeverSendsMoreThanItReceived) {
  constexpr std::size_t kLimit = 1000;
  ServeChild server = start_udp_echo({"--max-datagram", std::to_string(kLimit)});
  ASSERT_GT(server.port, 0) << server.process->err();
  Fd fd = udp_client(server.port);
  ASSERT_TRUE(fd.valid());
  std::size_t sent = 0, fitting = 0, received = 0, replies = 0;
  for (std::size_t i = 0; i < 40; ++i) {
    const std::size_t size = 900 + i * 7;  // 900 .. 1173: 15 fit, 25 do not
    const std::string d = pattern(size);
    ASSERT_EQ(::send(fd.get(), d.data(), d.size(), 0), static_cast<ssize_t>(size));
    sent += size;
    if (size <= kLimit) {
      fitting += size;
      const Reply r = next_reply(fd.get(), Ms(3000));
      ASSERT_TRUE(r.came) << size;
      EXPECT_EQ(r.data, d) << size;
      received += r.data.size();
      ++replies;
    }
  }
  // Anything still on its way arrives within this wait; nothing should.
  for (Reply r = next_reply(fd.get(), Ms(300)); r.came && replies < 100;
       r = next_reply(fd.get(), Ms(300))) {
    received += r.data.size();
    ++replies;
  }
  EXPECT_EQ(replies, 15u);
  EXPECT_EQ(received, fitting);
  EXPECT_LE(received, sent);
  server.process->signal(SIGUSR1);
  EXPECT_TRUE(server.process->wait_stderr("sockit: stats: 15 datagrams, 25 truncated, " +
                                              std::to_string(fitting) + " B in, " +
                                              std::to_string(fitting) + " B out, 0 send errors\n",
                                          Ms(3000)))
      << server.process->err();
}

// The limit is 1..65507 bytes and applies to UDP only; anything else is a usage error (exit 2)
// with the value quoted back as typed (the shape every numeric option's error has).
TEST(UdpTruncation, BadLimitIsUsageError) {
  for (const char* bad : {"0", "65508", "-5", "abc", "12x", "99999999999999999999"}) {
    auto r = run({sockit_bin(), "serve", "echo", "-u", "127.0.0.1", "0", "--max-datagram", bad});
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_EQ(r.err, std::string("sockit: --max-datagram: must be a whole number from 1 to 65507, "
                                 "not '") +
                         bad + "'\nRun with --help for more information.\n");
    EXPECT_EQ(r.out, "");
  }
  auto r = run({sockit_bin(), "serve", "echo", "127.0.0.1", "0", "--max-datagram", "512"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: --max-datagram is for UDP (-u) only\n");
}

// Both ends of the range are accepted: 1 byte echoes, 2 bytes are dropped; 65507 is the
// default spelled out.
TEST(UdpTruncation, LimitsAtTheEndsOfTheRange) {
  ServeChild one = start_udp_echo({"--max-datagram", "1"});
  ASSERT_GT(one.port, 0) << one.process->err();
  Fd fd = udp_client(one.port);
  ASSERT_TRUE(fd.valid());
  ASSERT_EQ(::send(fd.get(), "ab", 2, 0), 2);
  EXPECT_FALSE(next_reply(fd.get(), Ms(300)).came);
  ASSERT_EQ(::send(fd.get(), "z", 1, 0), 1);
  const Reply r = next_reply(fd.get(), Ms(3000));
  EXPECT_TRUE(r.came);
  EXPECT_EQ(r.data, "z");

  ServeChild max = start_udp_echo({"--max-datagram", "65507"});
  ASSERT_GT(max.port, 0) << max.process->err();
  EXPECT_NE(max.process->err().find("(udp, datagrams up to 65507 bytes)"), std::string::npos);
}

}  // namespace
}  // namespace sockit::test
