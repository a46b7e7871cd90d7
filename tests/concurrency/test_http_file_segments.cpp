// How a sendfile(2) reply leaves the server, on every model: the header goes out in one TCP
// segment with the file's first bytes (Connection::send_file's head, held with MSG_MORE), never
// in a small segment of its own, which costs the client a wakeup and keeps its receive window
// small (the 1 MiB file ran at 0.8x nginx before). The bytes stay exact: full file, a range, a
// HEAD (no body, no file), pipelined answers. Segments are counted on the client socket
// (TCP_INFO tcpi_data_segs_in: segments that carried data), after each whole reply arrived.
#include <gtest/gtest.h>
#include <linux/tcp.h>
#include <sys/socket.h>

#include <filesystem>
#include <string>

#include "sockit/services/http.hpp"
#include "support/server_fixture.hpp"
#include "support/tls_test_support.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kFileBytes = 1000;  // one small segment: header and body fit in it

// Data-carrying segments that arrived on `fd` so far, or -1.
long data_segments_in(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return -1;
  return static_cast<long>(info.tcpi_data_segs_in);
}

// The reply's header (up to and including the blank line) without its Date field, whose value
// changes every second.
std::string head_without_date(const std::string& reply) {
  std::string head = reply.substr(0, reply.find("\r\n\r\n") + 4);
  const auto at = head.find("Date: ");
  if (at != std::string::npos) head.erase(at, head.find("\r\n", at) + 2 - at);
  return head;
}

class HttpFileSegments : public ::testing::TestWithParam<Model> {
 protected:
  void SetUp() override {
    HttpServiceOptions http;
    // Above this size files go out with sendfile: a small file takes that path too, so each
    // reply fits in one segment whatever the window.
    http.inline_file_bytes = 100;
    http.log_format = HttpLogFormat::none;
    http.root = std::filesystem::path(dir_.write("f.bin", file_)).parent_path().string();
    auto service = make_http_service(http);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    ServerOptions o;
    o.model = GetParam();
    o.threads = 2;
    server_ = std::make_unique<test::ServerThread>(*service_, o);
    ASSERT_NE(server_->port(), 0);
  }
  void TearDown() override { server_.reset(); }

  // Sends `request`, reads a reply of `body` bytes after its header; returns it whole.
  static std::string exchange(test::Client& c, const std::string& request, std::size_t body) {
    if (!c.send(request)) return "send failed";
    std::string reply = c.read_until("\r\n\r\n");
    const auto end = reply.find("\r\n\r\n");
    if (end == std::string::npos) return reply;
    return reply + c.read_exact(body);  // the body (read_until keeps what came past the needle)
  }

  const std::string file_ = test::pattern(kFileBytes, 12);
  test::ScratchDir dir_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<test::ServerThread> server_;
};

TEST_P(HttpFileSegments, HeaderLeavesWithTheFileInOneSegment) {
  test::Client c(server_->port());
  ASSERT_TRUE(c.connected());
  ASSERT_EQ(data_segments_in(c.fd()), 0);
  const std::string got = exchange(c, "GET /f.bin HTTP/1.1\r\nHost: t\r\n\r\n", kFileBytes);
  const std::string head = head_without_date(got);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\nETag: \"")) << head;
  EXPECT_TRUE(
      head.ends_with("\r\nAccept-Ranges: bytes\r\nServer: sockit\r\n"
                     "Content-Type: application/octet-stream\r\n"
                     "Content-Length: 1000\r\n\r\n"))
      << head;
  ASSERT_EQ(got.size(), got.find("\r\n\r\n") + 4 + kFileBytes);
  EXPECT_EQ(got.substr(got.size() - kFileBytes), file_);
  EXPECT_EQ(data_segments_in(c.fd()), 1);

  // A range on the same connection: its header and slice in one more segment.
  const std::string part =
      exchange(c, "GET /f.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=100-899\r\n\r\n", 800);
  EXPECT_TRUE(part.starts_with("HTTP/1.1 206 Partial Content\r\n")) << part.substr(0, 40);
  EXPECT_NE(part.find("\r\nContent-Range: bytes 100-899/1000\r\n"), std::string::npos);
  ASSERT_EQ(part.size(), part.find("\r\n\r\n") + 4 + 800);
  EXPECT_EQ(part.substr(part.size() - 800), file_.substr(100, 800));
  EXPECT_EQ(data_segments_in(c.fd()), 2);
}

TEST_P(HttpFileSegments, HeadAndPipelinedRepliesStayExact) {
  test::Client c(server_->port());
  ASSERT_TRUE(c.connected());
  const std::string head_req = "HEAD /f.bin HTTP/1.1\r\nHost: t\r\n\r\n";
  const std::string head = exchange(c, head_req, 0);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_NE(head.find("\r\nContent-Length: 1000\r\n"), std::string::npos);
  EXPECT_EQ(head.size(), head.find("\r\n\r\n") + 4);  // no body
  // Pipelined in one write: an inline reply, two files, a HEAD; all in order and exact (the
  // file replies have the HEAD reply's header).
  const std::string get = "GET /f.bin HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_TRUE(c.send("GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n" + get + get + head_req));
  const std::string plain = c.read_until("Hello, World!");
  EXPECT_TRUE(plain.starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(plain.ends_with("\r\n\r\nHello, World!"));
  const std::size_t one = head.size() + kFileBytes;
  const std::string rest = c.read_exact(2 * one + head.size());
  ASSERT_EQ(rest.size(), 2 * one + head.size());
  for (std::size_t at = 0; at < 2 * one; at += one) {
    EXPECT_EQ(head_without_date(rest.substr(at, head.size())), head_without_date(head));
    EXPECT_EQ(rest.substr(at + head.size(), kFileBytes), file_);
  }
  EXPECT_EQ(head_without_date(rest.substr(2 * one)), head_without_date(head));
  c.shutdown_write();
  const auto [after, eof] = c.read_to_eof();
  EXPECT_EQ(after, "");
  EXPECT_TRUE(eof);
}

INSTANTIATE_TEST_SUITE_P(Models, HttpFileSegments,
                         ::testing::Values(Model::thread, Model::pool, Model::loop,
                                           Model::reactors),
                         [](const auto& p) { return std::string(model_name(p.param)); });

}  // namespace
}  // namespace sockit
