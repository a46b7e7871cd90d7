// Connection::echo_through: raw echo by splice(2) through a loop-shared pipe. Exact bytes back,
// counters, backpressure (the leftover of a full socket goes to the output buffer, reading
// pauses, nothing is lost), and two connections sharing one pipe never mix their bytes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sockit/async/connection.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

struct Events final : Connection::Events {
  std::size_t on_data_calls = 0;
  int closes = 0;
  std::error_code why;
  int open = 0;
  EventLoop* loop = nullptr;
  bool on_data(Connection& c, Buffer& input) override {
    ++on_data_calls;  // before the stream is detected: the owner echoes, as a raw echo does
    c.send(input.view());
    input.consume_all();
    return false;
  }
  void on_eof(Connection& c) override { c.close(); }
  void on_close(Connection&, std::error_code ec) override {
    ++closes;
    why = ec;
    if (--open == 0) loop->stop();
  }
};

// A connected TCP pair on 127.0.0.1: {server side (non-blocking), client side (blocking)}.
std::pair<UniqueFd, UniqueFd> tcp_pair() {
  UniqueFd lst(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  auto* sa = reinterpret_cast<sockaddr*>(&a);
  EXPECT_EQ(::bind(lst.get(), sa, len), 0);
  EXPECT_EQ(::listen(lst.get(), 4), 0);
  EXPECT_EQ(::getsockname(lst.get(), sa, &len), 0);
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(::connect(client.get(), sa, len), 0);
  UniqueFd server(::accept4(lst.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  return {std::move(server), std::move(client)};
}

std::string pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::uint32_t x = seed;
  for (auto& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

// Sends `data` then shuts down writing (one thread) while reading the echo until EOF (another).
struct Client {
  std::string received;
  std::thread writer, reader;
  Client(int fd, const std::string& data) {
    writer = std::thread([fd, &data] {
      for (std::size_t off = 0; off < data.size();) {
        const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
      }
      ::shutdown(fd, SHUT_WR);
    });
    reader = std::thread([this, fd] {
      std::vector<char> buf(1 << 16);
      for (;;) {
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n <= 0) break;
        received.append(buf.data(), static_cast<std::size_t>(n));
      }
    });
  }
  void join() {
    writer.join();
    reader.join();
  }
};

struct KernelEcho : ::testing::Test {
  void SetUp() override {
    // splice(2) to a socket has no MSG_NOSIGNAL: kernel echo requires SIGPIPE ignored.
    old_ = ::signal(SIGPIPE, SIG_IGN);
    ASSERT_TRUE(splice_is_safe());
    auto l = EventLoop::create();
    ASSERT_TRUE(l);
    loop = std::move(*l);
    ev.loop = loop.get();
    auto p = SplicePipe::open(std::size_t{1} << 20);
    ASSERT_TRUE(p);
    pipe.emplace(std::move(*p));
  }
  void TearDown() override { ::signal(SIGPIPE, old_); }
  std::unique_ptr<Connection> make(UniqueFd fd) {
    auto c = std::make_unique<Connection>(*loop, std::move(fd), ev, options, counters);
    c->echo_through(&*pipe);
    EXPECT_TRUE(c->start());
    ++ev.open;
    return c;
  }
  void run_bounded(Clock::duration limit) {
    const auto id = loop->run_after(limit, [this] { loop->stop(); });
    ASSERT_TRUE(loop->run());
    loop->cancel(id);
  }
  sighandler_t old_ = SIG_DFL;
  std::unique_ptr<EventLoop> loop;
  Events ev;
  std::optional<SplicePipe> pipe;
  ConnectionOptions options;
  TrafficCounters counters;
};

TEST(SpliceSafety, NeedsSigpipeIgnored) {
  const auto old = ::signal(SIGPIPE, SIG_DFL);
  EXPECT_FALSE(splice_is_safe());
  ::signal(SIGPIPE, SIG_IGN);
  EXPECT_TRUE(splice_is_safe());
  ::signal(SIGPIPE, old);
}

TEST_F(KernelEcho, EveryByteComesBackInOrderAndIsCounted) {
  auto [server, client] = tcp_pair();
  const std::string data = pattern((8u << 20) + 12345, 7);
  auto conn = make(std::move(server));
  Client c(client.get(), data);
  run_bounded(20s);
  if (ev.closes == 0) ::shutdown(client.get(), SHUT_RDWR);  // timed out: unblock the client
  c.join();
  EXPECT_EQ(ev.closes, 1);
  EXPECT_FALSE(ev.why);
  ASSERT_EQ(c.received.size(), data.size());
  EXPECT_TRUE(c.received == data);
  EXPECT_EQ(counters.bytes_in.load(), data.size());
  EXPECT_EQ(counters.bytes_out.load(), data.size());
  EXPECT_GT(counters.messages.load(), 0u);  // only spliced chunks are counted here
}

TEST_F(KernelEcho, SmallRequestsStayOnTheOrdinaryPath) {
  auto [server, client] = tcp_pair();
  auto conn = make(std::move(server));
  char buf[64];
  for (int i = 0; i < 20; ++i) {
    const std::string ping = "ping " + std::to_string(i);
    ASSERT_EQ(::send(client.get(), ping.data(), ping.size(), 0), static_cast<ssize_t>(ping.size()));
    std::string got;
    for (int j = 0; j < 1000 && got.size() < ping.size(); ++j) {
      run_bounded(1ms);
      const ssize_t n = ::recv(client.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) got.append(buf, static_cast<std::size_t>(n));
    }
    EXPECT_EQ(got, ping);
  }
  EXPECT_EQ(ev.on_data_calls, 20u);
  EXPECT_EQ(counters.messages.load(), 0u);  // no splice
}

TEST_F(KernelEcho, AClientThatDoesNotReadIsHeldBackAndLosesNothing) {
  options.high_water = 64 * 1024;
  options.output_limit = 256 * 1024;
  auto [server, client] = tcp_pair();
  auto conn = make(std::move(server));
  // Send without reading until the client's writes stall (bounded in count): the echo fills
  // both socket buffers, the rest lands in the output buffer, and reading pauses there.
  const std::string chunk = pattern(64 * 1024, 3);
  std::string sent;
  timeval short_wait{0, 100'000};
  ::setsockopt(client.get(), SOL_SOCKET, SO_SNDTIMEO, &short_wait, sizeof short_wait);
  for (int i = 0; i < 4096; ++i) {
    run_bounded(5ms);
    const ssize_t n = ::send(client.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    sent.append(chunk.data(), static_cast<std::size_t>(n));
  }
  run_bounded(20ms);
  ASSERT_LT(sent.size(), std::size_t{4096} * chunk.size()) << "writes never stalled";
  EXPECT_GT(conn->output_bytes(), 0u);  // the part the socket could not take
  EXPECT_LE(conn->output_bytes(), options.output_limit);
  EXPECT_FALSE(conn->closed());  // held back by TCP, not disconnected
  // Now read: everything comes back, in order, and the connection resumes.
  ::shutdown(client.get(), SHUT_WR);
  std::string got;
  std::vector<char> buf(1 << 16);
  for (int i = 0; i < 100000 && got.size() < sent.size(); ++i) {
    run_bounded(1ms);
    const ssize_t n = ::recv(client.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n > 0) got.append(buf.data(), static_cast<std::size_t>(n));
    if (n == 0) break;
  }
  ASSERT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent);
  EXPECT_EQ(counters.bytes_out.load(), sent.size());
  EXPECT_GT(counters.messages.load(), 0u);
}

TEST_F(KernelEcho, ConnectionsSharingOnePipeKeepTheirOwnBytes) {
  auto [s1, c1] = tcp_pair();
  auto [s2, c2] = tcp_pair();
  const std::string d1 = pattern((4u << 20) + 1, 11), d2 = pattern((4u << 20) + 777, 12);
  auto conn1 = make(std::move(s1));
  auto conn2 = make(std::move(s2));
  Client a(c1.get(), d1), b(c2.get(), d2);
  run_bounded(20s);
  if (ev.closes < 2) {  // timed out: unblock the clients
    ::shutdown(c1.get(), SHUT_RDWR);
    ::shutdown(c2.get(), SHUT_RDWR);
  }
  a.join();
  b.join();
  EXPECT_EQ(ev.closes, 2);
  EXPECT_TRUE(a.received == d1);
  EXPECT_TRUE(b.received == d2);
  EXPECT_EQ(counters.bytes_in.load(), d1.size() + d2.size());
  EXPECT_EQ(counters.bytes_out.load(), d1.size() + d2.size());
}

}  // namespace
}  // namespace sockit
