// AsyncTlsStream (tls/async_stream.hpp) on the event loop: a coroutine client against python's
// ssl module, a coroutine echo server (start_server + tls_accept) for python and for our own
// client with a reader and a writer task side by side (16 MiB each way, half-close),
// truncation, the handshake deadline and the complete-I/O calls over it.
#include <gtest/gtest.h>

#include "sockit/async/async.hpp"
#include "sockit/server/async_server.hpp"
#include "sockit/stream/stream.hpp"
#include "sockit/tls/async_stream.hpp"
#include "support/process.hpp"
#include "support/tls_test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::Process;

static_assert(AsyncByteStream<AsyncTlsStream>);

constexpr std::size_t kBulk = 16 * 1024 * 1024;

Endpoint loopback(int port) {
  return *Endpoint::parse("127.0.0.1:" + std::to_string(port));
}

// Echoes every byte until the client's close_notify, then closes its own side the same way.
// `outcome` gets the first error (or stays empty).
Task<void> tls_echo(AsyncStream s, const TlsServerContext& ctx, std::error_code& outcome) {
  auto tls = co_await tls_accept(std::move(s), ctx, Deadline::after(10s));
  if (!tls) {
    outcome = tls.error();
    co_return;
  }
  std::vector<std::byte> buf(65536);
  for (int i = 0; i < 100000; ++i) {
    auto n = co_await tls->read_some(buf, Deadline::after(30s));
    if (!n) {
      outcome = n.error();
      co_return;
    }
    if (*n == 0) break;
    if (auto sent = co_await tls->send_all(std::span(buf).first(*n)); !sent) {
      outcome = sent.error();
      co_return;
    }
  }
  if (auto closed = co_await tls->shutdown(ShutdownHow::write, Deadline::after(10s)); !closed) {
    outcome = closed.error();
  }
}

// Reads to close_notify (or an error, returned in `error`).
Task<std::string> read_to_end(AsyncTlsStream& tls, std::error_code& error) {
  std::string all;
  std::vector<std::byte> buf(65536);
  for (int i = 0; i < 100000; ++i) {
    auto n = co_await tls.read_some(buf, Deadline::after(30s));
    if (!n) {
      error = n.error();
      break;
    }
    if (*n == 0) break;
    all.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  co_return all;
}

TEST(TlsAsync, ClientTalksToPythonSsl) {
  test::TestPki pki;
  const auto script = pki.dir.write("server.py", test::kPythonLineServer);
  Process server({"/usr/bin/python3", script, pki.cert_file, pki.key_file});
  ASSERT_TRUE(server.wait_stdout("\n", 10000ms)) << server.err();
  const int port = test::port_after(server.out(), "PORT ");
  auto ctx = *TlsClientContext::create({.ca_file = pki.ca_file});
  auto loop = *EventLoop::create();
  auto said = run_until_complete(*loop, [&]() -> Task<std::string> {
    auto tcp = co_await AsyncStream::connect(*loop, loopback(port), Deadline::after(10s));
    if (!tcp) co_return "connect: " + tcp.error().message();
    auto tls = co_await tls_connect(std::move(*tcp), ctx, "localhost", Deadline::after(10s));
    if (!tls) co_return "handshake: " + tls.error().message();
    if (tls->protocol() != "TLSv1.3" || tls->peer_fingerprint() != pki.leaf.fingerprint)
      co_return "summary: " + tls->protocol() + " " + tls->peer_fingerprint();
    if (!co_await tls->send_all("abc\n")) co_return "send failed";
    auto line = co_await tls->recv_until("\n", 100, Deadline::after(10s));
    if (!line) co_return "recv_until: " + line.error().message();
    std::string text(*line);
    std::array<std::byte, 8> rest;
    auto end = co_await tls->read_some(rest, Deadline::after(10s));  // python's close_notify
    if (!end || *end != 0) co_return "no close_notify";
    if (!co_await tls->shutdown(ShutdownHow::write, Deadline::after(10s))) co_return "shutdown";
    co_return text;
  }());
  ASSERT_TRUE(said.has_value());
  EXPECT_EQ(*said, "python says: abc");
  EXPECT_EQ(server.wait(10000ms), 0) << server.err();
  EXPECT_EQ(server.out().substr(server.out().find('\n') + 1), "DONE TLSv1.3\n");
}

TEST(TlsAsync, EchoServerServesPythonSsl) {
  test::TestPki pki;
  auto ctx =
      *TlsServerContext::create({.cert_pem = pki.leaf.cert_pem, .key_pem = pki.leaf.key_pem});
  auto loop = *EventLoop::create();
  std::error_code outcome;
  bool finished = false;
  auto server = start_server(*loop, loopback(0), [&](AsyncStream s) -> Task<void> {
    co_await tls_echo(std::move(s), ctx, outcome);
    finished = true;
  });
  ASSERT_TRUE(server.has_value());
  const auto script = pki.dir.write("client.py", test::kPythonLineClient);
  Process client({"/usr/bin/python3", script, std::to_string(server->port()), pki.ca_file});
  ASSERT_TRUE(run_until_complete(*loop, [&]() -> Task<void> {
    for (int i = 0; i < 2000 && !finished; ++i)
      co_await sleep(*loop, 10ms);
  }()));
  EXPECT_TRUE(finished);
  EXPECT_FALSE(outcome) << outcome.message();
  EXPECT_EQ(client.wait(10000ms), 0) << client.err();
  EXPECT_EQ(client.out(), "hello from python\nCLOSED TLSv1.3\n");
}

TEST(TlsAsync, SixteenMiBEachWayThroughTheEchoServerWithHalfClose) {
  auto server_ctx = *TlsServerContext::create({});
  test::ScratchDir dir;
  auto client_ctx =
      *TlsClientContext::create({.ca_file = dir.write("ca.pem", server_ctx.certificate_pem())});
  auto loop = *EventLoop::create();
  std::error_code server_outcome;
  auto server = start_server(*loop, loopback(0), [&](AsyncStream s) -> Task<void> {
    co_await tls_echo(std::move(s), server_ctx, server_outcome);
  });
  ASSERT_TRUE(server.has_value());
  const std::string up = test::pattern(kBulk, 7);
  std::string down;
  std::error_code read_error;
  std::error_code write_error;
  auto ran = run_until_complete(*loop, [&]() -> Task<void> {
    auto tcp = co_await AsyncStream::connect(*loop, loopback(server->port()));
    if (!tcp) co_return;
    auto tls = co_await tls_connect(std::move(*tcp), client_ctx, "localhost", Deadline::after(10s));
    if (!tls) co_return;
    // The writer runs as its own task while this one reads: the echo comes back meanwhile.
    TaskSet writers;
    bool written = false;
    writers.spawn([](AsyncTlsStream& t, const std::string& data, std::error_code& e,
                     bool& done) -> Task<void> {
      if (auto sent = co_await t.send_all(data, Deadline::after(60s)); !sent) e = sent.error();
      if (auto closed = co_await t.shutdown(ShutdownHow::write, Deadline::after(10s)); !closed)
        e = closed.error();
      done = true;
    }(*tls, up, write_error, written));
    down = co_await read_to_end(*tls, read_error);
    for (int i = 0; i < 1000 && !written; ++i)
      co_await sleep(*loop, 10ms);
  }());
  ASSERT_TRUE(ran);
  EXPECT_FALSE(write_error) << write_error.message();
  EXPECT_FALSE(read_error) << read_error.message();
  EXPECT_FALSE(server_outcome) << server_outcome.message();
  EXPECT_EQ(down.size(), kBulk);
  EXPECT_TRUE(down == up);
}

TEST(TlsAsync, EofWithoutCloseNotifyIsTruncated) {
  auto server_ctx = *TlsServerContext::create({});
  auto client_ctx = *TlsClientContext::create({.pin_sha256 = server_ctx.fingerprint()});
  auto loop = *EventLoop::create();
  auto server = start_server(*loop, loopback(0), [&](AsyncStream s) -> Task<void> {
    auto tls = co_await tls_accept(std::move(s), server_ctx, Deadline::after(10s));
    if (!tls) co_return;
    (void)co_await tls->send_all("partial\nline");
    (void)co_await tls->next_layer().shutdown(ShutdownHow::write);  // FIN, no close_notify
  });
  ASSERT_TRUE(server.has_value());
  std::error_code error;
  std::string line;
  ASSERT_TRUE(run_until_complete(*loop, [&]() -> Task<void> {
    auto tcp = co_await AsyncStream::connect(*loop, loopback(server->port()));
    if (!tcp) co_return;
    auto tls = co_await tls_connect(std::move(*tcp), client_ctx, "localhost", Deadline::after(10s));
    if (!tls) co_return;
    auto first = co_await tls->recv_until("\n", 100, Deadline::after(10s));
    if (first) line = *first;
    auto second = co_await tls->recv_until("\n", 100, Deadline::after(10s));
    if (!second) error = second.error();
  }()));
  EXPECT_EQ(line, "partial");
  EXPECT_EQ(error, TlsErrc::truncated) << error.message();
}

TEST(TlsAsync, SilentClientFailsTheHandshakeAtItsDeadline) {
  auto ctx = *TlsServerContext::create({});
  auto loop = *EventLoop::create();
  std::error_code outcome;
  Clock::duration waited{};
  bool finished = false;
  auto server = start_server(*loop, loopback(0), [&](AsyncStream s) -> Task<void> {
    const auto start = Clock::now();
    auto tls = co_await tls_accept(std::move(s), ctx, Deadline::after(300ms));
    waited = Clock::now() - start;
    if (!tls) outcome = tls.error();
    finished = true;
  });
  ASSERT_TRUE(server.has_value());
  ASSERT_TRUE(run_until_complete(*loop, [&]() -> Task<void> {
    auto silent = co_await AsyncStream::connect(*loop, loopback(server->port()));
    for (int i = 0; i < 500 && !finished; ++i)
      co_await sleep(*loop, 10ms);
  }()));
  ASSERT_TRUE(finished);
  EXPECT_EQ(outcome, Errc::deadline_passed) << outcome.message();
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 3s);
}

TEST(TlsAsync, RecvExactTakesWhatRecvUntilReadAhead) {
  auto server_ctx = *TlsServerContext::create({});
  auto client_ctx = *TlsClientContext::create({.pin_sha256 = server_ctx.fingerprint()});
  auto loop = *EventLoop::create();
  auto server = start_server(*loop, loopback(0), [&](AsyncStream s) -> Task<void> {
    auto tls = co_await tls_accept(std::move(s), server_ctx, Deadline::after(10s));
    if (!tls) co_return;
    (void)co_await tls->send_all("HEAD\r\nbody-bytes");
    (void)co_await tls->shutdown(ShutdownHow::write, Deadline::after(10s));
  });
  ASSERT_TRUE(server.has_value());
  auto got = run_until_complete(*loop, [&]() -> Task<std::string> {
    auto tcp = co_await AsyncStream::connect(*loop, loopback(server->port()));
    if (!tcp) co_return "connect";
    auto tls = co_await tls_connect(std::move(*tcp), client_ctx, "localhost", Deadline::after(10s));
    if (!tls) co_return "handshake";
    auto head = co_await tls->recv_until("\r\n", 100, Deadline::after(10s));
    if (!head) co_return head.error().message();
    std::string out(*head);
    out += "|" + std::to_string(tls->buffered()) + "|";
    std::string body(10, '\0');
    if (!co_await tls->recv_exact(std::as_writable_bytes(std::span(body)))) co_return "exact";
    std::array<std::byte, 4> rest;
    auto tail = co_await tls->recv_exact(rest);
    co_return out + body + "|" + (tail ? "ok" : tail.error().message());
  }());
  ASSERT_TRUE(got.has_value());
  // recv_until read the body with the head; the end after it is a clean one (close_notify).
  EXPECT_EQ(*got, "HEAD|10|body-bytes|" + make_error_code(Errc::end_of_stream).message());
}

TEST(TlsAsync, EmptyStreamFailsWithEbadfLikeAsyncStream) {
  auto loop = *EventLoop::create();
  auto codes = run_until_complete(*loop, []() -> Task<std::string> {
    AsyncTlsStream empty;
    AsyncStream plain;
    std::array<std::byte, 4> buf;
    auto tls_read = co_await empty.read_some(buf);
    auto plain_read = co_await plain.read_some(buf);
    auto line = co_await empty.recv_until("\n", 10);
    auto closed = co_await empty.shutdown(ShutdownHow::write);
    co_return tls_read.error().message() + "|" + plain_read.error().message() + "|" +
        line.error().message() + "|" + closed.error().message() + "|" +
        (empty.valid() ? "valid" : "empty") + "|" + empty.protocol();
  }());
  ASSERT_TRUE(codes.has_value());
  const std::string ebadf = std::error_code(EBADF, std::system_category()).message();
  EXPECT_EQ(*codes, ebadf + "|" + ebadf + "|" + ebadf + "|" + ebadf + "|empty|");
}

}  // namespace
}  // namespace sockit
