// `sockit ftp -T`: how an upload is sent (chunks read and sent, or with --sendfile on a plain
// data connection sendfile(2)) and resumed
// uploads (-C - asks SIZE and appends the rest, -C N skips N bytes), against vsftpd and
// pyftpdlib.
#include <gtest/gtest.h>
#include <signal.h>
#include <cstdlib>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
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

// The bytes each descriptor moved in the successful calls of `call` in an strace log
// ("sendfile(5, 3, [0] => [N], M) = R", "pread64(3, ..., M, O) = R", "sendto(5, ...) = R").
std::map<int, std::uint64_t> bytes_by_fd(const std::string& log, const std::string& call) {
  std::map<int, std::uint64_t> total;
  std::size_t at = 0;
  const std::string open = call + "(";
  while ((at = log.find(open, at)) != std::string::npos) {
    const auto eol = log.find('\n', at);
    const int fd = std::stoi(log.substr(at + open.size()));
    const auto eq = log.rfind(") = ", eol);
    // "= -1 EAGAIN (...)": the socket was full, nothing sent.
    if (eq != std::string::npos && eq > at && std::isdigit(static_cast<unsigned char>(log[eq + 4])))
      total[fd] += std::stoull(log.substr(eq + 4));
    at = eol;
  }
  return total;
}

std::uint64_t sum(const std::map<int, std::uint64_t>& by_fd) {
  std::uint64_t n = 0;
  for (const auto& [fd, bytes] : by_fd)
    n += bytes;
  return n;
}

// Uploads `data` to vsftpd with `sockit ftp -T FILE extra...` under strace (the calls in
// `trace`, plus sendto: the STOR command marks where the upload starts); returns the log from
// the STOR on.
std::string traced_upload(const std::string& data, const std::vector<std::string>& extra,
                          const std::string& trace) {
  FtpTree tree;
  const auto src = FtpTree::write(tree.local("s.bin"), data);
  Vsftpd server(tree);
  EXPECT_TRUE(server.ok());
  const auto log = tree.local("strace.log");
  // LeakSanitizer cannot run under ptrace: in the asan build the traced tool skips its leak check.
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string asan_options =
      "ASAN_OPTIONS=" + std::string(asan != nullptr ? asan : "") + ":detect_leaks=0";
  std::vector<std::string> args = {
      "/usr/bin/env", asan_options, "/usr/bin/strace", "-f", "-qq", "-e", "trace=" + trace,
      "-o",           log,          sockit_bin(),      "ftp"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), {"-T", src, server.url("up/s.bin")});
  auto r = run(std::move(args), {}, 60000ms);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/s.bin") == data);
  // From the STOR on: the dynamic loader's reads of libraries (pread64 too) come before.
  const auto text = FtpTree::read_file(log);
  const auto stor = text.find("STOR up/s.bin");
  EXPECT_NE(stor, std::string::npos) << text.substr(0, 2000);
  return stor == std::string::npos ? text : text.substr(stor);
}

bool strace_works() {
  // strace comes from bootstrap; a container that forbids ptrace cannot run these checks at all.
  return run({"/usr/bin/strace", "-qq", "-o", "/dev/null", "/bin/true"}, {}, 10000ms).exit_code ==
         0;
}

}  // namespace

TEST(CliFtpUpload, SendfileOptionSendsTheFileWithSendfile) {
  if (!strace_works()) GTEST_SKIP() << "strace cannot trace here (ptrace not permitted)";
  const std::string data = pattern_bytes(8 * 1024 * 1024 + 3);
  const auto log = traced_upload(data, {"--sendfile"}, "sendfile,pread64,sendto");
  // Every byte went from the page cache to the socket: none was read into a buffer of ours.
  EXPECT_EQ(sum(bytes_by_fd(log, "sendfile")), data.size());
  EXPECT_EQ(sum(bytes_by_fd(log, "pread64")), 0U);
}

// The default, and what --no-sendfile asks for after a --sendfile (the last one wins).
class CliFtpUploadChunks : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(CliFtpUploadChunks, ReadsAndSendsTheFileInChunks) {
  if (!strace_works()) GTEST_SKIP() << "strace cannot trace here (ptrace not permitted)";
  const std::string data = pattern_bytes(8 * 1024 * 1024 + 3);
  const auto log = traced_upload(data, GetParam(), "sendfile,pread64,sendto");
  EXPECT_TRUE(bytes_by_fd(log, "sendfile").empty()) << log.substr(0, 2000);
  // The file was read from one descriptor, in 256 KiB chunks, ...
  const auto read = bytes_by_fd(log, "pread64");
  ASSERT_EQ(read.size(), 1U) << log.substr(0, 2000);
  EXPECT_EQ(read.begin()->second, data.size());
  EXPECT_NE(log.find(", 262144, 262144) = 262144\n"), std::string::npos) << log.substr(0, 2000);
  // ... and one descriptor (the data connection) sent exactly the file; the control
  // connection's commands are the only other sends.
  int data_fds = 0;
  for (const auto& [fd, bytes] : bytes_by_fd(log, "sendto"))
    if (bytes == data.size())
      ++data_fds;
    else
      EXPECT_LT(bytes, 4096U) << "fd " << fd;
  EXPECT_EQ(data_fds, 1) << log.substr(0, 2000);
}

INSTANTIATE_TEST_SUITE_P(Options, CliFtpUploadChunks,
                         ::testing::Values(std::vector<std::string>{},
                                           std::vector<std::string>{"--sendfile", "--no-sendfile"}),
                         [](const auto& p) { return p.index == 0 ? "Default" : "NoSendfileLast"; });

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
