// The blocking TlsStream<S> (tls/stream.hpp) over TCP and Unix streams: against `openssl
// s_server` / `s_client` and python's ssl module, stream/io.hpp's complete I/O over it, 16 MiB
// each way with half-close, truncation, the handshake deadline and garbage instead of a
// ClientHello.
#include <gtest/gtest.h>

#include <thread>

#include "sockit/stream/io.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/stream/unix.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/tls/stream.hpp"
#include "support/process.hpp"
#include "support/tls_test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::Process;

static_assert(ByteStream<TlsStream<TcpStream>>);
static_assert(ByteStream<TlsStream<UnixStream>>);

constexpr std::size_t kBulk = 16 * 1024 * 1024;

TlsServerContext server_context(const test::TestPki& pki) {
  return *TlsServerContext::create({.cert_pem = pki.leaf.cert_pem, .key_pem = pki.leaf.key_pem});
}

struct Loopback {
  TcpListener listener = *TcpListener::bind(*Endpoint::parse("127.0.0.1:0"));
  int port = listener.local_endpoint()->port();
  TcpStream connect() const {
    return *TcpStream::connect(*Endpoint::parse("127.0.0.1:" + std::to_string(port)));
  }
};

// Reads until read_some gives 0 (close_notify) or fails; the error, if any, in `error`.
std::string read_to_end(auto& stream, std::error_code& error, Deadline deadline) {
  std::string all;
  std::array<std::byte, 65536> buf;
  for (int i = 0; i < 100000; ++i) {
    auto n = stream.read_some(buf, deadline);
    if (!n) {
      error = n.error();
      break;
    }
    if (*n == 0) break;
    all.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  return all;
}

TEST(TlsStream, ClientTalksToOpensslSServerThroughRecvUntil) {
  test::TestPki pki;
  Process server({"openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", pki.cert_file, "-key",
                  pki.key_file, "-naccept", "1", "-rev"});
  ASSERT_TRUE(server.wait_stdout("ACCEPT 127.0.0.1:", 10000ms)) << server.err();
  ASSERT_TRUE(server.wait_stdout("\n", 2000ms));
  const int port = test::port_after(server.out(), "ACCEPT ");
  auto ctx = *TlsClientContext::create({.ca_file = pki.ca_file});
  const auto deadline = Deadline::after(10s);
  auto tcp = TcpStream::connect(*Endpoint::parse("127.0.0.1:" + std::to_string(port)), deadline);
  ASSERT_TRUE(tcp.has_value()) << tcp.error().message();
  auto tls = tls_connect(std::move(*tcp), ctx, "localhost", deadline);
  ASSERT_TRUE(tls.has_value()) << tls.error().message();
  EXPECT_EQ(tls->protocol(), "TLSv1.3");
  EXPECT_EQ(tls->peer_fingerprint(), pki.leaf.fingerprint);
  EXPECT_FALSE(tls->resumed());
  ASSERT_TRUE(send_all(*tls, "hello tls\n", deadline).has_value());
  Buffer in;
  auto line = recv_until(*tls, in, "\n", 100, deadline);
  ASSERT_TRUE(line.has_value()) << line.error().message();
  EXPECT_EQ(*line, "slt olleh");
  EXPECT_TRUE(tls->shutdown(ShutdownHow::write, deadline).has_value());
  EXPECT_EQ(server.wait(10000ms), 0) << server.err();
}

TEST(TlsStream, ClientTalksToPythonSslAndSeesItsCloseNotify) {
  test::TestPki pki;
  const auto script = pki.dir.write("server.py", test::kPythonLineServer);
  Process server({"/usr/bin/python3", script, pki.cert_file, pki.key_file});
  ASSERT_TRUE(server.wait_stdout("\n", 10000ms)) << server.err();
  const int port = test::port_after(server.out(), "PORT ");
  auto ctx = *TlsClientContext::create({.ca_file = pki.ca_file});
  const auto deadline = Deadline::after(10s);
  auto tcp = TcpStream::connect(*Endpoint::parse("127.0.0.1:" + std::to_string(port)), deadline);
  ASSERT_TRUE(tcp.has_value());
  auto tls = tls_connect(std::move(*tcp), ctx, "localhost", deadline);
  ASSERT_TRUE(tls.has_value()) << tls.error().message();
  ASSERT_TRUE(send_all(*tls, "hi\n", deadline).has_value());
  std::error_code error;
  EXPECT_EQ(read_to_end(*tls, error, deadline), "python says: hi\n");
  EXPECT_FALSE(error) << error.message();
  EXPECT_TRUE(tls->peer_closed());
  // After close_notify a read keeps giving 0, and our own close_notify still goes out.
  std::array<std::byte, 16> more;
  EXPECT_EQ(tls->read_some(more, deadline).value_or(99), 0U);
  EXPECT_TRUE(tls->shutdown(ShutdownHow::write, deadline).has_value());
  EXPECT_TRUE(server.wait_stdout("DONE TLSv1.3\n", 10000ms)) << server.out() << server.err();
  EXPECT_EQ(server.wait(10000ms), 0) << server.err();
}

TEST(TlsStream, ServerAnswersOpensslSClient) {
  test::TestPki pki;
  auto ctx = server_context(pki);
  Loopback net;
  Process client({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(net.port),
                  "-CAfile", pki.ca_file, "-verify_hostname", "localhost", "-verify_return_error",
                  "-quiet", "-no_ign_eof"});
  const auto deadline = Deadline::after(10s);
  auto accepted = net.listener.accept(deadline);
  ASSERT_TRUE(accepted.has_value());
  auto tls = tls_accept(std::move(accepted->stream), ctx, deadline);
  ASSERT_TRUE(tls.has_value()) << tls.error().message() << client.err();
  ASSERT_TRUE(client.write_stdin("ping\n"));
  Buffer in;
  auto line = recv_until(*tls, in, "\n", 100, deadline);
  ASSERT_TRUE(line.has_value()) << line.error().message();
  EXPECT_EQ(*line, "ping");
  ASSERT_TRUE(send_all(*tls, "pong\n", deadline).has_value());
  EXPECT_TRUE(client.wait_stdout("pong\n", 10000ms)) << client.err();
  client.close_stdin();  // -no_ign_eof: s_client sends close_notify and leaves
  std::array<std::byte, 16> buf;
  EXPECT_EQ(tls->read_some(buf, deadline).value_or(99), 0U);
  EXPECT_EQ(client.wait(10000ms), 0) << client.err();
}

TEST(TlsStream, ServerAnswersPythonSslClient) {
  test::TestPki pki;
  auto ctx = server_context(pki);
  Loopback net;
  const auto script = pki.dir.write("client.py", test::kPythonLineClient);
  Process client({"/usr/bin/python3", script, std::to_string(net.port), pki.ca_file});
  const auto deadline = Deadline::after(10s);
  auto accepted = net.listener.accept(deadline);
  ASSERT_TRUE(accepted.has_value());
  auto tls = tls_accept(std::move(accepted->stream), ctx, deadline);
  ASSERT_TRUE(tls.has_value()) << tls.error().message() << client.err();
  Buffer in;
  auto line = recv_until(*tls, in, "\n", 100, deadline);
  ASSERT_TRUE(line.has_value()) << line.error().message();
  EXPECT_EQ(*line, "hello from python");
  ASSERT_TRUE(send_all(*tls, "echo: " + std::string(*line) + "\n", deadline).has_value());
  std::array<std::byte, 16> buf;
  EXPECT_EQ(tls->read_some(buf, deadline).value_or(99), 0U);  // python's unwrap()
  EXPECT_TRUE(tls->shutdown(ShutdownHow::write, deadline).has_value());
  EXPECT_EQ(client.wait(10000ms), 0) << client.err();
  EXPECT_EQ(client.out(), "echo: hello from python\nCLOSED TLSv1.3\n");
}

// Both sides in this process: the client sends 16 MiB and close_notify, the server reads all of
// it to the close_notify and only then sends its own 16 MiB back (half-close).
template <class S>
void bulk_half_close(S client_side, S server_side) {
  auto server_ctx = *TlsServerContext::create({});
  test::ScratchDir dir;
  auto client_ctx =
      *TlsClientContext::create({.ca_file = dir.write("ca.pem", server_ctx.certificate_pem())});
  const std::string up = test::pattern(kBulk, 1);
  const std::string down = test::pattern(kBulk, 2);
  const auto deadline = Deadline::after(60s);
  std::string got_up;
  std::error_code server_error;
  std::thread server([&] {
    auto tls = tls_accept(std::move(server_side), server_ctx, deadline);
    if (!tls) {
      server_error = tls.error();
      return;
    }
    got_up = read_to_end(*tls, server_error, deadline);
    if (server_error) return;
    if (auto sent = send_all(*tls, down, deadline); !sent) server_error = sent.error();
    if (auto closed = tls->shutdown(ShutdownHow::write, deadline); !closed) {
      server_error = closed.error();
    }
  });
  auto tls = tls_connect(std::move(client_side), client_ctx, "localhost", deadline);
  ASSERT_TRUE(tls.has_value()) << tls.error().message();
  ASSERT_TRUE(send_all(*tls, up, deadline).has_value());
  ASSERT_TRUE(tls->shutdown(ShutdownHow::write, deadline).has_value());
  std::string got_down(kBulk, '\0');
  auto received = recv_exact(*tls, std::as_writable_bytes(std::span(got_down)), deadline);
  std::array<std::byte, 16> tail;
  auto end = tls->read_some(tail, deadline);
  server.join();
  ASSERT_TRUE(received.has_value()) << received.error().message();
  EXPECT_EQ(end.value_or(99), 0U);
  EXPECT_FALSE(server_error) << server_error.message();
  EXPECT_EQ(got_up.size(), kBulk);
  EXPECT_TRUE(got_up == up);
  EXPECT_TRUE(got_down == down);
}

TEST(TlsStream, SixteenMiBEachWayWithHalfCloseOverTcp) {
  Loopback net;
  TcpStream client = net.connect();
  auto accepted = net.listener.accept(Deadline::after(10s));
  ASSERT_TRUE(accepted.has_value());
  bulk_half_close(std::move(client), std::move(accepted->stream));
}

TEST(TlsStream, SixteenMiBEachWayWithHalfCloseOverUnix) {
  auto pair = UnixStream::pair();
  ASSERT_TRUE(pair.has_value());
  bulk_half_close(std::move(pair->first), std::move(pair->second));
}

TEST(TlsStream, EofWithoutCloseNotifyIsTruncated) {
  auto server_ctx = *TlsServerContext::create({});
  auto client_ctx = *TlsClientContext::create({.pin_sha256 = server_ctx.fingerprint()});
  Loopback net;
  const auto deadline = Deadline::after(10s);
  std::thread server([&] {
    auto accepted = net.listener.accept(deadline);
    if (!accepted) return;
    auto tls = tls_accept(std::move(accepted->stream), server_ctx, deadline);
    if (!tls) return;
    (void)send_all(*tls, "partial", deadline);
    (void)tls->next_layer().shutdown(ShutdownHow::write);  // FIN, no close_notify
  });
  auto tls = tls_connect(net.connect(), client_ctx, "localhost", deadline);
  ASSERT_TRUE(tls.has_value()) << tls.error().message();
  std::error_code error;
  EXPECT_EQ(read_to_end(*tls, error, deadline), "partial");
  server.join();
  EXPECT_EQ(error, TlsErrc::truncated) << error.message();
  EXPECT_FALSE(tls->peer_closed());
}

TEST(TlsStream, SilentClientFailsTheHandshakeAtItsDeadline) {
  auto ctx = *TlsServerContext::create({});
  Loopback net;
  TcpStream silent = net.connect();
  auto accepted = net.listener.accept(Deadline::after(10s));
  ASSERT_TRUE(accepted.has_value());
  const auto start = Clock::now();
  auto tls = tls_accept(std::move(accepted->stream), ctx, Deadline::after(300ms));
  const auto waited = Clock::now() - start;
  ASSERT_FALSE(tls.has_value());
  EXPECT_EQ(tls.error(), Errc::deadline_passed) << tls.error().message();
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 3s);
}

TEST(TlsStream, GarbageInsteadOfClientHelloIsATlsErrorAndLeaksNothing) {
  auto ctx = *TlsServerContext::create({});
  const auto before = count_open_fds();
  ASSERT_TRUE(before.has_value());
  {
    Loopback net;
    TcpStream client = net.connect();
    ASSERT_TRUE(send_all(client, "GARBAGE GARBAGE GARBAGE GARBAGE\r\n", Deadline::after(5s)));
    auto accepted = net.listener.accept(Deadline::after(10s));
    ASSERT_TRUE(accepted.has_value());
    auto tls = tls_accept(std::move(accepted->stream), ctx, Deadline::after(10s));
    ASSERT_FALSE(tls.has_value());
    EXPECT_EQ(&tls.error().category(), &tls_category());
    EXPECT_EQ(tls.error().message(), "TLS error: wrong version number");
  }
  EXPECT_EQ(count_open_fds().value_or(-1), *before);
}

TEST(TlsStream, UnderlyingErrorsPassThroughUnchanged) {
  auto server_ctx = *TlsServerContext::create({});
  auto client_ctx = *TlsClientContext::create({.pin_sha256 = server_ctx.fingerprint()});
  auto pair = UnixStream::pair();
  ASSERT_TRUE(pair.has_value());
  { UnixStream gone = std::move(pair->second); }  // the peer is closed before the ClientHello
  auto tls = tls_connect(std::move(pair->first), client_ctx, "localhost", Deadline::after(10s));
  ASSERT_FALSE(tls.has_value());
  EXPECT_EQ(tls.error(), std::error_code(EPIPE, std::system_category())) << tls.error().message();
}

TEST(TlsStream, ReadDeadlineAfterTheHandshakeIsDeadlinePassed) {
  auto server_ctx = *TlsServerContext::create({});
  auto client_ctx = *TlsClientContext::create({.pin_sha256 = server_ctx.fingerprint()});
  auto pair = UnixStream::pair();
  ASSERT_TRUE(pair.has_value());
  const auto deadline = Deadline::after(10s);
  std::thread server([&] {
    auto tls = tls_accept(std::move(pair->second), server_ctx, deadline);
    std::array<std::byte, 16> buf;
    if (tls) (void)tls->read_some(buf, deadline);  // until the client's close_notify
  });
  auto tls = tls_connect(std::move(pair->first), client_ctx, "localhost", deadline);
  ASSERT_TRUE(tls.has_value()) << tls.error().message();
  std::array<std::byte, 16> buf;
  auto n = tls->read_some(buf, Deadline::after(200ms));
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error(), Errc::deadline_passed) << n.error().message();
  EXPECT_TRUE(tls->shutdown(ShutdownHow::write, deadline).has_value());
  server.join();
}

}  // namespace
}  // namespace sockit
