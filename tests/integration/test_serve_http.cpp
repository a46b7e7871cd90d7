// `sockit serve http` on every model (issue 12, server): exact answers for files, directories,
// conditionals and ranges over a raw socket; curl keep-alive reuse; python's http.client on one
// connection; 16 pipelined requests in one write; a 1 MiB file byte-exact.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "serve_http_harness.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

const std::vector<std::string> kModels = {"thread", "pool", "loop", "reactors"};

std::string etag_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  char tag[64];
  std::snprintf(
      tag, sizeof tag, "\"%llx-%lx-%llx\"", static_cast<unsigned long long>(st.st_mtim.tv_sec),
      static_cast<unsigned long>(st.st_mtim.tv_nsec), static_cast<unsigned long long>(st.st_size));
  return tag;
}

std::string modified_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  std::tm tm{};
  ::gmtime_r(&st.st_mtim.tv_sec, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

std::string error_page(int status, const std::string& reason) {
  const std::string what = std::to_string(status) + " " + reason;
  return "<!DOCTYPE html>\n<html><head><title>" + what + "</title></head><body><h1>" + what +
         "</h1></body></html>\n";
}

class ServeHttp : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    root_.write("a.txt", "hello\n");
    root_.write("sub/index.html", "<p>idx</p>\n");
    root_.write("list/we<ird>&.txt", "x<y&\"z");
    root_.write("list/b.bin", std::string(1000, 'b'));
    root_.mkdir("list/dir");
    root_.write("list/.hidden", "h");
    server_ = start_http(root_.path(), GetParam());
    ASSERT_NE(server_.port, 0) << server_.process->err();
    port_ = server_.port;
  }
  std::string file(const std::string& rel) const { return root_.path() + "/" + rel; }
  std::string file_head(int status, const std::string& rel, const std::string& type,
                        std::size_t length, const std::string& extra = {}) const {
    return "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Partial Content") +
           "\r\nETag: " + etag_of(file(rel)) + "\r\nLast-Modified: " + modified_of(file(rel)) +
           "\r\nAccept-Ranges: bytes\r\n" + extra + "Server: sockit\r\nContent-Type: " + type +
           "\r\nConnection: close\r\nContent-Length: " + std::to_string(length) + "\r\n";
  }
  TempDir root_;
  ServeChild server_;
  int port_ = 0;
};

TEST_P(ServeHttp, FileHeadAndPlaintext) {
  auto r = fetch(port_, "/a.txt");
  EXPECT_EQ(r.head, file_head(200, "a.txt", "text/plain", 6));
  EXPECT_EQ(r.body, "hello\n");
  EXPECT_EQ(r.fields["date"].size(), 29U);
  // HEAD: the same head, no body (the connection closes right after the head).
  const auto raw = http_exchange(port_, request_text("/a.txt", {}, "HEAD"));
  EXPECT_EQ(raw.data.substr(raw.data.find("\r\nETag")),
            "\r\n" + file_head(200, "a.txt", "text/plain", 6).substr(17) + "\r\n");
  r = fetch(port_, "/plaintext");
  EXPECT_EQ(r.head,
            "HTTP/1.1 200 OK\r\nServer: sockit\r\nContent-Type: text/plain\r\nConnection: "
            "close\r\nContent-Length: 13\r\n");
  EXPECT_EQ(r.body, "Hello, World!");
}

TEST_P(ServeHttp, DirectoriesRedirectIndexAndListing) {
  auto r = fetch(port_, "/sub?x=1");
  EXPECT_EQ(r.head,
            "HTTP/1.1 301 Moved Permanently\r\nLocation: /sub/?x=1\r\nServer: sockit\r\n"
            "Content-Type: text/html\r\nConnection: close\r\nContent-Length: 0\r\n");
  r = fetch(port_, "/sub/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.fields["content-type"], "text/html");
  EXPECT_EQ(r.body, "<p>idx</p>\n");
  r = fetch(port_, "/list/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.fields["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(r.body,
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of /list/</title>"
            "</head>\n<body><h1>Index of /list/</h1>\n<ul>\n<li><a href=\"../\">../</a></li>\n"
            "<li><a href=\"b.bin\">b.bin</a> 1000</li>\n<li><a href=\"dir/\">dir/</a></li>\n"
            "<li><a href=\"we%3Cird%3E%26.txt\">we&lt;ird&gt;&amp;.txt</a> 6</li>\n"
            "</ul></body></html>\n");
}

TEST_P(ServeHttp, ErrorsWithExactPages) {
  auto r = fetch(port_, "/missing");
  EXPECT_EQ(r.head,
            "HTTP/1.1 404 Not Found\r\nServer: sockit\r\nContent-Type: text/html\r\nConnection: "
            "close\r\nContent-Length: 106\r\n");
  EXPECT_EQ(r.body, error_page(404, "Not Found"));
  r = fetch(port_, "/a.txt", {}, "POST");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.fields["allow"], "GET, HEAD");
  EXPECT_EQ(r.body, error_page(405, "Method Not Allowed"));
  r = fetch(port_, "/a.txt", {}, "BREW");
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(r.body, error_page(501, "Not Implemented"));
  EXPECT_EQ(fetch(port_, "/list/.hidden").status, 404);
}

TEST_P(ServeHttp, ConditionalsAndRanges) {
  const std::string tag = etag_of(file("a.txt")), when = modified_of(file("a.txt"));
  auto r = fetch(port_, "/a.txt", "If-None-Match: \"x\", " + tag + "\r\n");
  EXPECT_EQ(r.head, "HTTP/1.1 304 Not Modified\r\nETag: " + tag + "\r\nLast-Modified: " + when +
                        "\r\nServer: sockit\r\nConnection: close\r\n");
  EXPECT_EQ(fetch(port_, "/a.txt", "If-None-Match: \"other\"\r\n").status, 200);
  EXPECT_EQ(fetch(port_, "/a.txt", "If-Modified-Since: " + when + "\r\n").status, 304);
  EXPECT_EQ(fetch(port_, "/a.txt", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n").status,
            200);
  r = fetch(port_, "/a.txt", "Range: bytes=1-3\r\n");
  EXPECT_EQ(r.head, file_head(206, "a.txt", "text/plain", 3, "Content-Range: bytes 1-3/6\r\n"));
  EXPECT_EQ(r.body, "ell");
  EXPECT_EQ(fetch(port_, "/a.txt", "Range: bytes=-2\r\n").body, "o\n");
  EXPECT_EQ(fetch(port_, "/a.txt", "Range: bytes=4-\r\n").body, "o\n");
  r = fetch(port_, "/a.txt", "Range: bytes=6-\r\n");
  EXPECT_EQ(r.status, 416);
  EXPECT_EQ(r.fields["content-range"], "bytes */6");
  EXPECT_EQ(r.body, "");
  // If-Range that no longer matches: the whole file. Several ranges: the whole file too.
  r = fetch(port_, "/a.txt", "Range: bytes=1-3\r\nIf-Range: \"stale\"\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello\n");
  EXPECT_EQ(fetch(port_, "/a.txt", "Range: bytes=1-3\r\nIf-Range: " + tag + "\r\n").status, 206);
  EXPECT_EQ(fetch(port_, "/a.txt", "Range: bytes=0-0,2-3\r\n").status, 200);
}

TEST_P(ServeHttp, SixteenPipelinedRequestsInOneWrite) {
  std::string burst;
  std::vector<bool> bodiless;
  for (int i = 0; i < 16; ++i) {
    const std::string target = i % 2 == 0 ? "/plaintext" : "/a.txt?n=" + std::to_string(i);
    burst += "GET " + target + " HTTP/1.1\r\nHost: t\r\n" +
             (i == 15 ? "Connection: close\r\n" : "") + "\r\n";
  }
  const auto raw = http_exchange(port_, burst);
  const auto replies = split_replies(raw.data);
  ASSERT_EQ(replies.size(), 16U) << raw.data;
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(replies[static_cast<std::size_t>(i)].status, 200);
    EXPECT_EQ(replies[static_cast<std::size_t>(i)].body, i % 2 == 0 ? "Hello, World!" : "hello\n")
        << i;
  }
  EXPECT_TRUE(raw.eof);
}

TEST_P(ServeHttp, CurlReusesTheConnection) {
  const std::string base = "http://127.0.0.1:" + std::to_string(port_);
  const auto r = run({"curl", "-s", "-o", "/dev/null", "-o", "/dev/null", "-w",
                      "%{http_code}:%{num_connects} ", base + "/a.txt", base + "/plaintext"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "200:1 200:0 ");
}

TEST_P(ServeHttp, PythonHttpClientOnOneConnection) {
  const std::string script =
      "import http.client, sys\n"
      "c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=5)\n"
      "for m, p in [('GET', '/a.txt'), ('HEAD', '/a.txt'), ('GET', '/nope'), ('GET', "
      "'/plaintext')]:\n"
      "    c.request(m, p)\n"
      "    r = c.getresponse()\n"
      "    print(r.status, r.getheader('Content-Length'), repr(r.read()))\n"
      "print(c.sock is not None)\n";
  const auto r = run({"/usr/bin/python3", "-c", script, std::to_string(port_)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "200 6 b'hello\\n'\n200 6 b''\n404 106 b'"
            "<!DOCTYPE html>\\n<html><head><title>404 Not Found</title></head><body><h1>404 "
            "Not Found</h1></body></html>\\n'\n200 13 b'Hello, World!'\nTrue\n");
}

// Bigger than the inline limit: sent with sendfile. 1 MiB, and 24 MiB (far over the 4 MiB
// output limit, which file bytes do not count against) read slowly by curl.
TEST_P(ServeHttp, OneMebibyteFileIsByteExact) {
  std::string big(std::size_t{1} << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>((i * 2654435761U) >> 13);
  root_.write("big.bin", big);
  const std::string out = root_.path() + "/../" + std::to_string(::getpid()) + "-big.out";
  const auto r = run({"curl", "-s", "-o", out, "-w", "%{http_code} %{size_download}",
                      "http://127.0.0.1:" + std::to_string(port_) + "/big.bin"});
  EXPECT_EQ(r.out, "200 1048576");
  const auto a = run({"sha256sum", root_.path() + "/big.bin"});
  const auto b = run({"sha256sum", out});
  EXPECT_EQ(a.out.substr(0, 64), b.out.substr(0, 64));
  EXPECT_EQ(read_file(out), big);
  // A range from the middle goes through sendfile with an offset.
  const auto range = run({"curl", "-s", "-r", "1000-300999",
                          "http://127.0.0.1:" + std::to_string(port_) + "/big.bin"});
  EXPECT_EQ(range.out, big.substr(1000, 300000));
  std::string huge;
  for (int i = 0; i < 24; ++i)
    huge += big;
  root_.write("huge.bin", huge);
  const long base_kib = rss_kib(server_.process->pid());
  const auto h = run({"curl", "-s", "--limit-rate", "40M", "-o", out, "-w", "%{http_code}",
                      "http://127.0.0.1:" + std::to_string(port_) + "/huge.bin"});
  EXPECT_EQ(h.out, "200");
  EXPECT_TRUE(read_file(out) == huge);
  // Never the whole file in memory (growth, not the total: sanitizer builds start bigger).
  EXPECT_LT(rss_kib(server_.process->pid()) - base_kib, 12 * 1024);
  std::remove(out.c_str());
}

// A download that takes longer than the keep-alive timeout (plus the 2 s linger of a close)
// is not idle while it progresses. The client keeps its receive buffer small (no autotuning)
// and reads about 4 MB/s, so the server is still sending when the timeout would strike.
TEST_P(ServeHttp, LongDownloadOutlivesTheKeepAliveTimeout) {
  server_ = {};
  server_ = start_http(root_.path(), GetParam(),
                       {"--keepalive-timeout", "1", "--output-limit", "262144"});
  ASSERT_NE(server_.port, 0);
  root_.write("slow.bin", std::string(std::size_t{16} << 20, 's'));
  const std::string script =
      "import socket, sys, time\n"
      "s = socket.socket()\n"
      "s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)\n"
      "s.connect(('127.0.0.1', int(sys.argv[1])))\n"
      "s.sendall(b'GET /slow.bin HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n')\n"
      "n, start = 0, time.time()\n"
      "while time.time() - start < 20:\n"
      "    d = s.recv(65536)\n"
      "    if not d: break\n"
      "    n += len(d)\n"
      "    if n >= 16 * 1048576 + 100: break\n"
      "    time.sleep(0.015)\n"
      "print(n > 16 * 1048576, round(time.time() - start) >= 3)\n";
  const auto r = run({"/usr/bin/python3", "-c", script, std::to_string(server_.port)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "True True\n");
}

INSTANTIATE_TEST_SUITE_P(Models, ServeHttp, ::testing::ValuesIn(kModels),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace sockit::test
