// What an HTTP connection keeps once its requests are answered and it sits idle (issue 12:
// memory per idle keep-alive connection no more than nginx's, about 500 bytes with the
// connection itself). The HTTP service's codec and session are driven here without sockets, and
// the replaced operator new (support/alloc_counter.cpp) counts the heap bytes they keep.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "sockit/services/http.hpp"
#include "support/alloc_counter.hpp"

namespace sockit {
namespace {

// At most this many heap bytes per answered, idle connection for the codec and the session
// together (their objects alone, about 60 bytes; before issue 12 they kept about 2.9 KiB: two
// parsers, the answer buffer with the last answer's 1 KiB body, header arrays, validators).
constexpr long long kIdleBytesPerConnection = 128;

class TempRoot {
 public:
  TempRoot() {
    char name[] = "/tmp/sockit-http-idle-XXXXXX";
    if (::mkdtemp(name) != nullptr) path_ = name;
    std::ofstream(path_ + "/1k.bin", std::ios::binary) << std::string(1024, 'k');
  }
  ~TempRoot() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class FakePeer final : public Peer {
 public:
  void send(std::string_view message) override { sent.append(message); }
  void send_file(UniqueFd, std::uint64_t, std::uint64_t length, std::string_view head) override {
    sent.append(head);
    files += length;
  }
  void close() override { closing_ = true; }
  bool closing() const override { return closing_; }
  std::uint64_t id() const override { return 1; }
  const std::string& remote() const override { return remote_; }
  std::shared_ptr<Mailbox> mailbox() override { return nullptr; }
  void pause_reading(bool) override {}

  std::string sent;
  std::uint64_t files = 0;

 private:
  bool closing_ = false;
  std::string remote_ = "127.0.0.1:50000";
};

// One connection as the server holds it: the service's codec and a session, fed like LoopConn.
struct Conn final : MessageSink {
  explicit Conn(Service& service) : codec(service.make_codec(0)), session(service.open_session()) {}
  bool on_message(std::string_view message) override {
    session->on_message(message, peer);
    return !peer.closing();
  }
  bool feed(std::string_view bytes) { return codec->decode(bytes, *this).has_value(); }

  CodecPtr codec;
  std::unique_ptr<Session> session;
  FakePeer peer;
};

constexpr std::string_view kGet =
    "GET /1k.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: idle-test\r\nAccept: */*\r\n\r\n";

std::unique_ptr<Service> file_service(const TempRoot& root, HttpLimits limits = {}) {
  HttpServiceOptions o;
  o.root = root.path();
  o.limits = limits;
  o.log_format = HttpLogFormat::none;
  auto service = make_http_service(std::move(o));
  return service ? std::move(*service) : nullptr;
}

// The 200 answer to kGet: its head, then the 1 KiB body.
bool answered_1k(const std::string& sent) {
  return sent.starts_with("HTTP/1.1 200 OK\r\n") &&
         sent.find("\r\nContent-Length: 1024\r\n") != std::string::npos &&
         sent.ends_with("\r\n\r\n" + std::string(1024, 'k'));
}

TEST(HttpIdleMemory, AnsweredConnectionKeepsOnlyItsSmallState) {
  TempRoot root;
  auto service = file_service(root);
  ASSERT_NE(service, nullptr);
  {
    Conn warm(*service);  // the thread's working memory, shared by all connections, warms here
    ASSERT_TRUE(warm.feed(kGet));
    ASSERT_TRUE(answered_1k(warm.peer.sent));
  }
  constexpr int kConns = 64;
  std::vector<std::unique_ptr<Conn>> conns;
  conns.reserve(kConns);
  std::vector<std::string> sent;
  sent.reserve(kConns);
  const long long before = test::live_bytes();
  for (int i = 0; i < kConns; ++i) {
    conns.push_back(std::make_unique<Conn>(*service));
    (void)conns.back()->feed(kGet);
  }
  long long kept = 0;
  for (const auto& c : conns) {  // the test's own per-connection objects are not the server's
    kept -= static_cast<long long>(sizeof(Conn));
    EXPECT_TRUE(answered_1k(c->peer.sent));
    EXPECT_FALSE(c->codec->partial());
    std::string().swap(c->peer.sent);
  }
  kept += test::live_bytes() - before;
  EXPECT_LE(kept / kConns, kIdleBytesPerConnection) << kept << " bytes for " << kConns;
  std::printf("kept %lld bytes per idle connection\n", kept / kConns);
}

// A request split inside its head, and a discarded body split across reads: the codec holds
// the request in progress only while it is incomplete, answers it the same as in one piece, and
// lets it go once answered.
TEST(HttpIdleMemory, RequestInProgressIsHeldOnlyUntilAnswered) {
  TempRoot root;
  auto service = file_service(root);
  ASSERT_NE(service, nullptr);
  const std::string post = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345";
  const std::string rest = "67890" + std::string(kGet);
  {
    Conn warm(*service);  // the same exchanges warm the thread's working memory
    ASSERT_TRUE(warm.feed(kGet.substr(0, 30)) && warm.feed(kGet.substr(30)));
    ASSERT_TRUE(warm.feed(post) && warm.feed(rest));
  }
  Conn c(*service);
  c.peer.sent.reserve(16 * 1024);  // (the test's record of the answers is not the server's)
  const long long before = test::live_bytes();
  ASSERT_TRUE(c.feed(kGet.substr(0, 30)));
  EXPECT_TRUE(c.codec->partial());
  EXPECT_GT(test::live_bytes(), before);
  EXPECT_EQ(c.peer.sent, "");
  ASSERT_TRUE(c.feed(kGet.substr(30)));
  EXPECT_FALSE(c.codec->partial());
  EXPECT_TRUE(answered_1k(c.peer.sent));
  EXPECT_LE(test::live_bytes() - before, 0);

  c.peer.sent.clear();
  ASSERT_TRUE(c.feed(post));
  EXPECT_TRUE(c.codec->partial());
  EXPECT_EQ(c.peer.sent, "");
  ASSERT_TRUE(c.feed(rest));
  EXPECT_FALSE(c.codec->partial());
  EXPECT_TRUE(c.peer.sent.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")) << c.peer.sent;
  EXPECT_TRUE(c.peer.sent.ends_with("\r\n\r\n" + std::string(1024, 'k'))) << c.peer.sent;
  EXPECT_EQ(c.peer.sent.find("HTTP/1.1 200 OK\r\n"),
            c.peer.sent.find("</html>\n") + std::string_view("</html>\n").size());
  EXPECT_LE(test::live_bytes() - before, 0);
}

// Busy connections do not pay for it: once the thread is warm, answering pipelined batches
// (the benchmark's /plaintext, 16 deep) allocates nothing per request.
TEST(HttpIdleMemory, BusyConnectionsAllocateNothingPerRequest) {
  TempRoot root;
  auto service = file_service(root);
  ASSERT_NE(service, nullptr);
  std::string batch;
  for (int i = 0; i < 16; ++i)
    batch += "GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n";
  Conn a(*service), b(*service);
  a.peer.sent.reserve(64 * 1024);
  b.peer.sent.reserve(64 * 1024);
  ASSERT_TRUE(a.feed(batch));  // warm
  ASSERT_TRUE(b.feed(batch));
  const std::size_t answer_bytes = a.peer.sent.size();
  const std::size_t allocations = test::allocation_count();
  for (int round = 0; round < 10; ++round) {
    a.peer.sent.clear();
    b.peer.sent.clear();
    (void)a.feed(batch);
    (void)b.feed(batch);
    if (a.peer.sent.size() != answer_bytes || b.peer.sent.size() != answer_bytes) break;
  }
  EXPECT_EQ(test::allocation_count() - allocations, 0u);
  EXPECT_EQ(a.peer.sent.size(), answer_bytes);
  EXPECT_EQ(b.peer.sent.size(), answer_bytes);
}

// The per-thread parser follows each service's own limits: two servers on one thread (tests,
// an embedding program) never judge a request by the other's limits.
TEST(HttpIdleMemory, ServicesWithOtherLimitsShareTheThreadSafely) {
  TempRoot root;
  HttpLimits strict;
  strict.max_headers = 2;  // kGet has 3
  auto loose_service = file_service(root);
  auto strict_service = file_service(root, strict);
  ASSERT_NE(loose_service, nullptr);
  ASSERT_NE(strict_service, nullptr);
  for (int round = 0; round < 2; ++round) {
    Conn loose(*loose_service), tight(*strict_service);
    ASSERT_TRUE(loose.feed(kGet));
    ASSERT_TRUE(tight.feed(kGet));
    EXPECT_TRUE(answered_1k(loose.peer.sent)) << loose.peer.sent;
    EXPECT_TRUE(tight.peer.sent.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        << tight.peer.sent;
    EXPECT_TRUE(tight.peer.closing());
  }
}

}  // namespace
}  // namespace sockit
