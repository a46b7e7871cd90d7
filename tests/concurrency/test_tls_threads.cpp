// TLS contexts are shared by threads (context.hpp: "safe to make sessions from several threads
// at once"): several threads serve TlsStreams made from one TlsServerContext while several
// others connect with one TlsClientContext and one resumption key, so its session cache is
// taken from and filled concurrently. Every exchange must come back exact; under tsan (the
// concurrency label) this is also the data-race check for the contexts and the cache.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "sockit/stream/io.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/tls/stream.hpp"
#include "support/tls_test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

constexpr int kThreads = 4;
constexpr int kRounds = 3;

// One clean exchange as a server: a line in, "pong <line>" out, then both close_notifys.
Status serve_one(TcpListener& listener, const TlsServerContext& ctx) {
  const auto deadline = Deadline::after(30s);
  auto accepted = listener.accept(deadline);
  if (!accepted) return fail(accepted.error());
  auto tls = tls_accept(std::move(accepted->stream), ctx, deadline);
  if (!tls) return fail(tls.error());
  Buffer in;
  auto line = recv_until(*tls, in, "\n", 100, deadline);
  if (!line) return fail(line.error());
  if (auto sent = send_all(*tls, "pong " + std::string(*line) + "\n", deadline); !sent) return sent;
  std::array<std::byte, 8> tail;
  auto end = tls->read_some(tail, deadline);
  if (!end) return fail(end.error());
  if (*end != 0) return fail(Errc::closed_early);
  return tls->shutdown(ShutdownHow::write, deadline);
}

// The client side; the reply (or the error's message) and whether the session was resumed.
std::string talk_once(const Endpoint& at, const TlsClientContext& ctx, const std::string& name,
                      bool& resumed) {
  const auto deadline = Deadline::after(30s);
  auto tcp = TcpStream::connect(at, deadline);
  if (!tcp) return tcp.error().message();
  auto tls = tls_connect(std::move(*tcp), ctx, "localhost", deadline, "shared-key");
  if (!tls) return tls.error().message();
  resumed = tls->resumed();
  if (auto sent = send_all(*tls, name + "\n", deadline); !sent) return sent.error().message();
  Buffer in;
  auto line = recv_until(*tls, in, "\n", 100, deadline);
  if (!line) return line.error().message();
  std::string reply(*line);
  if (auto closed = tls->shutdown(ShutdownHow::write, deadline); !closed)
    return closed.error().message();
  std::array<std::byte, 8> tail;
  auto end = tls->read_some(tail, deadline);  // the server's close_notify: the session is kept
  if (!end || *end != 0) return "no close_notify";
  return reply;
}

TEST(TlsThreads, SharedContextsServeAndResumeFromManyThreads) {
  auto server_ctx = *TlsServerContext::create({});
  test::ScratchDir dir;
  auto client_ctx =
      *TlsClientContext::create({.ca_file = dir.write("ca.pem", server_ctx.certificate_pem())});
  auto listener = *TcpListener::bind(*Endpoint::parse("127.0.0.1:0"));
  const Endpoint at = *listener.local_endpoint();

  std::vector<Status> served(kThreads * kRounds);
  std::vector<std::string> replies(kThreads * kRounds);
  std::atomic<int> resumed_count{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r)
        served[static_cast<std::size_t>(t * kRounds + r)] = serve_one(listener, server_ctx);
    });
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        bool resumed = false;
        const std::string name = "client" + std::to_string(t) + "." + std::to_string(r);
        replies[static_cast<std::size_t>(t * kRounds + r)] =
            talk_once(at, client_ctx, name, resumed);
        if (resumed) ++resumed_count;
      }
    });
  }
  for (auto& th : threads)
    th.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int r = 0; r < kRounds; ++r) {
      const auto i = static_cast<std::size_t>(t * kRounds + r);
      EXPECT_TRUE(served[i].has_value()) << served[i].error().message();
      EXPECT_EQ(replies[i], "pong client" + std::to_string(t) + "." + std::to_string(r));
    }
  }
  // A clean close stores a ticket and the next connection to start takes it, so once one
  // connection has closed, some later one must resume (the first of each thread may not).
  EXPECT_GE(resumed_count.load(), 1);
  EXPECT_LE(resumed_count.load(), kThreads * kRounds - 1);
}

}  // namespace
}  // namespace sockit
