// Chat: clients (two of them ncat) see each other's lines in order; the operator reads and
// speaks; a client that stops reading is dropped at its output limit while the others lose
// nothing, in every model.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "support/process.hpp"
#include "support/server_fixture.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::Client;
using test::Process;

std::vector<std::string> lines_with(const std::string& text, std::string_view prefix) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    auto eol = text.find('\n', at);
    if (eol == std::string::npos) break;
    std::string line = text.substr(at, eol - at);
    if (line.starts_with(prefix)) out.push_back(line);
    at = eol + 1;
  }
  return out;
}

std::vector<std::string> numbered(std::string_view who, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(std::string(who) + ": line " + std::to_string(i));
  return out;
}

std::string burst(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += "line " + std::to_string(i) + "\n";
  return s;
}

TEST(Chat, ThreeClientsTwoOfThemNcatSeeEachOthersLinesInOrder) {
  Process server({test::sockit_bin(), "serve", "chat", "0"});
  ASSERT_TRUE(server.wait_stderr("serving chat on ")) << server.err();
  const std::string port = std::to_string(test::port_after(server.err(), "serving chat on "));

  Process a({"ncat", "127.0.0.1", port});
  ASSERT_TRUE(a.wait_stdout("* welcome guest1")) << a.out() << a.err();
  Process b({"ncat", "127.0.0.1", port});
  ASSERT_TRUE(b.wait_stdout("* welcome guest2")) << b.out() << b.err();
  Client c(static_cast<std::uint16_t>(std::stoi(port)));
  ASSERT_NE(c.read_until("\n").find("* welcome guest3"), std::string::npos);
  ASSERT_TRUE(a.wait_stdout("* guest3 joined"));
  ASSERT_TRUE(b.wait_stdout("* guest3 joined"));

  ASSERT_TRUE(a.write_stdin("/nick alice\n"));
  ASSERT_TRUE(a.wait_stdout("* you are now alice"));
  ASSERT_TRUE(b.wait_stdout("* guest1 is now alice"));
  ASSERT_NE(c.read_until("is now alice\n").find("* guest1 is now alice"), std::string::npos);

  // All three talk at once; every receiver sees each other sender's lines in order.
  constexpr int kLines = 200;
  ASSERT_TRUE(a.write_stdin(burst(kLines)));
  ASSERT_TRUE(b.write_stdin(burst(kLines)));
  ASSERT_TRUE(c.send(burst(kLines)));
  ASSERT_TRUE(a.wait_stdout("guest2: line " + std::to_string(kLines - 1) + "\n", 10s));
  ASSERT_TRUE(a.wait_stdout("guest3: line " + std::to_string(kLines - 1) + "\n", 10s));
  ASSERT_TRUE(b.wait_stdout("alice: line " + std::to_string(kLines - 1) + "\n", 10s));
  ASSERT_TRUE(b.wait_stdout("guest3: line " + std::to_string(kLines - 1) + "\n", 10s));
  // Either sender may finish first: wait for alice's last line only if it has not come yet.
  std::string c_got = c.read_until("guest2: line " + std::to_string(kLines - 1) + "\n", 10s);
  const std::string alice_last = "alice: line " + std::to_string(kLines - 1) + "\n";
  if (c_got.find(alice_last) == std::string::npos) c_got += c.read_until(alice_last, 10s);
  EXPECT_EQ(lines_with(a.out(), "guest2: "), numbered("guest2", kLines));
  EXPECT_EQ(lines_with(a.out(), "guest3: "), numbered("guest3", kLines));
  EXPECT_EQ(lines_with(a.out(), "alice: "), std::vector<std::string>{});  // not its own
  EXPECT_EQ(lines_with(b.out(), "alice: "), numbered("alice", kLines));
  EXPECT_EQ(lines_with(b.out(), "guest3: "), numbered("guest3", kLines));
  EXPECT_EQ(lines_with(c_got, "alice: "), numbered("alice", kLines));
  EXPECT_EQ(lines_with(c_got, "guest2: "), numbered("guest2", kLines));

  // The operator reads everything on stdout and speaks through stdin.
  ASSERT_TRUE(server.wait_stdout("guest3: line " + std::to_string(kLines - 1) + "\n", 10s));
  EXPECT_EQ(lines_with(server.out(), "alice: "), numbered("alice", kLines));
  ASSERT_TRUE(server.write_stdin("hello from the operator\n"));
  ASSERT_TRUE(a.wait_stdout("server: hello from the operator\n"));
  ASSERT_TRUE(b.wait_stdout("server: hello from the operator\n"));
  EXPECT_NE(c.read_until("operator\n").find("server: hello from the operator"), std::string::npos);

  ASSERT_TRUE(b.write_stdin("/who\n"));
  ASSERT_TRUE(b.wait_stdout("* online: alice guest2 guest3\n"));
  ASSERT_TRUE(a.write_stdin("/quit\n"));
  ASSERT_TRUE(a.wait_stdout("* bye\n"));
  a.close_stdin();  // ncat leaves once both directions are done
  EXPECT_EQ(a.wait(5s), 0);
  ASSERT_TRUE(b.wait_stdout("* alice left\n"));
  EXPECT_NE(c.read_until("left\n").find("* alice left"), std::string::npos);

  server.signal(SIGTERM);
  EXPECT_EQ(server.wait(10s), 0) << server.err();
}

class ChatModels : public ::testing::TestWithParam<Model> {};

TEST_P(ChatModels, ClientThatStopsReadingIsDroppedAtOutputLimitOthersLoseNothing) {
  auto chat = make_chat_service();
  ServerOptions options;
  options.model = GetParam();
  options.threads = 4;
  options.connection.output_limit = 256 * 1024;
  options.connection.high_water = 64 * 1024;
  options.send_buffer = 64 * 1024;  // so that the kernel does not absorb megabytes first
  test::ServerThread server(*chat, options);
  ASSERT_NE(server.port(), 0);
  auto wait_members = [&](std::size_t n) {
    for (int i = 0; i < 500 && chat->members() != n; ++i)
      std::this_thread::sleep_for(10ms);
    return chat->members() == n;
  };
  Client slow(server.port(), nullptr, 4096);  // guest1: never reads
  ASSERT_TRUE(wait_members(1));
  Client fast(server.port());  // guest2
  ASSERT_NE(fast.read_until("\n").find("welcome guest2"), std::string::npos);
  Client sender(server.port());  // guest3
  ASSERT_NE(sender.read_until("\n").find("welcome guest3"), std::string::npos);
  ASSERT_TRUE(wait_members(3));

  // ~1 MB to each receiver: several times what the kernel buffers for the slow reader (its
  // 4 KiB window, the server's 64 KiB send buffer) plus its 256 KiB output limit.
  constexpr int kLines = 5000;
  const std::string pad(200, 'x');
  // The sender talks in chunks, each once the fast reader has the previous one: a reader that
  // keeps up loses nothing, the one that stopped reading falls further behind with each chunk.
  std::string got;
  std::string chunk;
  for (int i = 0; i < kLines; ++i) {
    chunk += "line " + std::to_string(i) + " " + pad + "\n";
    if (i % 100 == 99) {
      ASSERT_TRUE(sender.send(chunk));
      chunk.clear();
      got += fast.read_until("guest3: line " + std::to_string(i) + " " + pad + "\n", 10s);
    }
  }
  std::vector<std::string> want;
  for (int i = 0; i < kLines; ++i)
    want.push_back("guest3: line " + std::to_string(i) + " " + pad);
  EXPECT_EQ(lines_with(got, "guest3: "), want);
  EXPECT_TRUE(wait_members(2)) << "the slow reader was not dropped";
  if (got.find("* guest1 left") == std::string::npos) got += fast.read_until("* guest1 left\n");
  EXPECT_NE(got.find("* guest1 left\n"), std::string::npos);
  // What the slow reader did get is an in-order prefix, then the connection ends.
  auto [slow_got, ended] = slow.read_to_eof(10s);
  EXPECT_TRUE(ended);
  const auto slow_lines = lines_with(slow_got, "guest3: ");
  ASSERT_LT(slow_lines.size(), want.size());
  for (std::size_t i = 0; i < slow_lines.size(); ++i)
    ASSERT_EQ(slow_lines[i], want[i]);
}

INSTANTIATE_TEST_SUITE_P(AllModels, ChatModels,
                         ::testing::Values(Model::thread, Model::pool, Model::loop,
                                           Model::reactors),
                         [](const auto& p) { return std::string(model_name(p.param)); });

}  // namespace
}  // namespace sockit
