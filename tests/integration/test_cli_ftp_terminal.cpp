// What `sockit ftp` shows on a terminal (the progress meter, run under a pseudo-terminal by
// pty_run.py) and TYPE A (--ascii): the bytes that arrive, as vsftpd and pyftpdlib convert
// line ends on their side.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <string>

#include "ftp_peers.hpp"

using namespace sockit::test;

namespace {

RunResult sockit_ftp(std::vector<std::string> args) {
  args.insert(args.begin(), {sockit_bin(), "ftp"});
  return run(std::move(args), {}, std::chrono::milliseconds(60000));
}

// `sockit ftp ARGS` with stderr on a terminal: what the terminal received.
RunResult on_terminal(std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/python3", ftp_script("pty_run.py"), sockit_bin(), "ftp"});
  return run(std::move(args), {}, std::chrono::milliseconds(60000));
}

// The meter's drawings ("\r" + figures), any number of them, then the final one: all of
// `total_mb` at 100%, then the end of the line.
std::regex meter(const std::string& total_mb) {
  // The first drawing, at the first data, has no rate yet.
  const std::string figures =
      " +[0-9]+\\.[0-9] MB of " + total_mb + " MB +[0-9]+%(  +[0-9]+\\.[0-9] MB/s )?";
  return std::regex("(\r" + figures + ")*\r +" + total_mb + " MB of " + total_mb +
                    " MB 100%  +[0-9]+\\.[0-9] MB/s \n");
}

}  // namespace

TEST(CliFtpTerminal, ProgressMeterEndsWithTheTrueTotals) {
  FtpTree tree;
  const std::string data = pattern_bytes(4200000);
  tree.put("pub/p.bin", data);
  const auto src = FtpTree::write(tree.local("u.bin"), data);
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  auto down = on_terminal({"-o", tree.local("p.bin"), server.url("pub/p.bin")});
  ASSERT_EQ(down.exit_code, 0) << down.out;
  EXPECT_TRUE(std::regex_match(down.out, meter("4.2"))) << down.out;
  EXPECT_TRUE(FtpTree::read_file(tree.local("p.bin")) == data);
  auto up = on_terminal({"-T", src, server.url("up/u.bin")});
  ASSERT_EQ(up.exit_code, 0) << up.out;
  EXPECT_TRUE(std::regex_match(up.out, meter("4.2"))) << up.out;
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/u.bin") == data);
}

TEST(CliFtpTerminal, NoMeterWithNoProgressVerboseOrADownloadToTheTerminal) {
  FtpTree tree;
  tree.put("pub/p.bin", pattern_bytes(300000));
  Vsftpd server(tree);
  ASSERT_TRUE(server.ok());
  auto quiet = on_terminal({"--no-progress", "-o", tree.local("a"), server.url("pub/p.bin")});
  ASSERT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.out, "");
  auto verbose = on_terminal({"-v", "-o", tree.local("b"), server.url("pub/p.bin")});
  ASSERT_EQ(verbose.exit_code, 0);
  EXPECT_EQ(verbose.out.find(" MB/s"), std::string::npos) << verbose.out;
  auto listing = on_terminal({server.url("pub/")});
  ASSERT_EQ(listing.exit_code, 0);
  EXPECT_EQ(listing.out, "");
}

TEST(CliFtpAscii, VsftpdLineEndsBothWays) {
  FtpTree tree;
  tree.put("pub/t.txt", "one\ntwo\r\nthree\rfour\n");
  const auto src = FtpTree::write(tree.local("u.txt"), "a\nb\r\nc\rd\n\n");
  Vsftpd server(tree, "ascii_upload_enable=YES\nascii_download_enable=YES\n");
  ASSERT_TRUE(server.ok());
  auto down = sockit_ftp({"-v", "--ascii", "-o", tree.local("t.txt"), server.url("pub/t.txt")});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.err.find("> TYPE A\n< 200 "), std::string::npos) << down.err;
  // vsftpd sends a lone LF as CRLF and leaves CRLF as it is; the client turns CRLF into LF.
  EXPECT_EQ(FtpTree::read_file(tree.local("t.txt")), "one\ntwo\nthree\rfour\n");
  auto up = sockit_ftp({"--ascii", "-T", src, server.url("up/u.txt")});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  // On the wire every line ends in CRLF (none as CR CRLF); vsftpd stores CRLF as LF.
  EXPECT_EQ(FtpTree::read_file(tree.root + "/up/u.txt"), "a\nb\nc\rd\n\n");
}

TEST(CliFtpAscii, PyftpdlibLineEndsBothWays) {
  FtpTree tree;
  tree.put("pub/t.txt", "one\ntwo\r\nthree\rfour\n");
  const auto src = FtpTree::write(tree.local("u.txt"), "a\nb\r\nc\rd\n\n");
  Pyftpd server(tree);
  ASSERT_NE(server.port(), 0);
  auto down = sockit_ftp({"--ascii", "-o", tree.local("t.txt"), server.url("pub/t.txt")});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  // pyftpdlib sends a lone LF as CRLF and leaves CRLF as it is.
  EXPECT_EQ(FtpTree::read_file(tree.local("t.txt")), "one\ntwo\nthree\rfour\n");
  auto up = sockit_ftp({"--ascii", "-T", src, server.url("up/u.txt")});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  // pyftpdlib stores CRLF as LF.
  EXPECT_EQ(FtpTree::read_file(tree.root + "/up/u.txt"), "a\nb\nc\rd\n\n");
}
