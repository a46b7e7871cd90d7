// The sans-I/O TLS engine: a client and a server session talking in memory.
#include <gtest/gtest.h>

#include "sockit/tls/session.hpp"
#include "support/tls_test_support.hpp"

namespace sockit {
namespace {

using test::bytes_of;
using test::handshake_pair;
using test::read_all;
using test::transfer;

// A private CA, a localhost certificate it signed, and a client trusting the CA.
struct Pki {
  test::ScratchDir dir;
  tls_detail::MadeCertificate ca = *tls_detail::make_certificate(
      {.common_name = "Test CA", .dns_names = {}, .ip_addresses = {}, .is_ca = true});
  tls_detail::MadeCertificate leaf = *tls_detail::make_certificate({.issuer = &ca});
  std::string ca_file = dir.write("ca.pem", ca.cert_pem);

  TlsServerContext server(TlsServerOptions options = {}) const {
    options.cert_pem = leaf.cert_pem;
    options.key_pem = leaf.key_pem;
    return *TlsServerContext::create(options);
  }
  TlsClientContext client(TlsClientOptions options = {}) const {
    options.ca_file = ca_file;
    return *TlsClientContext::create(options);
  }
};

TEST(TlsSession, HandshakeThenDataBothWays) {
  Pki pki;
  auto server_ctx = pki.server();
  auto client = *TlsSession::client(pki.client(), "localhost");
  auto server = *TlsSession::server(server_ctx);
  EXPECT_TRUE(client.is_client());
  EXPECT_FALSE(server.is_client());
  auto outcome = handshake_pair(client, server);
  ASSERT_TRUE(outcome.client.has_value()) << outcome.client.error().message();
  ASSERT_TRUE(outcome.server.has_value()) << outcome.server.error().message();
  EXPECT_TRUE(client.handshake_done());
  EXPECT_TRUE(server.handshake_done());
  EXPECT_EQ(client.protocol(), "TLSv1.3");
  EXPECT_EQ(client.cipher(), server.cipher());
  EXPECT_EQ(client.peer_fingerprint(), server_ctx.fingerprint());
  EXPECT_EQ(server.peer_fingerprint(), "");  // no client certificate asked for
  EXPECT_FALSE(client.resumed());

  auto sent = client.write(bytes_of("hello server"));
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->bytes, 12U);
  transfer(client, server);
  EXPECT_EQ(read_all(server), "hello server");
  ASSERT_TRUE(server.write(bytes_of("hello client")).has_value());
  transfer(server, client);
  EXPECT_EQ(read_all(client), "hello client");
}

TEST(TlsSession, ReadBeforeInputWantsInputAndNeverBlocks) {
  Pki pki;
  auto client = *TlsSession::client(pki.client(), "localhost");
  std::byte buffer[16];
  auto io = client.read(buffer);
  ASSERT_TRUE(io.has_value());
  EXPECT_EQ(io->bytes, 0U);
  EXPECT_EQ(io->progress, TlsProgress::want_input);
  EXPECT_GT(client.pending_output(), 0U);  // the ClientHello, ready to send
}

TEST(TlsSession, LargeTransferIsExactAndBufferedOutputIsBounded) {
  Pki pki;
  auto client = *TlsSession::client(pki.client(), "localhost");
  auto server = *TlsSession::server(pki.server());
  ASSERT_TRUE(handshake_pair(client, server).client.has_value());
  std::string payload(1 << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>(i * 7 % 251);
  std::string received;
  // The server takes at most kMaxBufferedInput unread bytes: read to make room.
  auto deliver = [&] {
    std::byte chunk[4096];
    for (int i = 0; i < 10000 && client.pending_output() > 0; ++i) {
      const std::size_t n = client.take_output(chunk);
      std::size_t fed = server.feed(std::span(chunk, n));
      for (int j = 0; j < 100 && fed < n; ++j) {
        received += read_all(server);
        fed += server.feed(std::span(chunk + fed, n - fed));
      }
      ASSERT_EQ(fed, n);
    }
    received += read_all(server);
  };
  std::size_t offset = 0;
  bool saw_want_output = false;
  for (int round = 0; round < 10000 && received.size() < payload.size(); ++round) {
    auto io = client.write(bytes_of(std::string_view(payload).substr(offset)));
    ASSERT_TRUE(io.has_value());
    offset += io->bytes;
    saw_want_output |= io->progress == TlsProgress::want_output;
    EXPECT_LE(client.pending_output(), 2 * TlsSession::kMaxBufferedOutput + 4096);
    if (io->progress == TlsProgress::want_output || offset == payload.size()) deliver();
  }
  EXPECT_TRUE(saw_want_output);
  EXPECT_EQ(received.size(), payload.size());
  EXPECT_TRUE(received == payload);
}

TEST(TlsSession, CloseNotifyIsACleanEnd) {
  Pki pki;
  auto client = *TlsSession::client(pki.client(), "localhost");
  auto server = *TlsSession::server(pki.server());
  ASSERT_TRUE(handshake_pair(client, server).client.has_value());
  ASSERT_TRUE(client.write(bytes_of("last words")).has_value());
  ASSERT_TRUE(client.close().has_value());
  transfer(client, server);
  server.feed_eof();  // the client also closed the TCP connection
  EXPECT_EQ(read_all(server), "last words");
  std::byte buffer[16];
  auto io = server.read(buffer);
  ASSERT_TRUE(io.has_value());
  EXPECT_EQ(io->progress, TlsProgress::closed);
  EXPECT_TRUE(server.peer_closed());
  EXPECT_FALSE(server.error());
  auto again = client.write(bytes_of("more"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error(), TlsErrc::session_closed);
  EXPECT_EQ(again.error().message(), "the TLS session is closed");
}

TEST(TlsSession, EofWithoutCloseNotifyIsTruncation) {
  Pki pki;
  auto client = *TlsSession::client(pki.client(), "localhost");
  auto server = *TlsSession::server(pki.server());
  ASSERT_TRUE(handshake_pair(client, server).client.has_value());
  ASSERT_TRUE(client.write(bytes_of("cut")).has_value());
  transfer(client, server);
  server.feed_eof();
  EXPECT_EQ(read_all(server), "cut");
  std::byte buffer[16];
  auto io = server.read(buffer);
  ASSERT_FALSE(io.has_value());
  EXPECT_EQ(io.error(), TlsErrc::truncated);
  EXPECT_EQ(io.error().message(),
            "the peer closed the connection without close_notify (truncated)");
  EXPECT_EQ(server.error(), TlsErrc::truncated);
  EXPECT_FALSE(server.peer_closed());
}

TEST(TlsSession, EofDuringHandshakeIsNamed) {
  Pki pki;
  auto server = *TlsSession::server(pki.server());
  server.feed_eof();
  auto result = server.handshake();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error(), TlsErrc::handshake_eof);
  EXPECT_EQ(result.error().message(), "the peer closed the connection during the TLS handshake");
}

TEST(TlsSession, ResumesWithTheSessionCache) {
  Pki pki;
  auto server_ctx = pki.server();
  auto client_ctx = pki.client();
  for (int i = 0; i < 2; ++i) {
    auto client = *TlsSession::client(client_ctx, "localhost", "localhost:443");
    auto server = *TlsSession::server(server_ctx);
    ASSERT_TRUE(handshake_pair(client, server).client.has_value());
    EXPECT_EQ(client.resumed(), i == 1) << "connection " << i;
    EXPECT_EQ(server.resumed(), i == 1) << "connection " << i;
    // TLS 1.3 tickets arrive after the handshake: the client takes them while reading.
    ASSERT_TRUE(server.write(bytes_of("x")).has_value());
    transfer(server, client);
    EXPECT_EQ(read_all(client), "x");
    EXPECT_EQ(client_ctx.cached_sessions(), 1U);
    ASSERT_TRUE(client.close().has_value());  // a cut connection's session is not resumed
  }
  // Another key (or another name) gets no session.
  auto other = *TlsSession::client(client_ctx, "localhost", "localhost:8443");
  auto server = *TlsSession::server(server_ctx);
  ASSERT_TRUE(handshake_pair(other, server).client.has_value());
  EXPECT_FALSE(other.resumed());
}

TEST(TlsSession, AlpnPicksTheServersPreference) {
  Pki pki;
  auto client = *TlsSession::client(pki.client({.alpn = {"h2", "http/1.1"}}), "localhost");
  auto server = *TlsSession::server(pki.server({.alpn = {"http/1.1", "h2"}}));
  ASSERT_TRUE(handshake_pair(client, server).client.has_value());
  EXPECT_EQ(client.alpn(), "http/1.1");
  EXPECT_EQ(server.alpn(), "http/1.1");
}

TEST(TlsSession, AlpnWithoutOverlapIsRefused) {
  Pki pki;
  auto client = *TlsSession::client(pki.client({.alpn = {"smtp"}}), "localhost");
  auto server = *TlsSession::server(pki.server({.alpn = {"h2"}}));
  auto outcome = handshake_pair(client, server);
  ASSERT_FALSE(outcome.server.has_value());
  EXPECT_EQ(outcome.server.error().message(), "TLS error: no application protocol");
  ASSERT_FALSE(outcome.client.has_value());
  EXPECT_EQ(outcome.client.error(), tls_alert_error(120));
  EXPECT_EQ(outcome.client.error().message(), "the peer sent TLS alert: no application protocol");
}

TEST(TlsSession, ClientCertificateRequiredAndGiven) {
  Pki pki;
  auto id = *tls_detail::make_certificate({.common_name = "client", .issuer = &pki.ca});
  auto client_ctx = pki.client({.cert_file = pki.dir.write("c.pem", id.cert_pem),
                                .key_file = pki.dir.write("k.pem", id.key_pem)});
  auto client = *TlsSession::client(client_ctx, "localhost");
  auto server = *TlsSession::server(pki.server({.client_ca_file = pki.ca_file}));
  auto outcome = handshake_pair(client, server);
  ASSERT_TRUE(outcome.server.has_value()) << outcome.server.error().message();
  EXPECT_EQ(server.peer_fingerprint(), id.fingerprint);
}

TEST(TlsSession, ClientCertificateRequiredAndMissing) {
  Pki pki;
  auto client = *TlsSession::client(pki.client(), "localhost");
  auto server = *TlsSession::server(pki.server({.client_ca_file = pki.ca_file}));
  auto outcome = handshake_pair(client, server);
  ASSERT_FALSE(outcome.server.has_value());
  EXPECT_EQ(outcome.server.error().message(), "TLS error: peer did not return a certificate");
  // TLS 1.3: the client learns it from the server's alert while reading.
  std::byte buffer[16];
  auto io = client.read(buffer);
  ASSERT_FALSE(io.has_value());
  EXPECT_EQ(io.error(), tls_alert_error(116));
  EXPECT_EQ(io.error().message(), "the peer sent TLS alert: certificate required");
}

TEST(TlsSession, ClientCertificateFromAnotherCaIsRefused) {
  Pki pki;
  auto stranger = *tls_detail::make_certificate(
      {.common_name = "Stranger CA", .dns_names = {}, .ip_addresses = {}, .is_ca = true});
  auto id = *tls_detail::make_certificate({.common_name = "client", .issuer = &stranger});
  auto client_ctx = pki.client({.cert_file = pki.dir.write("c.pem", id.cert_pem),
                                .key_file = pki.dir.write("k.pem", id.key_pem)});
  auto client = *TlsSession::client(client_ctx, "localhost");
  auto server = *TlsSession::server(pki.server({.client_ca_file = pki.ca_file}));
  auto outcome = handshake_pair(client, server);
  ASSERT_FALSE(outcome.server.has_value());
  EXPECT_EQ(outcome.server.error(), tls_verify_error(20));
  EXPECT_EQ(outcome.server.error().message(),
            "certificate verification failed: unable to get local issuer certificate");
  std::byte buffer[16];
  auto io = client.read(buffer);
  ASSERT_FALSE(io.has_value());
  EXPECT_EQ(io.error().message(), "the peer sent TLS alert: unknown CA");
}

TEST(TlsSession, GarbageInsteadOfClientHello) {
  Pki pki;
  auto server = *TlsSession::server(pki.server());
  EXPECT_EQ(server.feed(bytes_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), 27U);
  auto result = server.handshake();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message(), "TLS error: http request");
  EXPECT_EQ(result.error().category().name(), std::string("tls"));
  // Sticky: the session takes no more calls.
  EXPECT_EQ(server.handshake().error(), result.error());
}

TEST(TlsSession, FeedIsBounded) {
  Pki pki;
  auto server = *TlsSession::server(pki.server());
  std::string big(TlsSession::kMaxBufferedInput + 100, '\x16');
  EXPECT_EQ(server.feed(bytes_of(big)), TlsSession::kMaxBufferedInput);
  EXPECT_EQ(server.feed(bytes_of("x")), 0U);
}

}  // namespace
}  // namespace sockit
