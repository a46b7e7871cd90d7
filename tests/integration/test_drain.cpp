// Draining under SIGTERM (issue 18): a client owed megabytes of echo when the server is told to
// stop must receive every byte, in order, ending with an orderly EOF, within the drain deadline;
// one that stalls past the deadline is reset and counted in the server's final line, with the
// bytes it lost. Every model: the drain is shared code.
#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <signal.h>
#include <sys/ioctl.h>

#include <cstdint>
#include <regex>
#include <string>

#include "serve_harness.hpp"

namespace sockit::test {
namespace {

// Bytes a reader can tell apart by position: a shift or a repeat changes the content hash.
std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i)
    s[i] = static_cast<char>((i * 131 + i / 251) % 256);
  return s;
}

struct Pumped {
  std::size_t sent = 0;
  std::string got;
  bool eof = false, reset = false;
};

// One thread drives both directions of a non-blocking socket: sends `data` as fast as the
// server takes it and reads at most `rate` bytes per second (0: does not read at all).
// `tick(elapsed, progress)` runs every turn; stops at EOF, reset or `limit`.
template <class Tick>
Pumped pump(int fd, const std::string& data, double rate, Ms limit, Tick tick) {
  Pumped p;
  const auto start = SteadyClock::now();
  char buf[65536];
  for (;;) {
    const auto elapsed = SteadyClock::now() - start;
    if (elapsed >= limit || (rate <= 0 && p.sent == data.size())) break;
    tick(elapsed, p);
    const double allowed =
        rate * std::chrono::duration<double>(elapsed).count() - static_cast<double>(p.got.size());
    const bool want_read = rate > 0 && allowed >= 1;
    pollfd pfd{
        fd, static_cast<short>((want_read ? POLLIN : 0) | (p.sent < data.size() ? POLLOUT : 0)), 0};
    if (::poll(&pfd, 1, 10) < 0) break;
    if ((pfd.revents & POLLOUT) != 0) {
      const ssize_t n =
          ::send(fd, data.data() + p.sent, std::min<std::size_t>(data.size() - p.sent, 65536),
                 MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) p.sent += static_cast<std::size_t>(n);
    }
    if (want_read && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      const auto want = std::min<std::size_t>(sizeof buf, static_cast<std::size_t>(allowed));
      const ssize_t n = ::recv(fd, buf, want, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        p.eof = true;
        p.reset = n < 0 && errno == ECONNRESET;
        break;
      }
      if (n > 0) p.got.append(buf, static_cast<std::size_t>(n));
    }
  }
  return p;
}

class Drain : public ::testing::TestWithParam<std::string> {};

// 8 MiB echoed to a reader taking 4 MiB/s; SIGTERM half a second in, when megabytes are owed
// (queued in the server and in both kernels). Before the fix the server closed with the
// client's input unread: RST, and the client lost the rest while the log said "drained".
TEST_P(Drain, SlowReaderOwedMegabytesReceivesEveryByte) {
  ServeChild s =
      start_serve({"echo", "127.0.0.1", "0", "--model", GetParam(), "--drain-timeout", "10"});
  ASSERT_GT(s.port, 0) << s.process->err();
  Fd fd(tcp_connect(s.port));
  ASSERT_TRUE(fd.valid());
  const std::string data = pattern(std::size_t{8} << 20);
  bool termed = false;
  std::size_t got_at_term = 0;
  const Pumped p =
      pump(fd.get(), data, 4.0 * (1 << 20), Ms(15000), [&](auto elapsed, const Pumped& now) {
        if (!termed && elapsed >= Ms(500)) {
          termed = true;
          got_at_term = now.got.size();
          s.process->signal(SIGTERM);
        }
      });
  fd.reset();  // after the EOF: the server is waiting for ours
  EXPECT_TRUE(termed);
  EXPECT_EQ(p.sent, data.size());
  EXPECT_LT(got_at_term + (std::size_t{2} << 20), data.size()) << "too little was owed at SIGTERM";
  EXPECT_TRUE(p.eof);
  EXPECT_FALSE(p.reset);
  EXPECT_EQ(p.got.size(), data.size());
  EXPECT_EQ(fnv1a(p.got), fnv1a(data)) << "bytes differ or arrived out of order";
  EXPECT_EQ(s.process->wait(Ms(12000)), 0) << s.process->err();
  EXPECT_NE(s.process->err().find("sockit: drained: every connection finished\n"),
            std::string::npos)
      << s.process->err();
}

// A reader that stops reading is still owed its echo when the 1 s deadline passes: it is reset
// (not sent a FIN it would take for a complete reply), and the final line counts it and the
// bytes it lost: what it received plus what the line reports add up to what it sent.
TEST_P(Drain, StalledReaderIsCutAndCounted) {
  ServeChild s =
      start_serve({"echo", "127.0.0.1", "0", "--model", GetParam(), "--drain-timeout", "1"});
  ASSERT_GT(s.port, 0) << s.process->err();
  const int raw = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int small = 64 * 1024;  // our kernel must not absorb the echo: the server keeps it
  ASSERT_EQ(::setsockopt(raw, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
  Fd fd(raw);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(s.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  // 2 MiB: what the server holds (its output buffer past the high-water mark, its send buffer
  // of a quarter of the output limit, its receive buffer) takes it all, so that it leaves our
  // send queue and each byte is either echoed to us, owed by the server, or unread there.
  const std::string data = pattern(std::size_t{2} << 20);
  Pumped p = pump(fd.get(), data, 0, Ms(5000), [](auto, const Pumped&) {});
  ASSERT_EQ(p.sent, data.size());
  int queued = 1;
  for (int i = 0; i < 200 && queued != 0; ++i) {
    ASSERT_EQ(::ioctl(fd.get(), SIOCOUTQ, &queued), 0);
    if (queued != 0) std::this_thread::sleep_for(Ms(10));
  }
  ASSERT_EQ(queued, 0);
  s.process->signal(SIGTERM);
  ASSERT_TRUE(s.process->wait_stderr("request bytes unread\n", Ms(5000))) << s.process->err();
  const ReadResult r = read_to_eof(fd.get(), Ms(5000));
  EXPECT_TRUE(r.reset) << "a cut reader must see a reset, not an orderly end";
  EXPECT_EQ(fnv1a(r.data), fnv1a(data.substr(0, r.data.size())));
  std::smatch m;
  const std::string& err = s.process->err();
  ASSERT_TRUE(
      std::regex_search(err, m,
                        std::regex("sockit: drain deadline passed: cut 1 connection\\(s\\), "
                                   "([0-9]+) reply bytes unsent, ([0-9]+) request bytes "
                                   "unread\n")))
      << err;
  const std::size_t unsent = std::stoull(m[1]), unread = std::stoull(m[2]);
  EXPECT_GT(unsent, 0u);
  EXPECT_EQ(r.data.size() + unsent + unread, data.size())
      << "received " << r.data.size() << ", unsent " << unsent << ", unread " << unread;
  EXPECT_EQ(s.process->wait(Ms(5000)), 0) << err;
}

INSTANTIATE_TEST_SUITE_P(Models, Drain, ::testing::Values("thread", "pool", "loop", "reactors"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace sockit::test
