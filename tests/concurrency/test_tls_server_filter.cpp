// The TLS server filter (tls/connection_filter.hpp inside Connection) on every model, driven by
// several client threads at once: echo of 64 KiB per connection, and HTTPS downloads whose file
// goes through the filter in chunks (Connection::send_file). The integration tests check the
// same paths through the tool; these run in-process so that tsan (the concurrency label) sees
// the server's threads, the shared TlsServerContext and the per-thread filter areas.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "sockit/services/http.hpp"
#include "sockit/services/services.hpp"
#include "sockit/stream/io.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/tls/stream.hpp"
#include "support/server_fixture.hpp"
#include "support/tls_test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

constexpr int kClients = 4;
constexpr int kRounds = 3;

// Everything until the server's close_notify; an error's message otherwise.
template <typename S>
std::string read_to_end(S& tls, Deadline deadline) {
  std::string got;
  std::array<std::byte, 16384> chunk;
  for (;;) {
    auto n = tls.read_some(chunk, deadline);
    if (!n) return "error: " + n.error().message();
    if (*n == 0) return got;
    got.append(reinterpret_cast<const char*>(chunk.data()), *n);
  }
}

class TlsServerFilter : public ::testing::TestWithParam<Model> {
 protected:
  ServerOptions options() const {
    ServerOptions o;
    o.model = GetParam();
    o.threads = GetParam() == Model::pool ? 4 : 2;
    o.tls = server_ctx_;
    return o;
  }
  // Runs `client(i, round)` on kClients threads, kRounds times each; every call must return "".
  template <typename F>
  void run_clients(F client) {
    std::vector<std::string> failures(kClients * kRounds);
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) {
      threads.emplace_back([&, c] {
        for (int r = 0; r < kRounds; ++r)
          failures[static_cast<std::size_t>(c * kRounds + r)] = client(c, r);
      });
    }
    for (auto& t : threads)
      t.join();
    for (const auto& f : failures)
      EXPECT_EQ(f, "");
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
};

TEST_P(TlsServerFilter, EchoFromManyThreadsIsExact) {
  auto service = make_echo_service();
  test::ServerThread server(*service, options());
  ASSERT_NE(server.port(), 0);
  run_clients([&](int c, int r) -> std::string {
    const auto deadline = Deadline::after(30s);
    auto tls = connect(server.port(), deadline);
    if (!tls) return "connect: " + tls.error().message();
    const std::string data = test::pattern(64 * 1024, static_cast<std::uint32_t>(c * 10 + r));
    if (auto sent = send_all(*tls, data, deadline); !sent) return "send: " + sent.error().message();
    if (auto closed = tls->shutdown(ShutdownHow::write, deadline); !closed)
      return "shutdown: " + closed.error().message();
    const std::string got = read_to_end(*tls, deadline);
    return got == data ? "" : "echo differs: " + std::to_string(got.size()) + " bytes back";
  });
  for (int i = 0; i < 200 && server.stats().connections != 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server.stats().connections, 0U);
  EXPECT_EQ(server.stats().tls_failures, 0U);
}

TEST_P(TlsServerFilter, HttpsFilesFromManyThreadsAreExact) {
  const std::string big = test::pattern(std::size_t{1} << 20, 5);
  HttpServiceOptions http;
  http.root = std::filesystem::path(dir_.write("big.bin", big)).parent_path().string();
  http.log_format = HttpLogFormat::none;
  auto service = make_http_service(http);
  ASSERT_TRUE(service) << service.error().message();
  test::ServerThread server(**service, options());
  ASSERT_NE(server.port(), 0);
  run_clients([&](int, int) -> std::string {
    const auto deadline = Deadline::after(30s);
    auto tls = connect(server.port(), deadline);
    if (!tls) return "connect: " + tls.error().message();
    const std::string req = "GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    if (auto sent = send_all(*tls, req, deadline); !sent) return "send: " + sent.error().message();
    const std::string got = read_to_end(*tls, deadline);
    const auto body = got.find("\r\n\r\n");
    if (!got.starts_with("HTTP/1.1 200 OK\r\n") || body == std::string::npos)
      return "bad reply: " + got.substr(0, 80);
    return got.substr(body + 4) == big ? "" : "body differs";
  });
}

INSTANTIATE_TEST_SUITE_P(Models, TlsServerFilter,
                         ::testing::Values(Model::thread, Model::pool, Model::loop,
                                           Model::reactors),
                         [](const auto& p) { return std::string(model_name(p.param)); });

}  // namespace
}  // namespace sockit
