// `sockit ftp -T`: how an upload is sent (sendfile on a plain data connection).
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <string>

#include "ftp_peers.hpp"

using namespace sockit::test;
using namespace std::chrono_literals;

namespace {

// The bytes given to sendfile(2) calls in an strace log ("sendfile(5, 3, [0] => [N], M) = R").
std::uint64_t sendfile_bytes(const std::string& log) {
  std::uint64_t total = 0;
  std::size_t at = 0;
  while ((at = log.find("sendfile(", at)) != std::string::npos) {
    const auto eol = log.find('\n', at);
    const auto eq = log.rfind(") = ", eol);
    // "= -1 EAGAIN (...)": the socket was full, nothing sent.
    if (eq != std::string::npos && eq > at && std::isdigit(static_cast<unsigned char>(log[eq + 4])))
      total += std::stoull(log.substr(eq + 4));
    at = eol;
  }
  return total;
}

}  // namespace

TEST(CliFtpUpload, PlainUploadSendsTheFileWithSendfile) {
  FtpTree tree;
  const std::string data = pattern_bytes(8 * 1024 * 1024 + 3);
  const auto src = FtpTree::write(tree.local("s.bin"), data);
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  const auto log = tree.local("strace.log");
  auto r = run({"/usr/bin/strace", "-f", "-qq", "-e", "trace=sendfile", "-o", log, sockit_bin(),
                "ftp", "-T", src, server.url("up/s.bin")},
               {}, 60000ms);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/s.bin") == data);
  // Every byte went from the page cache to the socket: none was read into a buffer of ours.
  EXPECT_EQ(sendfile_bytes(FtpTree::read_file(log)), data.size());
}
