// The TLS engine against OpenSSL's own tools over loopback: our client vs `openssl s_server`,
// `openssl s_client` vs our server. A small blocking pump drives a TlsSession over a TcpStream.
#include <gtest/gtest.h>

#include <cstdlib>

#include "sockit/stream/tcp.hpp"
#include "sockit/tls/session.hpp"
#include "support/process.hpp"
#include "support/tls_test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::bytes_of;
using test::Process;
using tls_detail::MadeCertificate;
using tls_detail::make_certificate;

// A TlsSession over a blocking TcpStream, every call under one deadline.
struct TlsOverTcp {
  TcpStream tcp;
  TlsSession tls;
  Deadline deadline = Deadline::after(10s);

  Status flush() {
    std::byte chunk[16384];
    for (int i = 0; i < 10000 && tls.pending_output() > 0; ++i) {
      const std::size_t n = tls.take_output(chunk);
      for (std::size_t sent = 0; sent < n;) {
        auto w = tcp.write_some(std::span(chunk + sent, n - sent), deadline);
        if (!w) return fail(w.error());
        sent += *w;
      }
    }
    return {};
  }
  Status fill() {
    std::byte chunk[16384];
    auto r = tcp.read_some(chunk, deadline);
    if (!r) return fail(r.error());
    if (*r == 0) tls.feed_eof();
    if (tls.feed(std::span(chunk, *r)) != *r) return fail(TlsErrc::internal);  // small test data
    return {};
  }
  Status handshake() {
    for (int i = 0; i < 100; ++i) {
      auto progress = tls.handshake();
      if (auto sent = flush(); !sent) return sent;
      if (!progress) return fail(progress.error());
      if (*progress == TlsProgress::done) return {};
      if (auto got = fill(); !got) return got;
    }
    return fail(TlsErrc::internal);
  }
  Status write_all(std::string_view text) {
    for (int i = 0; i < 1000 && !text.empty(); ++i) {
      auto io = tls.write(bytes_of(text));
      if (!io) return fail(io.error());
      text.remove_prefix(io->bytes);
      if (auto sent = flush(); !sent) return sent;
    }
    return {};
  }
  /// Plaintext until `needle` shows up, the peer closes, or an error.
  Result<std::string> read_until(std::string_view needle) {
    std::string text;
    std::byte chunk[4096];
    for (int i = 0; i < 1000 && text.find(needle) == std::string::npos; ++i) {
      auto io = tls.read(chunk);
      if (auto sent = flush(); !sent) return fail(sent.error());
      if (!io) return fail(io.error());
      text.append(reinterpret_cast<const char*>(chunk), io->bytes);
      if (io->progress == TlsProgress::closed) break;
      if (io->progress == TlsProgress::want_input) {
        if (auto got = fill(); !got) return fail(got.error());
      }
    }
    return text;
  }
  Status close() {
    if (auto closed = tls.close(); !closed) return closed;
    return flush();
  }
};

struct Pki {
  test::ScratchDir dir;
  MadeCertificate ca = *make_certificate(
      {.common_name = "Test CA", .dns_names = {}, .ip_addresses = {}, .is_ca = true});
  MadeCertificate leaf = *make_certificate({.issuer = &ca});
  std::string ca_file = dir.write("ca.pem", ca.cert_pem);
  std::string cert_file = dir.write("cert.pem", leaf.cert_pem);
  std::string key_file = dir.write("key.pem", leaf.key_pem);
};

// `openssl s_server` on a kernel-chosen loopback port (it accepts port 0 and prints the port).
struct OpensslServer {
  Process process;
  int port = 0;
  OpensslServer(const Pki& pki, std::vector<std::string> extra)
      : process([&] {
          std::vector<std::string> argv{"openssl",     "s_server",   "-accept",
                                        "127.0.0.1:0", "-cert",      pki.cert_file,
                                        "-key",        pki.key_file, "-rev"};
          argv.insert(argv.end(), extra.begin(), extra.end());
          return argv;
        }()) {
    constexpr std::string_view kMarker = "ACCEPT 127.0.0.1:";
    if (process.wait_stdout(kMarker, 10000ms)) {
      process.wait_stdout("\n", 2000ms);
      port = std::atoi(process.out().c_str() + process.out().find(kMarker) + kMarker.size());
    }
  }
};

Result<TlsOverTcp> connect_tls(const TlsClientContext& ctx, int port, std::string_view host,
                               std::string_view cache_key = {}) {
  auto tcp = TcpStream::connect("127.0.0.1", std::to_string(port));
  if (!tcp) return fail(tcp.error());
  auto session = TlsSession::client(ctx, host, cache_key);
  if (!session) return fail(session.error());
  return TlsOverTcp{std::move(*tcp), std::move(*session)};
}

TEST(TlsOpenssl, ClientVerifiesAndTalksToSServer) {
  Pki pki;
  OpensslServer server(pki, {"-naccept", "1", "-alpn", "h2,http/1.1"});
  ASSERT_GT(server.port, 0) << server.process.out() << server.process.err();
  auto ctx = *TlsClientContext::create({.ca_file = pki.ca_file, .alpn = {"http/1.1"}});
  auto conn = connect_tls(ctx, server.port, "localhost");
  ASSERT_TRUE(conn.has_value()) << conn.error().message();
  auto shaken = conn->handshake();
  ASSERT_TRUE(shaken.has_value()) << shaken.error().message();
  EXPECT_EQ(conn->tls.protocol(), "TLSv1.3");
  EXPECT_EQ(conn->tls.alpn(), "http/1.1");
  EXPECT_EQ(conn->tls.peer_fingerprint(), pki.leaf.fingerprint);
  ASSERT_TRUE(conn->write_all("hello tls\n").has_value());
  auto reply = conn->read_until("\n");
  ASSERT_TRUE(reply.has_value()) << reply.error().message();
  EXPECT_EQ(*reply, "slt olleh\n");
  EXPECT_TRUE(conn->close().has_value());
}

TEST(TlsOpenssl, ClientRefusesSServerForAnotherName) {
  Pki pki;
  OpensslServer server(pki, {"-naccept", "1"});
  ASSERT_GT(server.port, 0) << server.process.out() << server.process.err();
  auto ctx = *TlsClientContext::create({.ca_file = pki.ca_file});
  auto conn = connect_tls(ctx, server.port, "db.internal.example");
  ASSERT_TRUE(conn.has_value());
  auto shaken = conn->handshake();
  ASSERT_FALSE(shaken.has_value());
  EXPECT_EQ(shaken.error(), tls_verify_error(62));
  EXPECT_EQ(shaken.error().message(), "certificate verification failed: hostname mismatch");
}

TEST(TlsOpenssl, ClientResumesWithSServer) {
  Pki pki;
  OpensslServer server(pki, {"-naccept", "2"});
  ASSERT_GT(server.port, 0) << server.process.out() << server.process.err();
  auto ctx = *TlsClientContext::create({.ca_file = pki.ca_file});
  for (int i = 0; i < 2; ++i) {
    auto conn = connect_tls(ctx, server.port, "localhost", "s_server");
    ASSERT_TRUE(conn.has_value());
    ASSERT_TRUE(conn->handshake().has_value());
    ASSERT_TRUE(conn->write_all("abc\n").has_value());
    EXPECT_EQ(conn->read_until("\n").value_or("?"), "cba\n");  // takes the tickets too
    EXPECT_EQ(conn->tls.resumed(), i == 1) << "connection " << i;
    ASSERT_TRUE(conn->close().has_value());
  }
}

TEST(TlsOpenssl, Tls12WithSServerUsesAnAeadSuiteAndResumes) {
  Pki pki;
  OpensslServer server(pki, {"-naccept", "2", "-tls1_2"});
  ASSERT_GT(server.port, 0) << server.process.out() << server.process.err();
  auto ctx = *TlsClientContext::create({.ca_file = pki.ca_file});
  for (int i = 0; i < 2; ++i) {
    auto conn = connect_tls(ctx, server.port, "localhost", "s_server");
    ASSERT_TRUE(conn.has_value());
    auto shaken = conn->handshake();
    ASSERT_TRUE(shaken.has_value()) << shaken.error().message();
    EXPECT_EQ(conn->tls.protocol(), "TLSv1.2");
    EXPECT_EQ(conn->tls.cipher(), "ECDHE-ECDSA-AES256-GCM-SHA384");
    EXPECT_EQ(conn->tls.resumed(), i == 1) << "connection " << i;
    ASSERT_TRUE(conn->write_all("12\n").has_value());
    EXPECT_EQ(conn->read_until("\n").value_or("?"), "21\n");
    ASSERT_TRUE(conn->close().has_value());
  }
}

// Our server session, driven over one accepted TCP connection.
struct OurServer {
  TcpListener listener = *TcpListener::bind(*Endpoint::parse("127.0.0.1:0"));
  int port = listener.local_endpoint()->port();

  Result<TlsOverTcp> accept(const TlsServerContext& ctx) {
    auto accepted = listener.accept(Deadline::after(10s));
    if (!accepted) return fail(accepted.error());
    return TlsOverTcp{std::move(accepted->stream), *TlsSession::server(ctx)};
  }
};

TEST(TlsOpenssl, SClientVerifiesOurGeneratedCertificate) {
  auto ctx = *TlsServerContext::create({.alpn = {"echo"}});
  test::ScratchDir dir;
  const auto cert_file = dir.write("gen.pem", ctx.certificate_pem());
  // Our fingerprint is the one OpenSSL prints.
  auto printed =
      test::run({"openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert_file});
  EXPECT_EQ(printed.out, "sha256 Fingerprint=" + ctx.fingerprint() + "\n");

  OurServer server;
  Process client({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(server.port),
                  "-CAfile", cert_file, "-verify_hostname", "localhost", "-verify_return_error",
                  "-alpn", "echo", "-quiet", "-no_ign_eof"});
  auto conn = server.accept(ctx);
  ASSERT_TRUE(conn.has_value()) << conn.error().message();
  auto shaken = conn->handshake();
  ASSERT_TRUE(shaken.has_value()) << shaken.error().message() << client.err();
  EXPECT_EQ(conn->tls.alpn(), "echo");
  ASSERT_TRUE(client.write_stdin("ping\n"));
  auto line = conn->read_until("\n");
  ASSERT_TRUE(line.has_value()) << line.error().message();
  EXPECT_EQ(*line, "ping\n");
  ASSERT_TRUE(conn->write_all("pong: " + *line).has_value());
  EXPECT_TRUE(client.wait_stdout("pong: ping\n", 10000ms)) << client.out() << client.err();
  client.close_stdin();  // -no_ign_eof: s_client sends close_notify and leaves
  auto rest = conn->read_until("never");
  ASSERT_TRUE(rest.has_value()) << rest.error().message();
  EXPECT_EQ(*rest, "");
  EXPECT_TRUE(conn->tls.peer_closed());
  EXPECT_EQ(client.wait(10000ms), 0) << client.err();
}

TEST(TlsOpenssl, SClientWithoutRequiredCertificateIsRefused) {
  Pki pki;
  auto ctx = *TlsServerContext::create(
      {.cert_file = pki.cert_file, .key_file = pki.key_file, .client_ca_file = pki.ca_file});
  OurServer server;
  Process client({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(server.port),
                  "-CAfile", pki.ca_file, "-quiet"});
  auto conn = server.accept(ctx);
  ASSERT_TRUE(conn.has_value());
  auto shaken = conn->handshake();
  ASSERT_FALSE(shaken.has_value());
  EXPECT_EQ(shaken.error().message(), "TLS error: peer did not return a certificate");
  client.close_stdin();
  EXPECT_TRUE(client.wait_stderr("certificate required", 10000ms)) << client.err();
  EXPECT_NE(client.wait(10000ms), 0);
}

TEST(TlsOpenssl, SClientRenegotiationIsRefused) {
  Pki pki;
  auto ctx = *TlsServerContext::create({.cert_file = pki.cert_file, .key_file = pki.key_file});
  OurServer server;
  // Without -quiet, s_client reads "R" on a line of its own as "renegotiate" (TLS 1.2 only).
  Process client({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(server.port),
                  "-tls1_2", "-CAfile", pki.ca_file});
  auto conn = server.accept(ctx);
  ASSERT_TRUE(conn.has_value());
  ASSERT_TRUE(conn->handshake().has_value());
  ASSERT_TRUE(client.write_stdin("R\n"));
  auto rest = conn->read_until("never");
  ASSERT_FALSE(rest.has_value()) << *rest;
  // We answered its ClientHello with the no_renegotiation alert; it gave up with a fatal alert.
  EXPECT_EQ(rest.error(), tls_alert_error(40));
  EXPECT_EQ(rest.error().message(), "the peer sent TLS alert: handshake failure");
  client.close_stdin();
  EXPECT_NE(client.wait(10000ms), 0);
  const std::string said = client.out() + client.err();
  EXPECT_NE(said.find("RENEGOTIATING\n"), std::string::npos) << said;
  EXPECT_NE(said.find(":SSL routines:ssl3_read_bytes:no renegotiation:"), std::string::npos)
      << said;
  EXPECT_NE(said.find("Compression: NONE\n"), std::string::npos) << said;
}

TEST(TlsOpenssl, SClientOfferingOnlyTls11IsRefused) {
  Pki pki;
  auto ctx = *TlsServerContext::create({.cert_file = pki.cert_file, .key_file = pki.key_file});
  OurServer server;
  Process client({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(server.port),
                  "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-quiet"});
  auto conn = server.accept(ctx);
  ASSERT_TRUE(conn.has_value());
  auto shaken = conn->handshake();
  ASSERT_FALSE(shaken.has_value());
  EXPECT_EQ(shaken.error().message(), "TLS error: unsupported protocol");
  EXPECT_NE(client.wait(10000ms), 0);
}

}  // namespace
}  // namespace sockit
