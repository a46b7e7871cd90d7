// Connection::start_filter: a transport filter installed on a live connection (STARTTLS).
// Output sent before goes out plain, output after through the filter; input that followed the
// switch in the same read is dropped, never handed over as if it had come through the filter.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "sockit/async/connection.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

// Marks what crosses it: plain bytes it yields start with "F:", wire bytes it makes with "W:".
struct MarkingFilter final : ConnectionFilter {
  Result<bool> receive(std::span<const std::byte> wire, Buffer& plain, Buffer&) override {
    plain.append("F:");
    plain.append(wire);
    return false;
  }
  std::error_code receive_eof() override { return {}; }
  Status send(std::string_view plain, Buffer& wire_out) override {
    wire_out.append("W:");
    wire_out.append(plain);
    return {};
  }
  void close(Buffer&) override {}
  bool ready() const noexcept override { return true; }
  std::error_code expired(Clock::time_point) const noexcept override { return {}; }
};

// Takes one line per call; at "STARTTLS" answers in plaintext, then starts the filter and
// leaves the rest of the read unconsumed.
struct Owner final : Connection::Events {
  std::string seen;
  Status second_start;
  bool on_data(Connection& c, Buffer& input) override {
    const std::string_view v = input.view();
    seen.append(v);
    if (v.starts_with("STARTTLS\n")) {
      c.send("220 go\n");
      EXPECT_TRUE(c.start_filter(std::make_unique<MarkingFilter>()));
      second_start = c.start_filter(std::make_unique<MarkingFilter>());
      c.send("after\n");
      input.consume(9);  // "MAIL FROM..." stays unconsumed
      return false;
    }
    input.consume_all();
    return false;
  }
  void on_eof(Connection& c) override { c.close(); }
  void on_close(Connection& c, std::error_code) override { c.loop().stop(); }
};

std::string read_some(int fd) {
  std::string got;
  char buf[4096];
  for (int i = 0; i < 200 && got.empty(); ++i) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    if (got.empty()) ::usleep(5000);
  }
  return got;
}

TEST(ConnectionStartFilter, SwitchesMidStreamAndDropsThePlaintextRest) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd peer(fds[1]);
  Owner owner;
  ConnectionOptions options;
  TrafficCounters counters;
  Connection conn(**loop, UniqueFd(fds[0]), owner, options, counters);
  ASSERT_TRUE(conn.start());
  const std::string first = "STARTTLS\nMAIL FROM:<inject@x>\n";
  ASSERT_EQ(::send(peer.get(), first.data(), first.size(), 0), static_cast<ssize_t>(first.size()));
  (void)(*loop)->run_after(100ms, [&] { (*loop)->stop(); });
  ASSERT_TRUE((*loop)->run());
  EXPECT_EQ(read_some(peer.get()), "220 go\nW:after\n");
  EXPECT_EQ(owner.second_start.error(), std::errc::operation_not_permitted);
  ASSERT_EQ(::send(peer.get(), "abc", 3, 0), 3);
  (void)(*loop)->run_after(100ms, [&] { (*loop)->stop(); });
  ASSERT_TRUE((*loop)->run());
  // The injected line was never seen again; the next read came through the filter.
  EXPECT_EQ(owner.seen, first + "F:abc");
}

}  // namespace
}  // namespace sockit
