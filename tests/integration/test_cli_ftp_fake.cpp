// `sockit ftp` against a scripted server (ftp_fake_server.py) for what real servers do not do
// on request: a PASV reply naming another host, a data connection cut short, a reply that is
// not FTP, a data connection that never delivers.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "ftp_peers.hpp"

using namespace sockit::test;

namespace {

RunResult sockit_ftp(std::vector<std::string> args) {
  args.insert(args.begin(), {sockit_bin(), "ftp"});
  return run(std::move(args), {}, std::chrono::milliseconds(20000));
}

std::string payload(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out += static_cast<char>(i % 256);
  return out;
}

}  // namespace

TEST(CliFtpFake, PasvAddressIsIgnoredAndTheClientStaysOnTheServer) {
  FakeFtp server("pasv_elsewhere");
  ASSERT_NE(server.port(), 0);
  auto r = sockit_ftp({"-v", server.url("data")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, payload(1000));
  EXPECT_NE(r.err.find("> EPSV\n< 500 EPSV not understood\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sockit: ignoring the address 10.0.0.1 in the PASV reply; connecting to "
                       "127.0.0.1 (--ftp-pasv-trust-address uses it)\n"),
            std::string::npos)
      << r.err;
  // The server saw the data connection come to its own address on 127.0.0.1.
  EXPECT_NE(r.err.find("< 226 done, data peer was 127.0.0.1\n"), std::string::npos) << r.err;
}

TEST(CliFtpFake, TrustedPasvAddressIsUsed) {
  // The reply names 127.0.0.2, where nothing listens: trusting it makes the connect fail.
  FakeFtp server("pasv_other_lo");
  ASSERT_NE(server.port(), 0);
  auto r = sockit_ftp({"--ftp-pasv-trust-address", server.url("data")});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_EQ(r.err, "sockit: RETR data: Connection refused (nothing listens on that port)\n");
}

TEST(CliFtpFake, DataConnectionClosedEarlyIsAnErrorAndThePartialFileIsKept) {
  FakeFtp server("early_close");
  ASSERT_NE(server.port(), 0);
  FtpTree tree;
  const auto file = tree.local("out.bin");
  auto r = sockit_ftp({"-o", file, server.url("data")});
  EXPECT_EQ(r.exit_code, 18) << r.err;
  EXPECT_EQ(r.err,
            "sockit: RETR data: the transfer ended short: 300 of 1000 bytes arrived, though the "
            "server answered 226\nsockit: kept the partial file " +
                file + " (300 bytes); -C - resumes\n");
  EXPECT_EQ(FtpTree::read_file(file), payload(300));
}

TEST(CliFtpFake, AbortedTransferExplainsTheReply) {
  FakeFtp server("early_426");
  ASSERT_NE(server.port(), 0);
  FtpTree tree;
  const auto file = tree.local("out.bin");
  auto r = sockit_ftp({"-o", file, server.url("data")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err,
            "sockit: RETR data: the server answered 426 connection closed; aborted (the data "
            "connection closed during the transfer: a firewall, or the server ended it)\n"
            "sockit: kept the partial file " +
                file + " (300 bytes); -C - resumes\n");
  EXPECT_EQ(FtpTree::read_file(file), payload(300));
}

TEST(CliFtpFake, MalformedReply) {
  FakeFtp server("malformed");
  ASSERT_NE(server.port(), 0);
  auto r = sockit_ftp({server.url("data")});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err,
            "sockit: login as 'anonymous': the server's answer is not an FTP reply (malformed "
            "frame)\n");
}

TEST(CliFtpFake, DataThatNeverComesHitsTheDeadline) {
  FakeFtp server("never_data");
  ASSERT_NE(server.port(), 0);
  const auto start = std::chrono::steady_clock::now();
  auto r = sockit_ftp({"-m", "1", server.url("data")});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_EQ(r.err,
            "sockit: RETR data: the deadline passed before the operation finished (no answer "
            "within the time allowed)\n");
  EXPECT_LT(took, std::chrono::seconds(6));
}

TEST(CliFtpFake, ActiveModeAcceptsOnlyTheServer) {
  FakeFtp server("active_rogue");
  ASSERT_NE(server.port(), 0);
  auto r = sockit_ftp({"-v", "-P", "127.0.0.1", server.url("data")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, payload(1000));
  EXPECT_NE(r.err.find("sockit: refused a data connection from 127.0.0.2:"), std::string::npos)
      << r.err;
}
