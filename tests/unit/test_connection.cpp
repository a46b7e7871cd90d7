#include "sockit/async/connection.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>

namespace sockit {
namespace {

using namespace std::chrono_literals;

// Records what the connection reports; echoes input when asked to.
struct Recorder final : Connection::Events {
  std::string data;
  int eofs = 0, closes = 0;
  std::error_code why;
  bool echo = false;
  bool whole_lines = false;  // consume only complete lines, leave a partial one in `input`
  std::string lines;         // whole_lines: every line handed over, as seen in `input`
  std::function<void(Connection&)> eof_action;
  EventLoop* loop = nullptr;
  bool on_data(Connection& c, Buffer& input) override {
    if (whole_lines) {
      std::size_t end = 0;
      for (auto eol = input.find_eol(); eol != Buffer::npos; eol = input.find_eol(end))
        end = eol + 1;
      lines.append(input.view().substr(0, end));
      input.consume(end);
      return !input.empty();
    }
    data.append(input.view());
    if (echo) c.send(input.view());
    input.consume_all();
    return false;
  }
  void on_eof(Connection& c) override {
    ++eofs;
    if (eof_action) eof_action(c);
  }
  void on_close(Connection&, std::error_code ec) override {
    ++closes;
    why = ec;
    loop->stop();
  }
};

struct Fixture : ::testing::Test {
  void SetUp() override {
    auto l = EventLoop::create();
    ASSERT_TRUE(l);
    loop = std::move(*l);
    rec.loop = loop.get();
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    ours = UniqueFd(fds[0]);
    peer = UniqueFd(fds[1]);
  }
  Connection& make() {
    conn = std::make_unique<Connection>(*loop, std::move(ours), rec, options, counters);
    EXPECT_TRUE(conn->start());
    return *conn;
  }
  // Runs the loop for at most `limit` (or until on_close stops it).
  void spin(Clock::duration limit) {
    const auto id = loop->run_after(limit, [this] { loop->stop(); });
    ASSERT_TRUE(loop->run());
    loop->cancel(id);
  }
  std::string drain_peer() {
    std::string got;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(peer.get(), buf, sizeof buf);
      if (n <= 0) return got;
      got.append(buf, static_cast<std::size_t>(n));
    }
  }
  std::unique_ptr<EventLoop> loop;
  Recorder rec;
  UniqueFd ours, peer;
  ConnectionOptions options;
  TrafficCounters counters;
  std::unique_ptr<Connection> conn;
};

TEST_F(Fixture, SendGoesStraightToTheKernelWhenNothingIsQueued) {
  Connection& c = make();
  c.send("hello ", "world");
  EXPECT_EQ(c.output_bytes(), 0u);
  EXPECT_EQ(drain_peer(), "hello world");
  EXPECT_EQ(counters.bytes_out.load(), 11u);
}

// Input the owner leaves unconsumed (a partial message) must come back, in order, in front of
// the bytes of the next read, whichever buffer the read went to.
TEST_F(Fixture, UnconsumedInputIsKeptForTheNextRead) {
  rec.whole_lines = true;
  make();
  for (std::string_view piece : {"ab", "c\nde", "f\ng", "\n", "hi\njk\n"}) {
    ASSERT_EQ(::write(peer.get(), piece.data(), piece.size()), static_cast<ssize_t>(piece.size()));
    spin(20ms);
  }
  EXPECT_EQ(rec.lines, "abc\ndef\ng\nhi\njk\n");
  EXPECT_EQ(counters.bytes_in.load(), 16u);
}

TEST_F(Fixture, PeerEofIsReportedAndWeCanStillAnswerThenClose) {
  Connection& c = make();
  rec.eof_action = [](Connection& self) {
    self.send("last words");
    self.close();
  };
  ASSERT_EQ(::write(peer.get(), "question", 8), 8);
  ASSERT_EQ(::shutdown(peer.get(), SHUT_WR), 0);
  spin(2s);
  EXPECT_EQ(rec.data, "question");
  EXPECT_EQ(rec.eofs, 1);
  EXPECT_EQ(rec.closes, 1);
  EXPECT_FALSE(rec.why);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(drain_peer(), "last words");  // then EOF: read() returned 0
}

TEST_F(Fixture, CloseFlushesQueuedOutputThenSendsFin) {
  Connection& c = make();
  const std::string big(1 << 20, 'z');
  c.send(big);
  ASSERT_GT(c.output_bytes(), 0u);  // the kernel took only part of it
  c.close();
  std::string got;
  while (got.size() < big.size()) {
    spin(20ms);
    got += drain_peer();
  }
  EXPECT_EQ(got, big);
  pollfd p{peer.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 2000), 1);
  char byte;
  EXPECT_EQ(::read(peer.get(), &byte, 1), 0);  // FIN after the last byte
}

TEST_F(Fixture, ReadingPausesAboveHighWaterAndResumesWhenDrained) {
  options.high_water = 64 * 1024;
  options.output_limit = 16 << 20;
  Connection& c = make();
  c.send(std::string(1 << 20, 'q'));  // the peer is not reading: output backs up
  ASSERT_GT(c.output_bytes(), options.high_water);
  ASSERT_EQ(::write(peer.get(), "ping", 4), 4);
  spin(50ms);
  EXPECT_EQ(rec.data, "");  // not read while paused
  std::string got;
  for (int i = 0; i < 200 && rec.data.empty(); ++i) {
    got += drain_peer();
    spin(5ms);
  }
  EXPECT_EQ(rec.data, "ping");
  EXPECT_EQ(got.size() + drain_peer().size(), std::size_t{1} << 20);
}

TEST_F(Fixture, SlowReaderPastTheOutputLimitIsDisconnected) {
  options.high_water = 32 * 1024;
  options.output_limit = 128 * 1024;
  Connection& c = make();
  for (int i = 0; i < 64 && !c.closed(); ++i)
    c.send(std::string(16 * 1024, 'x'));
  EXPECT_TRUE(c.closed());
  spin(1s);
  EXPECT_EQ(rec.closes, 1);
  EXPECT_EQ(rec.why, Errc::output_limit);
}

TEST_F(Fixture, DeadlinesIdleAndPartial) {
  options.idle_timeout = 10s;
  options.partial_timeout = 3s;
  Connection& c = make();
  const auto now = loop->now();
  EXPECT_FALSE(c.check_deadlines(now + 9s));
  EXPECT_EQ(c.check_deadlines(now + 10s), Errc::idle_timeout);
}

// The peer sends, then goes away entirely while the owner keeps the connection open after EOF:
// the data and the EOF are delivered, then the hang-up ends the connection (it would otherwise
// be reported by the level-triggered poller forever).
TEST_F(Fixture, PeerThatVanishesIsReportedAfterItsData) {
  make();
  ASSERT_EQ(::write(peer.get(), "x", 1), 1);
  peer.reset();
  spin(2s);
  EXPECT_EQ(rec.closes, 1);
  EXPECT_EQ(rec.eofs, 1);
  EXPECT_EQ(rec.why, std::errc::broken_pipe) << rec.why.message();
  EXPECT_EQ(rec.data, "x");
}

// on_close never comes from inside the call that closed (the owner may destroy the connection
// from on_close), comes exactly once, with the reason of the close.
TEST_F(Fixture, OnCloseComesOnceFromTheLoopWithTheReason) {
  Connection& c = make();
  c.abort(make_error_code(Errc::cancelled));
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(rec.closes, 0);
  spin(2s);
  EXPECT_EQ(rec.closes, 1);
  EXPECT_EQ(rec.why, make_error_code(Errc::cancelled));
  spin(20ms);
  EXPECT_EQ(rec.closes, 1);
}

// An owner that destroys a closed connection before the loop reported it hears nothing (server
// teardown), and the loop keeps running without touching the destroyed connection.
TEST_F(Fixture, OwnerThatDestroysTheConnectionFirstHearsNoClose) {
  Connection& c = make();
  c.abort(make_error_code(Errc::cancelled));
  conn.reset();
  spin(30ms);
  EXPECT_EQ(rec.closes, 0);
  // Another connection on the same loop is still reported normally.
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  ours = UniqueFd(fds[0]);
  peer = UniqueFd(fds[1]);
  make().close();
  peer.reset();  // the peer's EOF ends the linger at once
  spin(2s);
  EXPECT_EQ(rec.closes, 1);
  EXPECT_FALSE(rec.why);
}

}  // namespace
}  // namespace sockit
