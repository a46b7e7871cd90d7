// `sockit ftp -T`: how an upload is sent (sendfile on a plain data connection) and resumed
// uploads (-C - asks SIZE and appends the rest, -C N skips N bytes), against vsftpd and
// pyftpdlib.
#include <gtest/gtest.h>
#include <signal.h>
#include <cstdlib>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "ftp_peers.hpp"

using namespace sockit::test;
using namespace std::chrono_literals;

namespace {

RunResult sockit_ftp(std::vector<std::string> args) {
  args.insert(args.begin(), {sockit_bin(), "ftp"});
  return run(std::move(args), {}, std::chrono::milliseconds(60000));
}

std::uintmax_t size_or_zero(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

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
  // strace comes from bootstrap; a container that forbids ptrace cannot run this check at all.
  if (run({"/usr/bin/strace", "-qq", "-o", "/dev/null", "/bin/true"}, {}, 10000ms).exit_code != 0)
    GTEST_SKIP() << "strace cannot trace here (ptrace not permitted)";
  FtpTree tree;
  const std::string data = pattern_bytes(8 * 1024 * 1024 + 3);
  const auto src = FtpTree::write(tree.local("s.bin"), data);
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  const auto log = tree.local("strace.log");
  // LeakSanitizer cannot run under ptrace: in the asan build the traced tool skips its leak check.
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string asan_options =
      "ASAN_OPTIONS=" + std::string(asan != nullptr ? asan : "") + ":detect_leaks=0";
  auto r =
      run({"/usr/bin/env", asan_options, "/usr/bin/strace", "-f", "-qq", "-e", "trace=sendfile",
           "-o", log, sockit_bin(), "ftp", "-T", src, server.url("up/s.bin")},
          {}, 60000ms);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/s.bin") == data);
  // Every byte went from the page cache to the socket: none was read into a buffer of ours.
  EXPECT_EQ(sendfile_bytes(FtpTree::read_file(log)), data.size());
}

TEST(CliFtpUpload, ResumeCompletesAnInterruptedUploadToVsftpd) {
  FtpTree tree;
  const std::string data = pattern_bytes(64 * 1024 * 1024 + 11);
  const auto src = FtpTree::write(tree.local("big.bin"), data);
  const auto remote = tree.root + "/up/big.bin";
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  {  // The first upload is killed once part of the file has arrived.
    Process first({sockit_bin(), "ftp", "-T", src, server.url("up/big.bin")});
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (size_or_zero(remote) == 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(200us);
    first.signal(SIGKILL);
    first.wait(10000ms);
  }
  // vsftpd sees the data connection end and closes the file: wait until its size settles.
  std::uintmax_t seen = 0;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(50ms);
    const auto now = size_or_zero(remote);
    if (now == seen && now != 0) break;
    seen = now;
  }
  ASSERT_GT(seen, 0U);
  ASSERT_LT(seen, data.size()) << "the first upload was not interrupted";
  const auto local_before = FtpTree::read_file(src);
  auto r = sockit_ftp({"-v", "-C", "-", "-T", src, server.url("up/big.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("> SIZE up/big.bin\n< 213 " + std::to_string(seen) + "\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("> APPE up/big.bin\n"), std::string::npos) << r.err;
  EXPECT_TRUE(FtpTree::read_file(remote) == data);
  EXPECT_TRUE(FtpTree::read_file(src) == local_before);
}

TEST(CliFtpUpload, ResumeAtTheRemoteSizeOnPyftpdlib) {
  FtpTree tree;
  const std::string data = pattern_bytes(3 * 1024 * 1024 + 5);
  const auto src = FtpTree::write(tree.local("r.bin"), data);
  tree.put("up/r.bin", data.substr(0, 1234567));  // what an interrupted upload left
  Pyftpd server(tree);
  ASSERT_NE(server.port(), 0);
  auto r = sockit_ftp({"-v", "-C", "-", "-T", src, server.url("up/r.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("> SIZE up/r.bin\n< 213 1234567\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("> APPE up/r.bin\n"), std::string::npos) << r.err;
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/r.bin") == data);
}

TEST(CliFtpUpload, ResumeWithoutARemoteFileUploadsItAll) {
  FtpTree tree;
  const std::string data = pattern_bytes(100000);
  const auto src = FtpTree::write(tree.local("n.bin"), data);
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  auto r = sockit_ftp({"-v", "-C", "-", "-T", src, server.url("up/n.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("> SIZE up/n.bin\n< 550 "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("> STOR up/n.bin\n"), std::string::npos) << r.err;
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/n.bin") == data);
}

TEST(CliFtpUpload, ResumeAtAnExplicitOffsetSkipsThatMuchOfTheFile) {
  FtpTree tree;
  const std::string data = pattern_bytes(500000);
  const auto src = FtpTree::write(tree.local("o.bin"), data);
  tree.put("up/o.bin", data.substr(0, 200000));
  Pyftpd server(tree);
  ASSERT_NE(server.port(), 0);
  auto r = sockit_ftp({"-v", "-C", "200000", "-T", src, server.url("up/o.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("> SIZE "), std::string::npos) << r.err;  // the offset is given
  EXPECT_NE(r.err.find("> APPE up/o.bin\n"), std::string::npos) << r.err;
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/o.bin") == data);
}

TEST(CliFtpUpload, RemoteFileBiggerThanTheLocalOneExits36AndChangesNothing) {
  FtpTree tree;
  const std::string local = pattern_bytes(1000);
  const std::string remote = pattern_bytes(1500);
  const auto src = FtpTree::write(tree.local("b.bin"), local);
  tree.put("up/b.bin", remote);
  for (const bool vsftpd : {true, false}) {
    std::unique_ptr<Vsftpd> v;
    std::unique_ptr<Pyftpd> p;
    std::string url;
    if (vsftpd) {
      v = std::make_unique<Vsftpd>(tree);
      ASSERT_TRUE(v->ok());
      url = v->url("up/b.bin");
    } else {
      p = std::make_unique<Pyftpd>(tree);
      ASSERT_NE(p->port(), 0);
      url = p->url("up/b.bin");
    }
    auto r = sockit_ftp({"-C", "-", "-T", src, url});
    EXPECT_EQ(r.exit_code, 36) << r.err;
    EXPECT_EQ(r.err, "sockit: -C: cannot resume the upload: " + src +
                         " (1000 bytes) is shorter than the 1500 bytes already on the server "
                         "(nothing was sent)\n");
    EXPECT_TRUE(FtpTree::read_file(src) == local);
    EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/b.bin") == remote);
  }
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  auto r = sockit_ftp({"-C", "1001", "-T", src, server.url("up/b.bin")});
  EXPECT_EQ(r.exit_code, 36) << r.err;
  EXPECT_EQ(r.err, "sockit: -C: cannot resume the upload: " + src +
                       " (1000 bytes) is shorter than the 1001 bytes to skip (nothing was sent)\n");
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/b.bin") == remote);
}

TEST(CliFtpUpload, RemoteFileAlreadyCompleteIsNothingToDo) {
  FtpTree tree;
  const std::string data = pattern_bytes(4096);
  const auto src = FtpTree::write(tree.local("c.bin"), data);
  tree.put("up/c.bin", data);
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  auto r = sockit_ftp({"-v", "-C", "-", "-T", src, server.url("up/c.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("> APPE"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sockit: up/c.bin is already complete on the server (4096 bytes): "
                       "nothing to upload\n"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/c.bin") == data);
}

TEST(CliFtpUpload, ResumeUsageErrors) {
  auto r = sockit_ftp({"-C", "-", "-T", "-", "ftp://127.0.0.1:1/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: -C with -T -: a resumed upload skips into a file, not stdin\n");
  r = sockit_ftp({"-C", "-", "-a", "-T", "f", "ftp://127.0.0.1:1/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: -C and -a: a resumed upload appends already\n");
  r = sockit_ftp({"-C", "-", "-B", "-T", "f", "ftp://127.0.0.1:1/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "sockit: -C and --ascii: an offset counts bytes, which TYPE A changes on the "
            "way\n");
}
