// Coroutine handlers over TLS under Server (Server::create/listen with a TlsStreamHandler), on
// every model: the server runs tls_accept under ServerOptions::tls_handshake_timeout and hands
// the handler an AsyncTlsStream; failed handshakes are counted and reported as the TLS filter's
// are (ServerStats::tls_failures, on_tls_failure), and a drain still reaches a handler reading
// from the TLS stream. In-process so that tsan sees the serving threads.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sockit/server/server.hpp"
#include "sockit/stream/io.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/tls/async_stream.hpp"
#include "sockit/tls/stream.hpp"
#include "support/server_fixture.hpp"
#include "support/tls_test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

// Echoes plaintext until close_notify; on a drain says "bye\n" and returns.
Task<void> tls_echo(AsyncTlsStream s) {
  std::array<std::byte, 16384> buf;
  for (;;) {
    auto n = co_await s.read_some(buf, Deadline::after(10s));
    if (!n && n.error() == Errc::draining) {
      (void)co_await s.send_all("bye\n", Deadline::after(2s));
      (void)co_await s.shutdown(ShutdownHow::write, Deadline::after(2s));
      co_return;
    }
    if (!n || *n == 0) break;
    if (!co_await s.send_all(std::span(buf).first(*n), Deadline::after(10s))) co_return;
  }
  (void)co_await s.shutdown(ShutdownHow::write, Deadline::after(2s));
}

// What on_tls_failure was told (called on serving threads).
struct Failures {
  std::mutex mu;
  std::vector<std::string> remotes;
  std::vector<std::error_code> whys;
  std::vector<bool> in_handshake;
};

// The server on a base loop of its own thread, serving `tls_echo` over TLS.
class TlsHandlerServer {
 public:
  explicit TlsHandlerServer(ServerOptions options) {
    std::promise<std::uint16_t> ready;
    auto port = ready.get_future();
    thread_ = std::thread([&, opts = std::move(options)]() mutable {
      auto loop = EventLoop::create();
      if (!loop) return ready.set_value(0);
      loop_ = loop->get();
      auto server = Server::listen(**loop, *Endpoint::parse("127.0.0.1:0"),
                                   TlsStreamHandler(tls_echo), std::move(opts));
      if (!server || !(*server)->start()) return ready.set_value(0);
      server_ = server->get();
      ready.set_value((*server)->local_endpoint().port());
      (void)(*loop)->run();
      server->reset();
    });
    port_ = port.get();
  }
  ~TlsHandlerServer() {
    if (port_ != 0) loop_->stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  ServerStats stats() const { return server_->stats(); }
  DrainReport drain(Clock::duration deadline) {
    std::promise<DrainReport> done;
    auto report = done.get_future();
    loop_->post([&] { server_->drain(deadline, [&](DrainReport r) { done.set_value(r); }); });
    return report.get();
  }
  // Waits (bounded) until no connection is open.
  void wait_idle() const {
    for (int i = 0; i < 300 && stats().connections != 0; ++i)
      std::this_thread::sleep_for(10ms);
  }

 private:
  std::thread thread_;
  EventLoop* loop_ = nullptr;
  Server* server_ = nullptr;
  std::uint16_t port_ = 0;
};

template <typename S>
std::string read_to_end(S& s, Deadline deadline) {
  std::string got;
  std::array<std::byte, 16384> chunk;
  for (;;) {
    auto n = s.read_some(chunk, deadline);
    if (!n) return got + "<error: " + n.error().message() + ">";
    if (*n == 0) return got;
    got.append(reinterpret_cast<const char*>(chunk.data()), *n);
  }
}

class TlsStreamHandlers : public ::testing::TestWithParam<Model> {
 protected:
  ServerOptions options() {
    ServerOptions o;
    o.model = GetParam();
    o.threads = GetParam() == Model::pool ? 4 : 2;
    o.tls = server_ctx_;
    o.on_tls_failure = [this](const std::string& remote, std::error_code why, bool hs) {
      std::lock_guard lock(failures_.mu);
      failures_.remotes.push_back(remote);
      failures_.whys.push_back(why);
      failures_.in_handshake.push_back(hs);
    };
    return o;
  }
  Result<TlsStream<TcpStream>> connect(std::uint16_t port, Deadline deadline) const {
    auto tcp = TcpStream::connect(*Endpoint::parse("127.0.0.1:" + std::to_string(port)), deadline);
    if (!tcp) return fail(tcp.error());
    return tls_connect(std::move(*tcp), client_ctx_, "localhost", deadline);
  }

  std::shared_ptr<const TlsServerContext> server_ctx_ =
      std::make_shared<const TlsServerContext>(*TlsServerContext::create({}));
  test::ScratchDir dir_;
  TlsClientContext client_ctx_ =
      *TlsClientContext::create({.ca_file = dir_.write("ca.pem", server_ctx_->certificate_pem())});
  Failures failures_;
};

TEST_P(TlsStreamHandlers, EchoServesClientsFromManyThreadsByteExact) {
  TlsHandlerServer server(options());
  ASSERT_NE(server.port(), 0);
  constexpr int kThreads = 4;
  constexpr int kRounds = 3;
  std::vector<std::string> outcome(kThreads * kRounds);
  std::vector<std::thread> threads;
  for (int c = 0; c < kThreads; ++c) {
    threads.emplace_back([&, c] {
      for (int r = 0; r < kRounds; ++r) {
        auto& out = outcome[static_cast<std::size_t>(c * kRounds + r)];
        const auto deadline = Deadline::after(30s);
        auto tls = connect(server.port(), deadline);
        if (!tls) {
          out = "connect: " + tls.error().message();
          continue;
        }
        const std::string data = test::pattern(64 * 1024, static_cast<std::uint32_t>(c * 10 + r));
        if (auto sent = send_all(*tls, data, deadline); !sent) {
          out = "send: " + sent.error().message();
          continue;
        }
        if (auto closed = tls->shutdown(ShutdownHow::write, deadline); !closed) {
          out = "shutdown: " + closed.error().message();
          continue;
        }
        const std::string got = read_to_end(*tls, deadline);
        out = got == data ? "" : "echo differs: " + std::to_string(got.size()) + " bytes back";
      }
    });
  }
  for (auto& t : threads)
    t.join();
  for (const auto& o : outcome)
    EXPECT_EQ(o, "");
  server.wait_idle();
  EXPECT_EQ(server.stats().connections, 0U);
  EXPECT_EQ(server.stats().accepted, static_cast<std::uint64_t>(kThreads * kRounds));
  EXPECT_EQ(server.stats().tls_failures, 0U);
  std::lock_guard lock(failures_.mu);
  EXPECT_TRUE(failures_.remotes.empty());
}

TEST_P(TlsStreamHandlers, PlainTcpGarbageIsOneHandshakeFailure) {
  TlsHandlerServer server(options());
  ASSERT_NE(server.port(), 0);
  auto tcp = TcpStream::connect(*Endpoint::parse("127.0.0.1:" + std::to_string(server.port())),
                                Deadline::after(5s));
  ASSERT_TRUE(tcp) << tcp.error().message();
  const std::string me = tcp->local_endpoint()->to_string();
  ASSERT_TRUE(send_all(*tcp, std::string("GET / HTTP/1.0\r\n\r\n"), Deadline::after(5s)));
  // The server answers with a TLS alert (or nothing) and closes: never an echo.
  const std::string got = read_to_end(*tcp, Deadline::after(5s));
  EXPECT_EQ(got.find("GET"), std::string::npos);
  server.wait_idle();
  EXPECT_EQ(server.stats().connections, 0U);
  EXPECT_EQ(server.stats().tls_failures, 1U);
  std::lock_guard lock(failures_.mu);
  ASSERT_EQ(failures_.remotes.size(), 1U);
  EXPECT_EQ(failures_.remotes[0], me);
  EXPECT_EQ(failures_.whys[0].category(), tls_category()) << failures_.whys[0].message();
  EXPECT_TRUE(failures_.in_handshake[0]);
}

TEST_P(TlsStreamHandlers, SilentClientIsCutAtTheHandshakeTimeout) {
  auto o = options();
  o.tls_handshake_timeout = 200ms;
  TlsHandlerServer server(o);
  ASSERT_NE(server.port(), 0);
  auto tcp = TcpStream::connect(*Endpoint::parse("127.0.0.1:" + std::to_string(server.port())),
                                Deadline::after(5s));
  ASSERT_TRUE(tcp) << tcp.error().message();
  const std::string me = tcp->local_endpoint()->to_string();
  const auto start = Clock::now();
  const std::string got = read_to_end(*tcp, Deadline::after(5s));
  const auto waited = Clock::now() - start;
  EXPECT_EQ(got, "");  // closed without a word, well before the client's own 5 s
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 3s);
  server.wait_idle();
  EXPECT_EQ(server.stats().tls_failures, 1U);
  std::lock_guard lock(failures_.mu);
  ASSERT_EQ(failures_.remotes.size(), 1U);
  EXPECT_EQ(failures_.remotes[0], me);
  EXPECT_EQ(failures_.whys[0], make_error_code(Errc::deadline_passed));
  EXPECT_TRUE(failures_.in_handshake[0]);
}

TEST_P(TlsStreamHandlers, DrainReachesAHandlerReadingTheTlsStream) {
  TlsHandlerServer server(options());
  ASSERT_NE(server.port(), 0);
  const auto deadline = Deadline::after(30s);
  auto tls = connect(server.port(), deadline);
  ASSERT_TRUE(tls) << tls.error().message();
  ASSERT_TRUE(send_all(*tls, std::string("ping\n"), deadline));
  std::array<std::byte, 5> echoed;
  ASSERT_TRUE(recv_exact(*tls, echoed, deadline));
  // The handler now waits in a TLS read: the drain's Errc::draining reaches it there.
  std::future<DrainReport> report =
      std::async(std::launch::async, [&] { return server.drain(10s); });
  EXPECT_EQ(read_to_end(*tls, deadline), "bye\n");
  const DrainReport r = report.get();
  EXPECT_EQ(r.cut, 0U);
  EXPECT_EQ(server.stats().tls_failures, 0U);
}

INSTANTIATE_TEST_SUITE_P(Models, TlsStreamHandlers,
                         ::testing::Values(Model::thread, Model::pool, Model::loop,
                                           Model::reactors),
                         [](const auto& p) { return std::string(model_name(p.param)); });

// Not a model question: the TLS handler form needs a context to accept with.
TEST(TlsStreamHandler, WithoutTlsOptionsIsInvalidArgument) {
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  auto server = Server::listen(**loop, *Endpoint::parse("127.0.0.1:0"), TlsStreamHandler(tls_echo),
                               ServerOptions{});
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error(), std::errc::invalid_argument);
  auto listener = TcpListener::bind(*Endpoint::parse("127.0.0.1:0"));
  ASSERT_TRUE(listener);
  UniqueFd fd(::dup(listener->fd()));
  auto created = Server::create(**loop, std::move(fd), TlsStreamHandler(tls_echo), ServerOptions{});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error(), std::errc::invalid_argument);
}

}  // namespace
}  // namespace sockit
