// The output limit means what the peer is owed: bytes queued in the server plus those its
// kernel holds unacknowledged (issue 18: a non-reading chat client was owed about 4 MB before a
// 512 KiB limit tripped, the socket send buffer taking the rest). A chat member that never
// reads is dropped once the room has sent it about the limit, in every model.
#include <gtest/gtest.h>
#include <sys/ioctl.h>

#include <chrono>
#include <string>
#include <thread>

#include "sockit/server/server.hpp"
#include "sockit/services/services.hpp"
#include "support/server_fixture.hpp"

namespace sockit {
namespace {

using namespace std::chrono_literals;
using test::Client;

constexpr std::size_t kLimit = 512 * 1024;

// Bytes of the "guest3: " lines in `text` before `end` (each line with its '\n').
std::size_t line_bytes_before(const std::string& text, std::size_t end) {
  std::size_t n = 0, at = 0;
  while (at < end) {
    const auto eol = text.find('\n', at);
    if (eol == std::string::npos || eol >= end) break;
    if (text.compare(at, 8, "guest3: ") == 0) n += eol + 1 - at;
    at = eol + 1;
  }
  return n;
}

class OutputLimitModels : public ::testing::TestWithParam<Model> {};

TEST_P(OutputLimitModels, NonReaderIsDroppedOnceOwedTheLimitKernelIncluded) {
  auto chat = make_chat_service();
  ServerOptions options;
  options.model = GetParam();
  options.threads = 4;
  options.connection.output_limit = kLimit;  // as `serve --output-limit 524288` sets them
  options.connection.high_water = kLimit / 4;
  test::ServerThread server(*chat, options);  // send_buffer: the default
  ASSERT_NE(server.port(), 0);
  auto wait_members = [&](std::size_t n) {
    for (int i = 0; i < 500 && chat->members() != n; ++i)
      std::this_thread::sleep_for(10ms);
    return chat->members() == n;
  };
  Client slow(server.port());  // guest1: an ordinary socket that never reads
  ASSERT_TRUE(wait_members(1));
  Client fast(server.port());  // guest2
  std::string got = fast.read_until("welcome guest2");
  Client sender(server.port());  // guest3
  ASSERT_NE(sender.read_until("\n").find("welcome guest3"), std::string::npos);
  ASSERT_TRUE(wait_members(3));

  // Up to 8 MB, in chunks of 20 lines, each once the fast reader has the previous one, until
  // the non-reader is dropped.
  const std::string pad(1000, 'x');
  std::string chunk;
  int i = 0;
  for (; i < 8000 && chat->members() == 3; ++i) {
    chunk += "line " + std::to_string(i) + " " + pad + "\n";
    if (i % 20 == 19) {
      ASSERT_TRUE(sender.send(chunk));
      chunk.clear();
      got += fast.read_until("guest3: line " + std::to_string(i) + " ", 10s);
    }
  }
  ASSERT_TRUE(wait_members(2)) << "the non-reader was not dropped after " << i << " lines";
  // What its kernel accepted (it never read, and a closed window moves nothing more).
  int received = 0;
  ASSERT_EQ(::ioctl(slow.fd(), FIONREAD, &received), 0);
  if (got.find("* guest1 left\n") == std::string::npos) got += fast.read_until("* guest1 left\n");
  const auto left = got.find("* guest1 left\n");
  ASSERT_NE(left, std::string::npos);
  // Every room line the fast reader saw before the leave notice was sent to the non-reader too;
  // the notice may trail the drop by the lines in flight to it (at most a chunk, 20 KB).
  const std::size_t room = line_bytes_before(got, left);
  // `received` is read a moment after the drop, and the kernel may still have moved a little
  // into the non-reader's window meanwhile (it compacts its queue): hence the lower bound's slack.
  const std::size_t owed = room - static_cast<std::size_t>(received);
  EXPECT_GE(owed, kLimit - 128 * 1024) << "room " << room << ", received " << received;
  EXPECT_LE(owed, kLimit + 64 * 1024) << "room " << room << ", received " << received;
}

INSTANTIATE_TEST_SUITE_P(AllModels, OutputLimitModels,
                         ::testing::Values(Model::thread, Model::pool, Model::loop,
                                           Model::reactors),
                         [](const auto& p) { return std::string(model_name(p.param)); });

}  // namespace
}  // namespace sockit
