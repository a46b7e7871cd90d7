// A codec defined here, in the test, plugs into Server on every model with no edit to the core:
// netstrings ("5:hello,"), through both seams (ServerOptions::codec and Service::make_codec).
// Also: the built-in codecs' steady state allocates nothing per message.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <charconv>
#include <string>

#include "support/alloc_counter.hpp"
#include "support/server_fixture.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;

// Netstrings (D. J. Bernstein): "<decimal length>:<payload>," with at most 9 length digits.
class NetstringCodec final : public MessageCodec {
 public:
  explicit NetstringCodec(std::size_t max) : max_(max) {}
  std::string_view name() const noexcept override { return "netstring"; }

  Status decode(std::string_view bytes, MessageSink& sink) override {
    held_.append(bytes);
    std::size_t start = 0;
    Status st;
    for (;;) {
      std::size_t length = 0;
      const auto used = header(std::string_view(held_).substr(start), length);
      if (!used) {
        st = fail(used.error());
        break;
      }
      if (*used == 0 || held_.size() - start < *used + length + 1) break;  // need more
      if (held_[start + *used + length] != ',') {
        st = fail(Errc::malformed_frame);
        break;
      }
      const std::string_view message = std::string_view(held_).substr(start + *used, length);
      start += *used + length + 1;
      if (!sink.on_message(message)) break;
    }
    held_.erase(0, start);  // one move per call, not per message; the capacity is kept
    return st;
  }
  Status finish(MessageSink&) override {
    if (partial()) return fail(Errc::closed_early);
    return {};
  }
  Result<Encoded> encode(std::string_view message) override {
    std::array<char, 24> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), message.size());
    wire_.assign(digits.data(), end.ptr);
    wire_ += ':';
    wire_.append(message);
    wire_ += ',';
    return Encoded{wire_, {}};
  }
  bool partial() const noexcept override { return !held_.empty(); }

 private:
  // The header's size ("5:" is 2) with the length, 0 while incomplete, or the error.
  Result<std::size_t> header(std::string_view data, std::size_t& length) const {
    constexpr std::size_t kMaxDigits = 9;
    for (std::size_t i = 0; i < data.size() && i <= kMaxDigits; ++i) {
      const char c = data[i];
      if (c == ':' && i > 0) {
        std::from_chars(data.data(), data.data() + i, length);
        if (length > max_) return fail(Errc::frame_too_long);
        return i + 1;
      }
      if (c < '0' || c > '9') return fail(Errc::malformed_frame);
    }
    if (data.size() > kMaxDigits) return fail(Errc::malformed_frame);
    return std::size_t{0};
  }

  std::size_t max_;
  std::string held_;  // input not yet delivered
  std::string wire_;  // the last encoded message, reused
};

CodecPtr netstrings(std::size_t max) {
  return std::make_unique<NetstringCodec>(max);
}

// The second seam: a service that brings its own codec.
class NetstringEcho final : public Service {
 public:
  std::string_view name() const override { return "netstring-echo"; }
  CodecPtr make_codec(std::size_t) const override { return netstrings(16); }
  std::unique_ptr<Session> open_session() override {
    struct Echo final : Session {
      void on_message(std::string_view m, Peer& p) override { p.send(m); }
    };
    return std::make_unique<Echo>();
  }
};

std::string eof_rest(test::Client& c) {
  auto [got, ended] = c.read_to_eof(3s);
  return ended ? got : got + "<no EOF>";
}

class CodecPlug : public ::testing::TestWithParam<Model> {};

TEST_P(CodecPlug, GreetSpeaksNetstringsThroughServerOptions) {
  auto greet = make_greet_service();
  ServerOptions options;
  options.model = GetParam();
  options.threads = 2;
  options.codec = [](std::size_t max) { return netstrings(max); };
  test::ServerThread server(*greet, options);
  ASSERT_NE(server.port(), 0);
  test::Client c(server.port());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.read_until(",", 3s), "21:Welcome to the Server,");
  // Split mid-header and mid-payload, two messages in one write, and an empty one.
  for (const char* piece : {"5:he", "llo,3:a", "bc,0", ":,"})
    ASSERT_TRUE(c.send(piece));
  EXPECT_EQ(c.read_until(",", 3s), "24:Hello I am server: hello,");
  EXPECT_EQ(c.read_until(",", 3s), "22:Hello I am server: abc,");
  EXPECT_EQ(c.read_until(",", 3s), "19:Hello I am server: ,");
  c.shutdown_write();
  EXPECT_EQ(eof_rest(c), "");
  for (int i = 0; i < 200 && server.stats().connections != 0; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(server.stats().messages, 3U);
}

TEST_P(CodecPlug, ServiceCodecErrorsCloseWithTheirLines) {
  NetstringEcho service;
  ServerOptions options;
  options.model = GetParam();
  options.threads = 2;
  test::ServerThread server(service, options);
  ASSERT_NE(server.port(), 0);
  {
    test::Client ok(server.port());
    ASSERT_TRUE(ok.send("4:ping,"));
    EXPECT_EQ(ok.read_until(",", 3s), "4:ping,");
  }
  struct Case {
    const char* send;
    const char* expect;
  };
  for (const Case& k :
       {Case{"x:", "ERR malformed frame\n"}, Case{"3:abc;", "ERR malformed frame\n"},
        Case{"17:", "ERR frame too long\n"}}) {
    test::Client c(server.port());
    ASSERT_TRUE(c.send(k.send));
    EXPECT_EQ(eof_rest(c), k.expect) << k.send;
  }
  // An unfinished netstring at EOF is the codec's closed_early: closed, nothing said.
  test::Client cut(server.port());
  ASSERT_TRUE(cut.send("4:ab"));
  cut.shutdown_write();
  EXPECT_EQ(eof_rest(cut), "");
}

INSTANTIATE_TEST_SUITE_P(AllModels, CodecPlug,
                         ::testing::Values(Model::thread, Model::pool, Model::loop,
                                           Model::reactors),
                         [](const auto& param_info) {
                           return std::string(model_name(param_info.param));
                         });

// One request/response on a raw blocking socket, with no allocation on this side.
bool exchange(int fd, std::string_view request, std::size_t reply_size) {
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return false;
  std::array<char, 256> reply{};
  std::size_t got = 0;
  while (got < reply_size) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) return false;
    const ssize_t n = ::recv(fd, reply.data() + got, reply.size() - got, 0);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return got == reply_size;
}

// After warm-up, a line and a len32 exchange through Server allocate nothing on any thread:
// the codec seam costs no allocation per message.
TEST(CodecPlugAlloc, BuiltInCodecsAllocateNothingPerMessage) {
  for (const Framing framing : {Framing::line, Framing::len32, Framing::raw}) {
    auto echo = make_echo_service();
    ServerOptions options;
    options.codec = codec_factory(framing);
    test::ServerThread server(*echo, options);
    ASSERT_NE(server.port(), 0);
    test::Client c(server.port());
    ASSERT_TRUE(c.connected());
    const std::string_view request = framing == Framing::len32 ? std::string_view("\0\0\0\4ping", 8)
                                                               : std::string_view("ping\n");
    std::size_t before = 0;
    for (int i = 0; i < 210; ++i) {
      if (i == 10) before = test::allocation_count();
      ASSERT_TRUE(exchange(c.fd(), request, request.size())) << framing_name(framing);
    }
    EXPECT_EQ(test::allocation_count() - before, 0U) << framing_name(framing);
  }
}

}  // namespace
}  // namespace sockit
