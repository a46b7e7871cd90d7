// `sockit serve http --ssl` on every model: files that would go out with sendfile(2) in plain
// HTTP are read in chunks and passed through the TLS filter instead. Real clients (curl and
// python's ssl module) verify the server against the test's CA; bodies are compared byte for
// byte, and a response that ends the connection must end with close_notify after the last file
// byte (a client that insists on close_notify sees no truncation).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "serve_http_harness.hpp"
#include "serve_tls_support.hpp"

namespace sockit::test {
namespace {

const std::vector<std::string> kModels = {"thread", "pool", "loop", "reactors"};

class ServeHttps : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    big_ = pattern(std::size_t{3} << 20, 11);  // far over the 32 KiB inline limit
    root_.write("big.bin", big_);
    root_.write("small.txt", "small file\n");
    server_ = start_tls_serve(pki_, "http", GetParam(), {"--root", root_.path(), "--quiet"});
    ASSERT_GT(server_.port, 0) << "serve did not start: " << server_.process->err();
  }
  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(server_.port) + path;
  }

  ServePki pki_;
  TempDir root_, out_;  // served files; what clients wrote
  std::string big_;
  ServeChild server_;
};

TEST_P(ServeHttps, CurlDownloadsTwoFilesOnOneConnectionByteExact) {
  const std::string out1 = out_.path() + "/1.out", out2 = out_.path() + "/2.out";
  const auto r = run({"curl", "-s", "--cacert", pki_.ca_file, "-w", "%{http_code} %{num_connects};",
                      "-o", out1, url("/big.bin"), "-o", out2, url("/small.txt")},
                     {}, Ms(60000));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // The second transfer reused the first connection (no new connect) after a whole file.
  EXPECT_EQ(r.out, "200 1;200 0;");
  EXPECT_TRUE(read_file(out1) == big_);
  EXPECT_EQ(read_file(out2), "small file\n");
}

TEST_P(ServeHttps, HeadOfALargeFileHasNoBody) {
  const auto r =
      run({"curl", "-s", "-I", "--cacert", pki_.ca_file, url("/big.bin")}, {}, Ms(30000));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Content-Length: 3145728\r\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(r.out.size() - 4), "\r\n\r\n");  // the head only
}

// Three pipelined requests in one write: a large file, a small one, and the large one again
// with Connection: close. Everything the server sent after the first file waited behind it;
// the close_notify came after the last file byte, so python (which treats an EOF without
// close_notify as an error here) reads a clean end.
constexpr std::string_view kPipelinedClient = R"py(import socket, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
                    server_hostname="localhost", suppress_ragged_eofs=False)
req = b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n"
req += b"GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n"
req += b"GET /big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
s.sendall(req)
data = bytearray()
while True:
    try:
        b = s.recv(1 << 16)
    except ssl.SSLEOFError as e:
        sys.stdout.buffer.write(bytes(data))
        sys.stderr.write("EOF without close_notify: %s\n" % e)
        sys.exit(3)
    if not b:
        break
    data += b
sys.stdout.buffer.write(bytes(data))
)py";

TEST_P(ServeHttps, PipelinedFilesThenCloseEndWithCloseNotify) {
  const std::string script = pki_.dir.write("pipelined.py", kPipelinedClient);
  const auto r =
      run({"/usr/bin/python3", script, std::to_string(server_.port), pki_.ca_file}, {}, Ms(60000));
  ASSERT_EQ(r.exit_code, 0) << r.err << server_.process->err();
  const auto replies = split_replies(r.out);
  ASSERT_EQ(replies.size(), 3U) << r.out.size();
  EXPECT_EQ(replies[0].status, 200);
  EXPECT_TRUE(replies[0].body == big_);
  EXPECT_EQ(replies[1].body, "small file\n");
  EXPECT_TRUE(replies[2].body == big_);
  EXPECT_EQ(replies[2].fields.at("connection"), "close");
  // Nothing after the last response.
  std::size_t total = 0;
  for (const auto& reply : replies)
    total += reply.body.size();
  EXPECT_LT(r.out.size() - total, 3 * 512U);
}

// A file that shrank after its length was promised cannot be answered whole: the server
// closes without close_notify, and curl reports the transfer as cut short (exit 18 or 56),
// never a complete-looking shorter file.
TEST_P(ServeHttps, FileTruncatedAfterTheHeadIsNotPassedOffAsWhole) {
  const std::string out = out_.path() + "/t.out";
  // 40 MiB so that the response is still going out when the file shrinks under it.
  root_.write("shrinks.bin", std::string(std::size_t{40} << 20, 'x'));
  Process curl({"curl", "-s", "--limit-rate", "20M", "--cacert", pki_.ca_file, "-o", out,
                url("/shrinks.bin")});
  for (int i = 0; i < 100 && ::access(out.c_str(), F_OK) != 0; ++i)
    ::usleep(20'000);
  ::usleep(200'000);
  ASSERT_EQ(::truncate((root_.path() + "/shrinks.bin").c_str(), 1 << 20), 0);
  const int code = curl.wait(Ms(60000));
  EXPECT_TRUE(code == 18 || code == 56) << code << " " << curl.err();
}

INSTANTIATE_TEST_SUITE_P(Models, ServeHttps, ::testing::ValuesIn(kModels),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace sockit::test
