// nc and ncat spellings that sockit takes as they are typed: listen -l -p PORT, -q SECONDS,
// -N, -n, -s ADDR, -k. Each with its exact outcome (docs/cli.md, "Coming from nc or ncat").
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "cli_peers.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

std::vector<std::string> sockit_args(std::vector<std::string> args) {
  args.insert(args.begin(), sockit_bin());
  return args;
}

RunResult sockit(std::vector<std::string> args, std::string_view input = {}) {
  return run(sockit_args(std::move(args)), input);
}

// A peer that greets, then holds the connection open without ever closing it: only -q can end
// a client's session with it.
constexpr const char* kGreetAndHold = R"(
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.sendall(b"hello\n")
time.sleep(8)
)";

TEST(CliNcHabits, ListenTakesDashLDashP) {
  Process listener(sockit_args({"listen", "-l", "-p", "0"}));
  listener.close_stdin();  // nothing to send: the session ends with the client's
  ASSERT_TRUE(listener.wait_stderr("\n", milliseconds(5000))) << listener.err();
  EXPECT_EQ(listener.err().rfind("sockit: listening on 127.0.0.1:", 0), 0u) << listener.err();
  const int port = port_after(listener.err(), "listening on ");
  ASSERT_GT(port, 0);
  auto client = sockit({"connect", "127.0.0.1", std::to_string(port)}, "over -p\n");
  EXPECT_EQ(client.exit_code, 0) << client.err;
  EXPECT_EQ(listener.wait(milliseconds(5000)), 0);
  EXPECT_EQ(listener.out(), "over -p\n");
}

TEST(CliNcHabits, ListenDashPWithHostAndTooMany) {
  auto r = sockit({"listen", "-p", "0", "127.0.0.1", "9"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: -p 0 gives the port; '9' is one argument too many\n");
  auto none = sockit({"listen"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.err, "sockit: listen needs [HOST] PORT, -p PORT, or -U PATH\n");
}

TEST(CliNcHabits, QuitAfterEofEndsAHeldSession) {
  Process peer({"/usr/bin/python3", "-c", kGreetAndHold});
  ASSERT_TRUE(peer.wait_stdout("\n", milliseconds(5000)));
  const std::string port = peer.out().substr(0, peer.out().find('\n'));
  const auto start = std::chrono::steady_clock::now();
  auto r = sockit({"connect", "-q", "0.5", "-N", "127.0.0.1", port}, "bye\n");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hello\n");
  EXPECT_EQ(r.err, "");
  EXPECT_LT(took, std::chrono::seconds(4));  // the peer holds on for 8 s
}

TEST(CliNcHabits, DashNUpperIsTheDefaultAndExcludesNoShutdown) {
  auto r = sockit({"connect", "-N", "--no-shutdown", "127.0.0.1", "9"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: --no-shutdown excludes -N\nRun with --help for more information.\n");
}

TEST(CliNcHabits, NoDnsRefusesNames) {
  for (const char* cmd : {"connect", "scan"}) {
    auto r = sockit({cmd, "-n", "localhost", "80"});
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_EQ(r.err, "sockit: -n: 'localhost' is a name; -n takes only numeric addresses\n") << cmd;
  }
  auto l = sockit({"listen", "-n", "localhost", "0"});
  EXPECT_EQ(l.exit_code, 2);
  EXPECT_EQ(l.err, "sockit: -n: 'localhost' is a name; -n takes only numeric addresses\n");
  // An address is what -n is for.
  const int closed = free_port();
  auto ok = sockit({"connect", "-n", "127.0.0.1", std::to_string(closed)});
  EXPECT_EQ(ok.exit_code, 4) << ok.err;
}

TEST(CliNcHabits, SourceAddressIsWhereTheConnectionComesFrom) {
  Process listener(sockit_args({"listen", "-v", "0"}));
  listener.close_stdin();
  ASSERT_TRUE(listener.wait_stderr("\n", milliseconds(5000)));
  const int port = port_after(listener.err(), "listening on ");
  ASSERT_GT(port, 0);
  auto r = sockit({"connect", "-s", "127.0.0.2", "127.0.0.1", std::to_string(port)}, "x");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(listener.wait(milliseconds(5000)), 0);
  EXPECT_NE(listener.err().find("sockit: connection from 127.0.0.2:"), std::string::npos)
      << listener.err();
}

TEST(CliNcHabits, SourceAddressChecks) {
  auto name = sockit({"connect", "-s", "localhost", "127.0.0.1", "80"});
  EXPECT_EQ(name.exit_code, 2);
  EXPECT_EQ(name.err, "sockit: -s localhost: unexpected 'l' in octet 1\n");
  auto unix_path = sockit({"connect", "-s", "127.0.0.1", "-U", "/tmp/x.sock"});
  EXPECT_EQ(unix_path.exit_code, 2);
  EXPECT_EQ(unix_path.err, "sockit: -s sets an IP source address; a Unix socket has none\n");
  // An IPv4 source for a host that has only IPv6: nothing to try.
  auto family = sockit({"connect", "-s", "127.0.0.1", "::1", "9"});
  EXPECT_EQ(family.exit_code, 3) << family.err;
}

TEST(CliNcHabits, KeepOpenAcceptsTheNextClient) {
  Process listener(sockit_args({"listen", "-l", "-k", "-p", "0"}));
  listener.close_stdin();
  ASSERT_TRUE(listener.wait_stderr("\n", milliseconds(5000)));
  const std::string port = std::to_string(port_after(listener.err(), "listening on "));
  EXPECT_EQ(sockit({"connect", "127.0.0.1", port}, "one\n").exit_code, 0);
  EXPECT_EQ(sockit({"connect", "127.0.0.1", port}, "two\n").exit_code, 0);
  EXPECT_TRUE(listener.wait_stdout("one\ntwo\n", milliseconds(5000))) << listener.out();
  EXPECT_TRUE(listener.running());
}

}  // namespace
}  // namespace sockit::test
