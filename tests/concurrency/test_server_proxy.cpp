// ServerOptions::proxy_protocol for library users, on every model: Peer::remote() is the
// header's client (or the socket's peer for LOCAL), on_proxy_failure hears each refusal once
// with its precise code, ServerStats counts them, and a drain cuts a connection still waiting
// for its header.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <mutex>
#include <string>
#include <vector>

#include "support/server_fixture.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

// Says where it thinks the client is, then closes.
class WhoAmI final : public Service {
 public:
  std::string_view name() const override { return "whoami"; }
  std::unique_ptr<Session> open_session() override {
    struct Tell final : Session {
      void on_open(Peer& p) override {
        p.send(p.remote() + "\n");
        p.close();
      }
      void on_message(std::string_view, Peer&) override {}
    };
    return std::make_unique<Tell>();
  }
};

struct Failures {
  std::mutex mutex;
  std::vector<std::pair<std::string, std::error_code>> seen;
  std::size_t size() {
    std::lock_guard lock(mutex);
    return seen.size();
  }
};

std::string client_name(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
}

bool wait_for(const std::function<bool()>& done) {
  for (int i = 0; i < 200; ++i) {  // at most 2 s
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

class ServerProxy : public ::testing::TestWithParam<Model> {
 protected:
  ServerOptions options() {
    ServerOptions o;
    o.model = GetParam();
    o.threads = 2;
    o.proxy_protocol = true;
    o.on_proxy_failure = [this](const std::string& remote, std::error_code why) {
      std::lock_guard lock(failures_.mutex);
      failures_.seen.emplace_back(remote, why);
    };
    return o;
  }
  WhoAmI service_;
  Failures failures_;
};

TEST_P(ServerProxy, RemoteIsTheHeadersClient) {
  test::ServerThread server(service_, options());
  ASSERT_NE(server.port(), 0);
  test::Client v1(server.port());
  ASSERT_TRUE(v1.send("PROXY TCP6 2001:db8::7 ::1 5000 80\r\n"));
  EXPECT_EQ(v1.read_to_eof(3s), std::make_pair("[2001:db8::7]:5000\n"s, true));
  test::Client local(server.port());
  ASSERT_TRUE(local.send("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00"s));
  EXPECT_EQ(local.read_to_eof(3s), std::make_pair(client_name(local.fd()) + "\n", true));
  EXPECT_EQ(failures_.size(), 0u);
}

TEST_P(ServerProxy, BadHeaderIsReportedOnceAndCounted) {
  test::ServerThread server(service_, options());
  ASSERT_NE(server.port(), 0);
  test::Client c(server.port());
  ASSERT_TRUE(c.send("SSH-2.0-OpenSSH\r\n"));
  EXPECT_EQ(c.read_to_eof(3s).first, "");
  ASSERT_TRUE(wait_for([&] { return failures_.size() == 1; }));
  EXPECT_EQ(failures_.seen[0].first, client_name(c.fd()));
  EXPECT_EQ(failures_.seen[0].second, ProxyErrc::wrong_signature);
  ASSERT_TRUE(wait_for([&] { return server.stats().connections == 0; }));
  const ServerStats s = server.stats();
  EXPECT_EQ(s.proxy_failures, 1u);
  EXPECT_EQ(s.accepted, 1u);
  EXPECT_EQ(s.refused, 0u);
}

TEST_P(ServerProxy, UntrustedPeerIsRefusedBeforeReading) {
  ServerOptions o = options();
  o.proxy_from = {*IpNetwork::parse("10.0.0.0/8")};
  test::ServerThread server(service_, o);
  ASSERT_NE(server.port(), 0);
  test::Client c(server.port());
  ASSERT_TRUE(c.send("PROXY UNKNOWN\r\n"));
  EXPECT_EQ(c.read_to_eof(3s).first, "");
  ASSERT_TRUE(wait_for([&] { return failures_.size() == 1; }));
  EXPECT_EQ(failures_.seen[0].second, ProxyErrc::untrusted_source);
  ASSERT_TRUE(wait_for([&] { return server.stats().connections == 0; }));
  EXPECT_EQ(server.stats().refused, 1u);
  EXPECT_EQ(server.stats().proxy_failures, 0u);
}

TEST_P(ServerProxy, DrainCutsAConnectionStillWaitingForItsHeader) {
  test::ServerThread server(service_, options());
  ASSERT_NE(server.port(), 0);
  test::Client c(server.port());
  ASSERT_TRUE(c.send("PROXY TCP4 "));
  ASSERT_TRUE(wait_for([&] { return server.stats().connections == 1; }));
  const DrainReport report = server.drain(200ms);
  EXPECT_EQ(report.cut, 1u);
  EXPECT_EQ(server.stats().connections, 0u);
  EXPECT_EQ(failures_.size(), 0u);  // the server's own decision, not the client's failure
}

INSTANTIATE_TEST_SUITE_P(Models, ServerProxy,
                         ::testing::Values(Model::thread, Model::pool, Model::loop,
                                           Model::reactors),
                         [](const auto& p) { return std::string(model_name(p.param)); });

}  // namespace
}  // namespace sockit
