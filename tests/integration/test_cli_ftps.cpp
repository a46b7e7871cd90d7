// `sockit ftp` over TLS: explicit AUTH TLS (--ssl, --ssl-reqd) and implicit ftps:// against
// vsftpd (require_ssl_reuse=YES: every data connection must resume the control connection's
// TLS session) and pyftpdlib's TLS_FTPHandler; certificates from a private test CA.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "cli_tls_support.hpp"
#include "ftp_peers.hpp"

using namespace sockit::test;

namespace {

RunResult sockit_ftp(std::vector<std::string> args) {
  args.insert(args.begin(), {sockit_bin(), "ftp"});
  return run(std::move(args), {}, std::chrono::milliseconds(30000));
}

std::string vsftpd_tls(const Pki& pki, bool implicit) {
  return "ssl_enable=YES\nallow_anon_ssl=YES\nforce_anon_logins_ssl=YES\n"
         "force_anon_data_ssl=YES\nrequire_ssl_reuse=YES\nrsa_cert_file=" +
         pki.server.cert + "\nrsa_private_key_file=" + pki.server.key + "\n" +
         (implicit ? "implicit_ssl=YES\n" : "");
}

}  // namespace

TEST(CliFtps, VsftpdExplicitDataConnectionsResumeTheControlSession) {
  Pki pki;
  FtpTree tree;
  const std::string data = pattern_bytes(1024 * 1024 + 3);
  tree.put("pub/d.bin", data);
  Vsftpd server(tree, vsftpd_tls(pki, false));
  ASSERT_TRUE(server.ok());
  auto down = sockit_ftp({"-v", "--ssl-reqd", "--cacert", pki.ca_file, "-o", tree.local("d.bin"),
                          server.url("pub/d.bin")});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.err.find("> AUTH TLS\n< 234 Proceed with negotiation.\n"), std::string::npos);
  EXPECT_NE(down.err.find("> PBSZ 0\n< 200 PBSZ set to 0.\n> PROT P\n< 200 PROT now Private.\n"),
            std::string::npos)
      << down.err;
  EXPECT_NE(down.err.find(", resumed the control connection's TLS session\n"), std::string::npos)
      << down.err;
  EXPECT_TRUE(FtpTree::read_file(tree.local("d.bin")) == data);
  auto up =
      sockit_ftp({"--ssl", "--cacert", pki.ca_file, "-T", tree.local("d.bin"), server.url("up/")});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/d.bin") == data);
  auto list = sockit_ftp({"--ssl-reqd", "--cacert", pki.ca_file, "-l", server.url("pub/")});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out, "pub/d.bin\n");
}

TEST(CliFtps, VsftpdImplicit) {
  Pki pki;
  FtpTree tree;
  tree.put("pub/x.txt", "implicit\n");
  Vsftpd server(tree, vsftpd_tls(pki, true));
  ASSERT_TRUE(server.ok());
  auto r = sockit_ftp({"--cacert", pki.ca_file,
                       "ftps://127.0.0.1:" + std::to_string(server.port()) + "/pub/x.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "implicit\n");
}

TEST(CliFtps, UnknownCaExits6AndTlsRequiredByTheServer) {
  Pki pki;
  FtpTree tree;
  tree.put("pub/x.txt", "x");
  Vsftpd server(tree, vsftpd_tls(pki, false));
  ASSERT_TRUE(server.ok());
  auto r = sockit_ftp({"--ssl-reqd", server.url("pub/x.txt")});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_EQ(r.err.rfind("sockit: cannot connect to 127.0.0.1 port " +
                            std::to_string(server.port()) + ": certificate verification failed",
                        0),
            0U)
      << r.err;
  // Without TLS the server refuses the anonymous login (force_anon_logins_ssl).
  auto plain = sockit_ftp({server.url("pub/x.txt")});
  EXPECT_EQ(plain.exit_code, 67) << plain.err;
}

TEST(CliFtps, PyftpdlibTlsHandler) {
  Pki pki;
  FtpTree tree;
  const std::string data = pattern_bytes(512 * 1024);
  tree.put("pub/p.bin", data);
  Pyftpd server(tree, "", "", pki.server.cert, pki.server.key);
  ASSERT_NE(server.port(), 0);
  auto down = sockit_ftp(
      {"--ssl-reqd", "--cacert", pki.ca_file, "-o", tree.local("p.bin"), server.url("pub/p.bin")});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_TRUE(FtpTree::read_file(tree.local("p.bin")) == data);
  auto up = sockit_ftp(
      {"--ssl-reqd", "--cacert", pki.ca_file, "-T", tree.local("p.bin"), server.url("up/q.bin")});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_TRUE(FtpTree::read_file(tree.root + "/up/q.bin") == data);
  auto list = sockit_ftp({"--ssl-reqd", "--cacert", pki.ca_file, server.url("pub/")});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find(" p.bin\n"), std::string::npos) << list.out;
}

TEST(CliFtps, SslReqdAgainstAPlainServerExits6) {
  FtpTree tree;
  tree.put("pub/x.txt", "plain\n");
  Pyftpd server(tree);
  ASSERT_NE(server.port(), 0);
  auto r = sockit_ftp({"--ssl-reqd", server.url("pub/x.txt")});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_NE(r.err.find("the server refused TLS"), std::string::npos) << r.err;
  // --ssl goes on in the clear when the server has no TLS (curl's --ssl), and says so with -v.
  auto t = sockit_ftp({"-v", "--ssl", server.url("pub/x.txt")});
  EXPECT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(t.out, "plain\n");
  EXPECT_NE(t.err.find("sockit: the server refused AUTH TLS: going on without TLS\n"),
            std::string::npos)
      << t.err;
}
