// `sockit http` against a scripted server that misbehaves on purpose (http_misbehave.py):
// every framing, the 1xx skip, redirects and their rules, and each broken answer's exact
// error line and exit code.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli_http_support.hpp"

namespace sockit::test {
namespace {

class CliHttp : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(server.port(), 0) << "the scripted server did not start"; }
  std::string prefix() const { return "sockit: GET " + server.url(""); }
  MisbehavingServer server;
};

TEST_F(CliHttp, ChunkedBodyWithTrailers) {
  auto r = sockit_http({server.url("/chunked")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello world");
  EXPECT_EQ(r.err, "");
}

TEST_F(CliHttp, InterimResponsesAreSkipped) {
  auto r = sockit_http({"-v", server.url("/continue")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "final");
  EXPECT_NE(r.err.find("< HTTP/1.1 100 Continue\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("< HTTP/1.1 200 OK\n"), std::string::npos) << r.err;
}

TEST_F(CliHttp, CloseDelimitedBody) {
  auto r = sockit_http({server.url("/close")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "until the end");
}

TEST_F(CliHttp, RedirectLoopStopsAtMaxRedirs) {
  auto r = sockit_http({"-L", "--max-redirs", "3", "-w", "%{num_redirects}", server.url("/loop")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "3");
  EXPECT_EQ(r.err, "sockit: " + server.url("/loop") + ": maximum (3) redirects followed\n");
}

TEST_F(CliHttp, CredentialsGoOnlyToTheFirstHost) {
  const std::string port = std::to_string(server.port());
  auto other =
      sockit_http({"-L", "-u", "u:p", "-H", "X-Next: http://other.test:" + port + "/auth",
                   "--resolve", "other.test:" + port + ":127.0.0.1", server.url("/cross")});
  EXPECT_EQ(other.exit_code, 0) << other.err;
  EXPECT_EQ(other.out, "auth=-");
  auto same = sockit_http(
      {"-L", "-u", "u:p", "-H", "X-Next: " + server.url("/auth"), server.url("/cross")});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(same.out, "auth=Basic dTpw");
}

TEST_F(CliHttp, PostBecomesGetOn303And301ButNot307) {
  EXPECT_EQ(sockit_http({"-L", "-d", "a=b", server.url("/post303")}).out, "GET 0");
  EXPECT_EQ(sockit_http({"-L", "-d", "a=b", server.url("/post301")}).out, "GET 0");
  EXPECT_EQ(sockit_http({"-L", "-d", "a=b", server.url("/post307")}).out, "POST 3");
  EXPECT_EQ(sockit_http({server.url("/post303")}).out, "");  // without -L: not followed
}

TEST_F(CliHttp, TruncatedBodyIsPartialAndKept) {
  const std::string file = ::testing::TempDir() + "sockit_http_truncated.out";
  auto r = sockit_http({"-o", file, server.url("/truncated")});
  EXPECT_EQ(r.exit_code, 18);
  EXPECT_EQ(r.err, prefix() +
                       "/truncated (500 of 1000 body bytes received): connection closed before "
                       "the body was complete\n");
  EXPECT_EQ(std::filesystem::file_size(file), 500U);
  std::filesystem::remove(file);
}

TEST_F(CliHttp, ChunkedBodyCutShortIsPartial) {
  auto r = sockit_http({server.url("/cutchunk")});
  EXPECT_EQ(r.exit_code, 18);
  EXPECT_EQ(r.out, "abcd");
  EXPECT_EQ(r.err, prefix() +
                       "/cutchunk (4 body bytes received): connection closed before the body was "
                       "complete\n");
}

TEST_F(CliHttp, BrokenChunkSizeIsAnError) {
  auto r = sockit_http({server.url("/badchunk")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "abcd");
  EXPECT_EQ(r.err, prefix() + "/badchunk (4 body bytes received): invalid chunk size\n");
}

TEST_F(CliHttp, OverlongHeaderIsRefused) {
  auto r = sockit_http({server.url("/longheader")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, prefix() + "/longheader: header section too large\n");
}

TEST_F(CliHttp, MalformedStatusLineIsRefused) {
  auto r = sockit_http({server.url("/badstatus")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, prefix() + "/badstatus: malformed status line\n");
}

TEST_F(CliHttp, MaxTimeFiresOnAStallMidBody) {
  const auto start = std::chrono::steady_clock::now();
  auto r = sockit_http({"-m", "1", server.url("/stall")});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.out, std::string(100, 's'));
  EXPECT_EQ(r.err, prefix() +
                       "/stall (100 of 1000 body bytes received): the deadline passed before the "
                       "operation finished (no answer within the time allowed)\n");
  EXPECT_LT(took, std::chrono::seconds(4));
}

TEST_F(CliHttp, HeadWithContentLengthDoesNotWait) {
  const auto start = std::chrono::steady_clock::now();
  auto r = sockit_http({"-I", "-m", "5", server.url("/headlen")});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n");
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST_F(CliHttp, CompressedGzipAndDeflate) {
  std::string squeezed, deflated;
  for (int i = 0; i < 1000; ++i)
    squeezed += "squeezed ", deflated += "deflated ";
  auto g = sockit_http({"--compressed", "-w", "%{size_download}", server.url("/gzip")});
  EXPECT_EQ(g.exit_code, 0) << g.err;
  ASSERT_GT(g.out.size(), squeezed.size());
  EXPECT_EQ(g.out.substr(0, squeezed.size()), squeezed);
  EXPECT_LT(std::stoul(g.out.substr(squeezed.size())), squeezed.size());  // compressed bytes
  auto d = sockit_http({"--compressed", server.url("/deflate")});
  EXPECT_EQ(d.out, deflated);
}

TEST_F(CliHttp, UploadsAreByteExact) {
  const std::string file = ::testing::TempDir() + "sockit_http_upload.bin";
  std::string content;
  for (std::size_t i = 0; i < 300000; ++i)
    content += static_cast<char>((i * 7919) % 256);  // unsigned: int overflowed (UBSan)
  std::ofstream(file, std::ios::binary) << content;
  auto put = sockit_http({"-T", file, "-i", server.url("/echo")});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_NE(put.out.find("X-Method: PUT\r\n"), std::string::npos);
  EXPECT_TRUE(put.out.ends_with(content));
  auto post = sockit_http({"--data-binary", "@" + file, server.url("/echo")});
  EXPECT_EQ(post.out, content);
  std::filesystem::remove(file);
}

TEST_F(CliHttp, FailGivesExit22AndNoBody) {
  auto r = sockit_http({"-f", server.url("/nowhere")});
  EXPECT_EQ(r.exit_code, 22);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, prefix() + "/nowhere: the server answered 404 Not Found\n");
  auto quiet = sockit_http({"-sf", server.url("/nowhere")});
  EXPECT_EQ(quiet.exit_code, 22);
  EXPECT_EQ(quiet.err, "");
}

TEST_F(CliHttp, RequestHeadersFromTheOptions) {
  const std::string host = "Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n";
  auto plain = sockit_http({server.url("/headers")});
  EXPECT_TRUE(plain.out.starts_with(host + "User-Agent: sockit/")) << plain.out;
  EXPECT_TRUE(plain.out.ends_with("\r\nAccept: */*\r\n")) << plain.out;
  auto custom = sockit_http({"-A", "probe/1", "-H", "Accept:", "-H", "X-Empty;", "-H", "X-A: 1",
                             "-H", "X-A: 2", "-u", "u:p", server.url("/headers")});
  EXPECT_EQ(custom.out, host +
                            "User-Agent: probe/1\r\nX-Empty: \r\nX-A: 1\r\nX-A: 2\r\n"
                            "Authorization: Basic dTpw\r\n");
  auto bad = sockit_http({"-H", "no colon", server.url("/headers")});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "sockit: -H 'no colon': not 'Name: value'\n");
}

TEST_F(CliHttp, RemoteNameAndResolve) {
  const std::string dir = ::testing::TempDir() + "sockit_http_O";
  std::filesystem::create_directories(dir);
  const std::string port = std::to_string(server.port());
  auto r = run({"/bin/sh", "-c",
                "cd " + dir + " && exec " + sockit_bin() + " http -O --resolve named.test:" + port +
                    ":127.0.0.1 http://named.test:" + port + "/chunked"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir + "/chunked", std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "hello world");
  std::filesystem::remove_all(dir);
}

TEST(CliHttpErrors, RefusedConnectionIsExit4) {
  // A bound socket that never listens: its port refuses connections while the test holds it.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const std::string port = std::to_string(ntohs(a.sin_port));
  auto r = sockit_http({"http://127.0.0.1:" + port + "/"});
  ::close(fd);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "sockit: cannot connect to 127.0.0.1 port " + port +
                       ": Connection refused (nothing listens on that port)\n");
}

TEST_F(CliHttp, BadUrlIsAUsageError) {
  auto r = sockit_http({"ftp://127.0.0.1/"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: invalid URL 'ftp://127.0.0.1/': Protocol not supported\n");
}

}  // namespace
}  // namespace sockit::test
