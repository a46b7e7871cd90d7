// Chat with an operator who never reads: stdout is a pipe that fills after 64 KiB, and the room
// must go on regardless (the operator's lines are queued, then dropped, never waited for).
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"
#include "support/server_fixture.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::Client;
using test::Process;

constexpr int kLines = 3700;  // 57 bytes each: 200 KiB, three times a pipe's buffer

std::string line_text(int i) {
  std::string text = "line " + std::to_string(i) + " ";
  text.resize(56, 'x');
  return text;
}

std::vector<std::string> lines_with(const std::string& text, std::string_view prefix) {
  std::vector<std::string> out;
  std::size_t at = 0;
  for (auto eol = text.find('\n'); eol != std::string::npos; eol = text.find('\n', at)) {
    std::string line = text.substr(at, eol - at);
    if (line.starts_with(prefix)) out.push_back(line);
    at = eol + 1;
  }
  return out;
}

TEST(ChatOperator, UnreadStdoutPipeNeverStallsTheRoom) {
  Process server({test::sockit_bin(), "serve", "chat", "0"});
  ASSERT_TRUE(server.wait_stderr("serving chat on ")) << server.err();
  const auto port = static_cast<std::uint16_t>(test::port_after(server.err(), "serving chat on "));
  // From here on the test never reads the server's stdout: the pipe fills and stays full.

  Client a(port);
  Client b(port);
  ASSERT_TRUE(a.connected());
  ASSERT_TRUE(b.connected());
  ASSERT_NE(a.read_until("\n").find("* welcome guest1"), std::string::npos);
  ASSERT_NE(b.read_until("\n").find("* welcome guest2"), std::string::npos);

  std::vector<std::string> expected;
  std::string payload;
  for (int i = 0; i < kLines; ++i) {
    payload += line_text(i) + "\n";
    expected.push_back("guest1: " + line_text(i));
  }
  ASSERT_GT(payload.size(), 200u * 1024u);
  bool sent = false;
  std::thread sender([&] { sent = a.send(payload); });
  const std::string got = b.read_until(expected.back() + "\n", 20000ms);
  sender.join();
  EXPECT_TRUE(sent);
  const auto lines = lines_with(got, "guest1: ");
  ASSERT_EQ(lines.size(), expected.size()) << "the room stalled behind the operator's stdout";
  EXPECT_EQ(lines, expected);

  // And the room still answers afterwards, in the other direction.
  ASSERT_TRUE(b.send("still here\n"));
  EXPECT_NE(a.read_until("guest2: still here\n", 5000ms).find("guest2: still here"),
            std::string::npos);
  EXPECT_TRUE(server.running()) << server.err();
}

}  // namespace
}  // namespace sockit
