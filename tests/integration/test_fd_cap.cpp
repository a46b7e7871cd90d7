// The connection cap against the descriptor limit (issue 18): `sockit serve` under a low
// RLIMIT_NOFILE (prlimit, as test_abuse.cpp's exhaustion test does) lowers its cap to what the
// limit allows, says so at start, and refuses past it cleanly and countably.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <vector>

#include "serve_harness.hpp"
#include "support/process.hpp"

namespace sockit::test {
namespace {

// The asan/tsan presets build this test and `sockit` with sanitizers (same flags).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// The start of the stats line for `open` connections, all accepted, and `refused` refusals.
std::string fmt_stats(int open, int refused) {
  return "stats: " + std::to_string(open) + " connections (" + std::to_string(open) +
         " accepted, " + std::to_string(refused) + " refused)";
}

// The thread model spends three descriptors per connection (socket, epoll, eventfd), so under
// RLIMIT_NOFILE 64 the default cap of 10,000 was fiction: clients were accepted, then turned
// away by a serving thread that could not open its loop, uncounted ("0 refused") and mostly
// reset. Now the cap is lowered to what the limit allows, said at start, and every client past
// it reads the refusal line, then an orderly EOF, and is counted.
class DescriptorCapTest : public ::testing::TestWithParam<std::string> {
 protected:
  void start(const std::string& service, std::vector<std::string> extra,
             const std::vector<std::string>& prefix) {
    std::vector<std::string> args = {service, "127.0.0.1", "0", "--model", GetParam()};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = start_serve(args, {}, prefix);
    ASSERT_GT(server_.port, 0) << "serve did not start: " << server_.process->err();
  }
  ServeChild server_;
};

TEST_P(DescriptorCapTest, CapFollowsTheDescriptorLimitAndRefusalsAreCleanAndCounted) {
  if (kSanitized)
    GTEST_SKIP() << "sanitizer runtimes need spare descriptors; run in the dev preset";
  start("greet", {"--framing", "line", "--threads", "2"}, {"prlimit", "--nofile=64:64", "--"});
  Process& server = *server_.process;
  const std::string marker = "sockit: --max-conns lowered from 10000 to ";
  ASSERT_TRUE(server.wait_stderr(" (raise it with ulimit -n)\n", Ms(3000))) << server.err();
  const auto at = server.err().find(marker);
  ASSERT_NE(at, std::string::npos) << server.err();
  const int cap = std::stoi(server.err().substr(at + marker.size()));
  EXPECT_EQ(server.err().substr(at + marker.size() + std::to_string(cap).size()),
            ": what the descriptor limit allows with model " + GetParam() +
                " (raise it with ulimit -n)\n");
  ASSERT_GE(cap, 5);
  ASSERT_LT(cap, 64);

  constexpr int kExtra = 20;
  std::vector<Fd> served;
  int refused = 0, resets = 0, other = 0;
  for (int i = 0; i < cap + kExtra; ++i) {
    Fd fd(tcp_connect(server_.port));
    ASSERT_TRUE(fd.valid()) << "client " << i;
    const auto first = read_until_text(fd.get(), "\n", Ms(3000));
    if (first.data == "Welcome to the Server\n") {
      served.push_back(std::move(fd));
    } else if (first.data == "ERR server full\n") {
      const auto rest = read_to_eof(fd.get(), Ms(3000));
      refused += rest.eof && !rest.reset && rest.data.empty();
      resets += rest.reset;
    } else {
      ++other;
      ADD_FAILURE() << "client " << i << " read '" << first.data << "'";
    }
  }
  EXPECT_EQ(static_cast<int>(served.size()), cap);
  EXPECT_EQ(refused, kExtra);
  EXPECT_EQ(resets, 0);
  EXPECT_EQ(other, 0);
  server.signal(SIGUSR1);
  const std::string stats = fmt_stats(cap, kExtra);
  EXPECT_TRUE(server.wait_stderr(stats, Ms(3000))) << "want '" << stats << "' in\n" << server.err();
}

// (The pool's cap is lowered too, by what its busy workers hold; its queued clients read
// nothing until a worker is free, so this first-line check is the thread model's.)
INSTANTIATE_TEST_SUITE_P(Models, DescriptorCapTest, ::testing::Values("thread"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace sockit::test
