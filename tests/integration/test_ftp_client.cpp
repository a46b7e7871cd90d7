// ftp::Client, the library API, against pyftpdlib and vsftpd: login, listing, retrieve into
// memory with an offset, store from memory, the reply behind an error, and the observers.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "ftp_peers.hpp"
#include "sockit/ftp/client.hpp"

using namespace sockit;
using namespace sockit::test;

namespace {

ftp::Sink into(std::string& out) {
  return [&out](std::span<const std::byte> b) -> Status {
    out.append(reinterpret_cast<const char*>(b.data()), b.size());
    return {};
  };
}

ftp::Source from(const std::string& in, std::size_t& at) {
  return [&in, &at](std::span<std::byte> b) -> Result<std::size_t> {
    const std::size_t n = std::min(b.size(), in.size() - at);
    std::memcpy(b.data(), in.data() + at, n);
    at += n;
    return n;
  };
}

}  // namespace

TEST(FtpClient, RetrieveStoreListAgainstPyftpdlib) {
  FtpTree tree;
  const std::string data = pattern_bytes(300000);
  tree.put("pub/f.bin", data);
  Pyftpd server(tree, "u", "p");
  ASSERT_NE(server.port(), 0);
  std::vector<std::string> commands;
  ftp::ClientOptions options;
  options.on_command = [&](std::string_view c) { commands.emplace_back(c); };
  auto c = ftp::Client::connect("127.0.0.1", std::to_string(server.port()), options);
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_TRUE(c->login("u", "p"));
  EXPECT_EQ(c->last_reply().code, 200);  // TYPE I after 230
  ASSERT_EQ(commands.size(), 3U);
  EXPECT_EQ(commands[1], "PASS ****");

  std::string got;
  auto r = c->retrieve("pub/f.bin", into(got), 1000);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->bytes, data.size() - 1000);
  EXPECT_EQ(r->expected, data.size() - 1000);
  EXPECT_TRUE(got == data.substr(1000));

  std::size_t at = 0;
  auto s = c->store("up/g.bin", from(data, at));
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->bytes, data.size());
  at = 0;
  ASSERT_TRUE(c->store("up/g.bin", from(data, at), true));
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/g.bin") == data + data);

  auto entries = c->list("up");
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1U);
  EXPECT_EQ((*entries)[0].name, "g.bin");
  EXPECT_EQ((*entries)[0].size, 2 * data.size());
  EXPECT_EQ((*entries)[0].type, FtpEntryType::file);

  std::string none;
  auto missing = c->retrieve("pub/none", into(none));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), ftp::FtpErrc::file_unavailable);
  EXPECT_EQ(c->last_reply().code, 550);
  EXPECT_TRUE(c->quit());
}

TEST(FtpClient, VsftpdFallsBackToListAndSaysSo) {
  FtpTree tree;
  tree.put("pub/x", "12345");
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  std::vector<std::string> notes;
  ftp::ClientOptions options;
  options.on_note = [&](std::string_view n) { notes.emplace_back(n); };
  auto c = ftp::Client::connect("127.0.0.1", std::to_string(server.port()), options);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->login("anonymous", "x"));
  auto entries = c->list("pub");
  ASSERT_TRUE(entries) << entries.error().message();
  ASSERT_EQ(entries->size(), 1U);
  EXPECT_TRUE((*entries)[0].parsed);
  EXPECT_EQ((*entries)[0].name, "x");
  EXPECT_EQ((*entries)[0].size, 5U);
  EXPECT_EQ(notes, std::vector<std::string>{"the server does not support MLSD: using LIST"});
  auto when = c->modification_time("pub/x");
  ASSERT_TRUE(when && *when);
  EXPECT_NE((*when)->year, 0);
}
