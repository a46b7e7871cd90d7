// A program that embeds the library and leaves SIGPIPE at its default action (killing the
// process) must survive peers that vanish mid-stream, in every model. The servers use
// MSG_NOSIGNAL sends, and only echo by splice(2) (which has no such flag) when SIGPIPE is
// ignored (splice_is_safe). If that check went missing, this test process would die of SIGPIPE.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <csignal>
#include <string>

#include "sockit/async/connection.hpp"
#include "support/server_fixture.hpp"

namespace sockit {
namespace {

class SigpipeDefault : public ::testing::TestWithParam<Model> {
 protected:
  void SetUp() override { old_ = ::signal(SIGPIPE, SIG_DFL); }
  void TearDown() override { ::signal(SIGPIPE, old_); }
  sighandler_t old_ = SIG_DFL;
};

TEST_P(SigpipeDefault, PeersVanishingMidStreamDoNotKillTheProcess) {
  ASSERT_FALSE(splice_is_safe());
  auto service = make_service("echo");
  ASSERT_TRUE(service);
  ServerOptions options;
  options.model = GetParam();
  options.threads = 2;
  test::ServerThread server(**service, options);
  ASSERT_NE(server.port(), 0);

  // Each client streams 1 MiB without reading the echo, then goes away in one of two ways
  // while the server still has bytes to send back: an abortive close (RST) or a full shutdown
  // followed by close (FIN with unread data, which the kernel turns into a RST).
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 40; ++i) {
    test::Client c(server.port(), nullptr, 4096);
    ASSERT_TRUE(c.connected());
    timeval tv{0, 200000};  // a send that cannot progress gives up instead of blocking
    ::setsockopt(c.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    for (int k = 0; k < 16; ++k) {
      if (!c.send(chunk)) break;  // the server stopped reading: its output is full
    }
    if (i % 2 == 0) {
      linger lg{1, 0};
      ::setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    } else {
      ::shutdown(c.fd(), SHUT_RDWR);
    }
  }

  // Still alive, and still serving: a fresh client gets its bytes back exactly.
  test::Client ok(server.port());
  ASSERT_TRUE(ok.connected());
  const std::string hello(100000, 'h');
  ASSERT_TRUE(ok.send(hello));
  EXPECT_EQ(ok.read_exact(hello.size()), hello);
}

INSTANTIATE_TEST_SUITE_P(AllModels, SigpipeDefault,
                         ::testing::Values(Model::thread, Model::pool, Model::loop,
                                           Model::reactors),
                         [](const ::testing::TestParamInfo<Model>& p) {
                           return std::string(model_name(p.param));
                         });

}  // namespace
}  // namespace sockit
