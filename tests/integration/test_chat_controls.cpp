// serve chat: a client's control bytes (ESC sequences, NUL, BEL) reach the other clients and the
// operator's terminal escaped as "\ooo", the way ncat --chat shows them; UTF-8 text and tabs
// arrive as typed.
#include <gtest/gtest.h>

#include <string>

#include "support/process.hpp"
#include "support/server_fixture.hpp"

namespace sockit {
namespace {

using namespace std::string_literals;
using test::Client;
using test::Process;

TEST(ChatControls, ControlBytesReachOthersAndTheOperatorEscaped) {
  Process server({test::sockit_bin(), "serve", "chat", "0"});
  ASSERT_TRUE(server.wait_stderr("serving chat on ")) << server.err();
  const auto port = static_cast<std::uint16_t>(test::port_after(server.err(), "serving chat on "));
  Client a(port);
  ASSERT_NE(a.read_until("\n").find("* welcome guest1"), std::string::npos);
  Client b(port);
  ASSERT_NE(b.read_until("\n").find("* welcome guest2"), std::string::npos);
  ASSERT_EQ(a.read_until("\n"), "* guest2 joined\n");

  ASSERT_TRUE(a.send("a\x1b[2Jb\0c\ad\\e caf\xc3\xa9\tg\x7fh\x1b]0;owned\a\n"s));
  const std::string want =
      "guest1: a\\033[2Jb\\000c\\007d\\e caf\xc3\xa9\tg\\177h\\033]0;owned\\007\n";
  EXPECT_EQ(b.read_until("\n"), want);
  EXPECT_TRUE(server.wait_stdout(want)) << server.out();

  // A command's echo is escaped too.
  ASSERT_TRUE(a.send("/\x1b[31m\n"));
  EXPECT_EQ(a.read_until("\n"), "* unknown command: /\\033[31m\n");
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(), 0);
}

}  // namespace
}  // namespace sockit
