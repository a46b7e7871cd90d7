// `sockit bench --ssl`: the load engine's TLS sessions against `sockit serve echo --ssl`, with a
// test CA (verified) and with the throwaway certificate (refused without -k, accepted with it).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "serve_tls_support.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

using Json = nlohmann::json;

struct BenchRun {
  int exit_code = -1;
  Json json;
  std::string err;
};

// `sockit bench tcp 127.0.0.1 PORT <extra...>`, with --json when asked.
BenchRun bench(int port, std::vector<std::string> extra, bool json = true) {
  std::vector<std::string> argv{sockit_bin(), "bench", "tcp", "127.0.0.1", std::to_string(port)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  if (json) argv.emplace_back("--json");
  auto r = run(argv, {}, milliseconds(20000));
  BenchRun out;
  out.exit_code = r.exit_code;
  out.err = r.err;
  if (json) out.json = Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  return out;
}

std::vector<std::string> verified(const ServePki& pki, std::vector<std::string> extra) {
  std::vector<std::string> args = {"--ssl", "--cacert", pki.ca_file, "--ssl-servername",
                                   "localhost"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

void expect_exact(const BenchRun& r, std::uint64_t requests, int conns) {
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(r.json.is_discarded());
  EXPECT_EQ(r.json["connected_count"].get<int>(), conns);
  EXPECT_EQ(r.json["requests"].get<std::uint64_t>(), requests);
  EXPECT_EQ(r.json["responses"].get<std::uint64_t>(), requests);
  EXPECT_EQ(r.json["responses_verified"].get<std::uint64_t>(), requests);
  EXPECT_EQ(r.json["bytes_received"].get<std::uint64_t>(), requests * 64);
  EXPECT_EQ(r.json["errors"]["total"].get<std::uint64_t>(), 0u);
}

// A server with the throwaway certificate (self-signed, not in any trust store).
ServeChild throwaway_serve() {
  return start_serve({"echo", "127.0.0.1", "0", "--ssl"});
}

TEST(BenchTls, VerifiedEchoCountsEveryRequest) {
  ServePki pki;
  auto serve = start_tls_serve(pki, "echo", "loop");
  ASSERT_GT(serve.port, 0) << serve.process->err();
  auto r = bench(serve.port, verified(pki, {"--conns", "10", "--requests", "2000"}));
  expect_exact(r, 2000, 10);
}

TEST(BenchTls, PipelinedEchoCountsEveryRequest) {
  ServePki pki;
  auto serve = start_tls_serve(pki, "echo", "loop");
  ASSERT_GT(serve.port, 0) << serve.process->err();
  auto r =
      bench(serve.port, verified(pki, {"--conns", "4", "--pipeline", "32", "--requests", "40000"}));
  expect_exact(r, 40000, 4);
}

TEST(BenchTls, BulkEchoesEveryByteVerified) {
  ServePki pki;
  auto serve = start_tls_serve(pki, "echo", "loop");
  ASSERT_GT(serve.port, 0) << serve.process->err();
  auto r = bench(serve.port, verified(pki, {"--bulk", "--requests", "64", "--size", "65536"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json["mode"], "bulk");
  EXPECT_EQ(r.json["bytes_sent"].get<std::uint64_t>(), 64u * 65536u);
  EXPECT_EQ(r.json["bytes_received"].get<std::uint64_t>(), 64u * 65536u);
  EXPECT_EQ(r.json["errors"]["total"].get<std::uint64_t>(), 0u);
  EXPECT_GT(r.json["mb_per_sec"].get<double>(), 0.0);
}

TEST(BenchTls, OpenLoopOverTwoThreadsAnswersEveryRequest) {
  ServePki pki;
  auto serve = start_tls_serve(pki, "echo", "loop");
  ASSERT_GT(serve.port, 0) << serve.process->err();
  auto r = bench(serve.port, verified(pki, {"--threads", "2", "--conns", "4", "--rate", "4000",
                                            "--duration", "0.5"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto requests = r.json["requests"].get<std::uint64_t>();
  EXPECT_NEAR(static_cast<double>(requests), 2000.0, 200.0);
  EXPECT_EQ(r.json["responses"].get<std::uint64_t>(), requests);
  EXPECT_EQ(r.json["responses_verified"].get<std::uint64_t>(), requests);
  EXPECT_EQ(r.json["connected_count"].get<int>(), 4);
  EXPECT_EQ(r.json["errors"]["total"].get<std::uint64_t>(), 0u);
}

TEST(BenchTls, UnverifiableCertificateFailsWithTheTlsExitCode) {
  auto serve = throwaway_serve();
  ASSERT_GT(serve.port, 0) << serve.process->err();
  auto r = bench(serve.port, {"--ssl", "--conns", "3", "--requests", "10"}, false);
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(r.err, "sockit: TLS handshake with 127.0.0.1:" + std::to_string(serve.port) +
                       ": certificate verification failed: self-signed certificate (the "
                       "server's certificate is self-signed: trust it with --cacert FILE or "
                       "--pin-sha256 FP, or -k to skip verification)\n");
}

TEST(BenchTls, InsecureAcceptsTheThrowawayCertificateAndWarns) {
  auto serve = throwaway_serve();
  ASSERT_GT(serve.port, 0) << serve.process->err();
  auto r = bench(serve.port, {"--ssl", "-k", "--conns", "5", "--requests", "500"});
  expect_exact(r, 500, 5);
  EXPECT_EQ(r.err,
            "sockit: warning: -k: the server's certificate and name are not checked; anyone on "
            "the path can read and change the data\n");
}

TEST(BenchTls, TlsOptionsNeedSslAndTcp) {
  auto no_ssl = bench(1, {"-k", "--requests", "1"}, false);
  EXPECT_EQ(no_ssl.exit_code, 2);
  EXPECT_NE(no_ssl.err.find("-k/--insecure is a TLS option: add --ssl"), std::string::npos)
      << no_ssl.err;
  auto udp = run({sockit_bin(), "bench", "udp", "127.0.0.1", "1", "--ssl", "--requests", "1"}, {},
                 milliseconds(10000));
  EXPECT_EQ(udp.exit_code, 2);
  EXPECT_NE(udp.err.find("--ssl is for TCP; 'bench udp' has no TLS (no DTLS)"), std::string::npos)
      << udp.err;
}

}  // namespace
}  // namespace sockit::test
