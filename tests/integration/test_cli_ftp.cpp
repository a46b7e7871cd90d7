// `sockit ftp` against real servers started by the test: vsftpd 3.0.3 (LIST, no MLSD) and
// pyftpdlib (MLSD), passive and active, downloads and uploads checked byte for byte.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

#include "ftp_peers.hpp"

using namespace sockit::test;

namespace {

RunResult sockit_ftp(std::vector<std::string> args) {
  args.insert(args.begin(), {sockit_bin(), "ftp"});
  return run(std::move(args), {}, std::chrono::milliseconds(60000));
}

// A listing's entries by name: "type size" for each parsed one.
std::map<std::string, std::string> by_name(const std::string& json_text) {
  std::map<std::string, std::string> out;
  const auto doc = nlohmann::json::parse(json_text);
  for (const auto& e : doc.at("entries")) {
    if (!e.at("parsed").get<bool>()) continue;
    out[e.at("name").get<std::string>()] =
        e.at("type").get<std::string>() + " " +
        (e.contains("size") ? std::to_string(e.at("size").get<std::uint64_t>()) : "-");
  }
  return out;
}

void fill_pub(const FtpTree& tree) {
  tree.put("pub/a b.txt", "hello\n");
  tree.put("pub/empty", "");
  std::filesystem::create_directories(tree.root + "/pub/sub dir");
}

const std::map<std::string, std::string> kPubListing = {
    {"a b.txt", "file 6"}, {"empty", "file 0"}, {"sub dir", "directory 4096"}};

}  // namespace

TEST(CliFtp, VsftpdListingIsParsedFromList) {
  FtpTree tree;
  fill_pub(tree);
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  auto r = sockit_ftp({"--json", server.url("pub/")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(by_name(r.out), kPubListing);
}

TEST(CliFtp, PyftpdlibListingIsParsedFromMlsd) {
  FtpTree tree;
  fill_pub(tree);
  Pyftpd server(tree);
  ASSERT_NE(server.port(), 0);
  auto r = sockit_ftp({"--json", server.url("pub/")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = by_name(r.out);
  EXPECT_EQ(got.size(), 3U);
  EXPECT_EQ(got["a b.txt"], "file 6");
  EXPECT_EQ(got["empty"], "file 0");
  EXPECT_EQ(got["sub dir"].substr(0, 10), "directory ");
  EXPECT_NE(r.out.find("\"modify\""), std::string::npos);  // MLSD facts are there
  auto names = sockit_ftp({"-l", server.url("pub/")});
  ASSERT_EQ(names.exit_code, 0) << names.err;
  EXPECT_EQ(names.out, "a b.txt\nempty\nsub dir\n");
}

TEST(CliFtp, VsftpdDownloadAndUpload64MiBByteExact) {
  FtpTree tree;
  const std::string big = pattern_bytes(64 * 1024 * 1024);
  tree.put("pub/big.bin", big);
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  const auto file = tree.local("big.bin");
  auto down = sockit_ftp({"-o", file, server.url("pub/big.bin")});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(down.err, "");
  EXPECT_TRUE(FtpTree::read_file(file) == big);
  auto up = sockit_ftp({"-T", file, server.url("up/")});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/big.bin") == big);
}

TEST(CliFtp, PyftpdlibDownloadAndUploadActiveAndPassive) {
  FtpTree tree;
  const std::string data = pattern_bytes(3 * 1024 * 1024 + 17);
  tree.put("pub/d.bin", data);
  Pyftpd server(tree);
  ASSERT_NE(server.port(), 0);
  for (const bool active : {false, true}) {
    std::vector<std::string> mode =
        active ? std::vector<std::string>{"-P", "127.0.0.1"} : std::vector<std::string>{};
    auto args = mode;
    args.insert(args.end(), {"-v", "-o", tree.local("d.bin"), server.url("pub/d.bin")});
    auto down = sockit_ftp(args);
    ASSERT_EQ(down.exit_code, 0) << down.err;
    EXPECT_NE(down.err.find(active ? "> EPRT |1|127.0.0.1|" : "> EPSV\n"), std::string::npos);
    EXPECT_TRUE(FtpTree::read_file(tree.local("d.bin")) == data);
    args = mode;
    const std::string name = active ? "up/active.bin" : "up/passive.bin";
    args.insert(args.end(), {"-T", tree.local("d.bin"), server.url(name)});
    auto up = sockit_ftp(args);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    EXPECT_TRUE(FtpTree::read_file(tree.root + "/" + name) == data);
  }
}

TEST(CliFtp, VsftpdActiveMode) {
  FtpTree tree;
  const std::string data = pattern_bytes(1024 * 1024);
  tree.put("pub/d.bin", data);
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  auto r = sockit_ftp({"-v", "-P", "-", "-o", tree.local("d.bin"), server.url("pub/d.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("< 200 EPRT command successful. Consider using EPSV.\n"), std::string::npos)
      << r.err;
  EXPECT_TRUE(FtpTree::read_file(tree.local("d.bin")) == data);
}

TEST(CliFtp, ResumeCompletesAnInterruptedDownload) {
  FtpTree tree;
  const std::string data = pattern_bytes(2 * 1024 * 1024 + 5);
  tree.put("pub/r.bin", data);
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  const auto file = FtpTree::write(tree.local("r.bin"), data.substr(0, 700000));
  auto r = sockit_ftp({"-v", "-C", "-", "-o", file, server.url("pub/r.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("> REST 700000\n< 350 "), std::string::npos) << r.err;
  EXPECT_TRUE(FtpTree::read_file(file) == data);
}

TEST(CliFtp, AppendAddsToTheRemoteFile) {
  FtpTree tree;
  tree.put("up/log.txt", "first\n");
  const auto more = FtpTree::write(tree.local("more.txt"), "second\n");
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  auto r = sockit_ftp({"-a", "-T", more, server.url("up/log.txt")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(FtpTree::read_file(tree.root + "/up/log.txt"), "first\nsecond\n");
}

TEST(CliFtp, MissingFileExits9AndCreatesNoFile) {
  FtpTree tree;
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  const auto file = tree.local("nope");
  auto r = sockit_ftp({"-o", file, server.url("pub/nope")});
  EXPECT_EQ(r.exit_code, 9);
  EXPECT_EQ(r.err,
            "sockit: RETR pub/nope: the server answered 550 Could not get file size. (no such "
            "file or directory, or no permission)\n");
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST(CliFtp, WrongPasswordExits67AndThePasswordIsNeverShown) {
  FtpTree tree;
  Pyftpd server(tree, "alice", "right-pw");
  ASSERT_NE(server.port(), 0);
  auto r = sockit_ftp({"-v", "-u", "alice:wrong-pw", server.url("")});
  EXPECT_EQ(r.exit_code, 67);
  EXPECT_NE(r.err.find("> PASS ****\n"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("wrong-pw"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sockit: login as 'alice': the server answered 530 Authentication "
                       "failed. (wrong user name or password, or this user may not log in)\n"),
            std::string::npos)
      << r.err;
  auto ok =
      sockit_ftp({"-l", "ftp://alice:right-pw@127.0.0.1:" + std::to_string(server.port()) + "/"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "pub\nup\n");
}

TEST(CliFtp, QuoteCreateDirsAndRemoteTime) {
  FtpTree tree;
  tree.put("up/old.txt", "x");
  const auto src = FtpTree::write(tree.local("n.txt"), "new\n");
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  auto r = sockit_ftp(
      {"-Q", "DELE up/old.txt", "--ftp-create-dirs", "-T", src, server.url("up/a/b/n.txt")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tree.root + "/up/old.txt"));
  EXPECT_EQ(FtpTree::read_file(tree.root + "/up/a/b/n.txt"), "new\n");
  auto bad = sockit_ftp({"-Q", "DELE up/missing", server.url("up/")});
  EXPECT_EQ(bad.exit_code, 9);
  EXPECT_EQ(bad.err,
            "sockit: -Q 'DELE up/missing': the server answered 550 Delete operation failed. (no "
            "such file or directory, or no permission)\n");
  // -R: the download gets the remote file's time.
  struct timespec t[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (tree.root + "/up/a/b/n.txt").c_str(), t, 0), 0);
  auto got = sockit_ftp({"-R", "-o", tree.local("got.txt"), server.url("up/a/b/n.txt")});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  struct stat st {};
  ASSERT_EQ(::stat(tree.local("got.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 1000000000);
}

TEST(CliFtp, UsageErrors) {
  auto r = sockit_ftp({"http://x/"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: http://x/: the URL must start with ftp:// or ftps://\n");
  r = sockit_ftp({"-a", "ftp://127.0.0.1/x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sockit: -a/--append needs -T FILE\n");
  r = sockit_ftp({"ftp://127.0.0.1/a%0d%0aDELE%20x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "sockit: ftp://127.0.0.1/a%0d%0aDELE%20x: the URL decodes to a line break (%0D or "
            "%0A), which FTP commands cannot carry\n");
}

TEST(CliFtp, HelpNamesTheCommandAndItsExitCodes) {
  auto top = run({sockit_bin(), "--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("\n  ftp "), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("  9  ftp: remote file refused (no such file, or no permission)\n"
                         " 18  http, ftp: a body or transfer ended short (what arrived is kept)\n"
                         " 22  http -f: the server answered with a status of 400 or more\n"
                         " 36  ftp -C: cannot resume (the remote file is bigger than the local "
                         "one)\n"
                         " 67  ftp: login denied (wrong user name or password)\n"),
            std::string::npos)
      << top.out;
  auto r = sockit_ftp({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Usage: sockit ftp [OPTIONS] URL\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Examples:\n  sockit ftp "), std::string::npos) << r.out;
}
