// Connection::send_file: file bytes go out with sendfile(2) in order with send(), behind what
// was queued before and ahead of what is queued after, also when the peer reads slowly; a
// closing connection flushes them before its FIN; a file shorter than promised aborts.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "sockit/async/connection.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

struct Quiet final : Connection::Events {
  std::error_code why;
  int closes = 0;
  EventLoop* loop = nullptr;
  bool on_data(Connection&, Buffer& input) override {
    input.consume_all();
    return false;
  }
  void on_eof(Connection& c) override { c.close(); }
  void on_close(Connection&, std::error_code ec) override {
    ++closes;
    why = ec;
    loop->stop();
  }
};

// A temporary file holding `content`, opened for reading (unlinked at once).
UniqueFd temp_file(const std::string& content) {
  char name[] = "/tmp/sockit-sendfile-XXXXXX";
  const int fd = ::mkstemp(name);
  ::unlink(name);
  if (fd < 0 || ::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size()))
    return UniqueFd();
  return UniqueFd(fd);
}

struct SendFile : ::testing::Test {
  void SetUp() override {
    auto l = EventLoop::create();
    ASSERT_TRUE(l);
    loop = std::move(*l);
    events.loop = loop.get();
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    // A small send buffer makes the kernel push back, so the queue is really used.
    const int small = 4096;
    ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    conn = std::make_unique<Connection>(*loop, UniqueFd(fds[0]), events, options, counters);
    peer = UniqueFd(fds[1]);
    ASSERT_TRUE(conn->start());
  }
  // Reads everything the connection sends until it closes (bounded by time).
  std::string read_all() {
    std::string got;
    char buf[8192];
    const auto end = Clock::now() + 10s;
    while (Clock::now() < end) {
      (void)loop->run_after(1ms, [this] { loop->stop(); });
      (void)loop->run();
      pollfd p{peer.get(), POLLIN, 0};
      if (::poll(&p, 1, 1) <= 0) continue;
      const ssize_t n = ::read(peer.get(), buf, sizeof buf);
      if (n == 0) break;
      if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  }
  std::unique_ptr<EventLoop> loop;
  Quiet events;
  ConnectionOptions options;
  TrafficCounters counters;
  std::unique_ptr<Connection> conn;
  UniqueFd peer;
};

TEST_F(SendFile, InterleavesWithSendInOrder) {
  std::string a(300000, 'a'), b(200000, 'b');
  for (std::size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<char>('a' + i % 26);
  conn->send("head1|");
  conn->send_file(temp_file(a), 1000, 250000);
  conn->send("|mid|");
  conn->send_file(temp_file(b), 0, b.size());
  conn->send("|end");
  conn->close();
  ::shutdown(peer.get(), SHUT_WR);
  const std::string got = read_all();
  EXPECT_TRUE(got == "head1|" + a.substr(1000, 250000) + "|mid|" + b + "|end") << got.size();
  EXPECT_EQ(counters.bytes_out.load(), got.size());
}

TEST_F(SendFile, ShortFileAborts) {
  conn->send_file(temp_file("abc"), 0, 10);
  ::shutdown(peer.get(), SHUT_WR);
  const std::string got = read_all();
  EXPECT_EQ(got, "abc");
  EXPECT_EQ(events.closes, 1);
  EXPECT_EQ(events.why, std::errc::io_error);
}

}  // namespace
}  // namespace sockit
