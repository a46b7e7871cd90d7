// `sockit mail` with TLS and AUTH against aiosmtpd: STARTTLS (--ssl, --ssl-reqd), smtps://,
// certificate checks, AUTH PLAIN and LOGIN with credentials kept out of -v, and no password
// over plaintext unless --insecure.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "test_cli_mail_support.hpp"

namespace sockit::test {
namespace {

std::vector<std::string> send_args(const std::string& url, std::vector<std::string> extra) {
  std::vector<std::string> args{
      "mail", url, "--mail-from", "alice@example.org", "--mail-rcpt", "bob@example.org"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string where(const AioSmtpd& s) {
  return "127.0.0.1 port " + std::to_string(s.port);
}

TEST(CliMailTls, StarttlsRequired) {
  Pki pki;
  AioSmtpd server({"--cert", pki.server.cert, "--key", pki.server.key});
  ASSERT_NE(server.port, 0);
  const RunResult r =
      sockit(send_args(server.url(), {"--ssl-reqd", "--cacert", pki.ca_file, "-v"}), "hi\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(server.message(1));
  EXPECT_EQ(*server.message(1), "hi\r\n");
  const auto tls = r.err.find("\n> STARTTLS\n< 220 Ready to start TLS\n* TLS: TLSv1.3, ");
  ASSERT_NE(tls, std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\n> EHLO ", tls), std::string::npos) << r.err;
}

TEST(CliMailTls, ImplicitTls) {
  Pki pki;
  AioSmtpd server({"--cert", pki.server.cert, "--key", pki.server.key, "--implicit"});
  const RunResult r = sockit(send_args(server.url("smtps"), {"--cacert", pki.ca_file}), "hi\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server.message(1), "hi\r\n");
}

TEST(CliMailTls, UnknownCaIsATlsFailure) {
  Pki pki;
  AioSmtpd server({"--cert", pki.server.cert, "--key", pki.server.key});
  const RunResult r = sockit(send_args(server.url(), {"--ssl-reqd"}), "hi\n");
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(r.err.rfind("sockit: TLS handshake after STARTTLS with " + where(server) + ": ", 0), 0U)
      << r.err;
  EXPECT_EQ(server.count(), 0);
}

TEST(CliMailTls, SslGoesOnWithoutTlsWhenNotOffered) {
  AioSmtpd server;
  const RunResult r = sockit(send_args(server.url(), {"--ssl"}), "hi\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "sockit: warning: " + where(server) +
                       " does not offer STARTTLS: going on without TLS (--ssl-reqd refuses)\n");
  EXPECT_EQ(server.message(1), "hi\r\n");
}

TEST(CliMailTls, SslReqdFailsWhenNotOffered) {
  AioSmtpd server;
  const RunResult r = sockit(send_args(server.url(), {"--ssl-reqd"}), "hi\n");
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(r.err,
            "sockit: " + where(server) + " does not offer STARTTLS (--ssl-reqd): nothing sent\n");
  EXPECT_EQ(server.count(), 0);
}

TEST(CliMailTls, ServerThatRequiresStarttls) {
  Pki pki;
  AioSmtpd server({"--cert", pki.server.cert, "--key", pki.server.key, "--require-starttls"});
  const RunResult r = sockit(send_args(server.url(), {}), "hi\n");
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.err,
            "sockit: sender <alice@example.org> refused: 530 Must issue a STARTTLS command first "
            "(authentication or STARTTLS required first)\n");
}

TEST(CliMailTls, AuthPlainCredentialsNeverShown) {
  Pki pki;
  AioSmtpd server({"--cert", pki.server.cert, "--key", pki.server.key, "--auth", "user:s3cret"});
  const RunResult r = sockit(
      send_args(server.url(), {"--ssl-reqd", "--cacert", pki.ca_file, "-u", "user:s3cret", "-v"}),
      "hi\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("\n> AUTH PLAIN [credentials hidden]\n< 235 2.7.0 Authentication "
                       "successful\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("s3cret"), std::string::npos);
  EXPECT_EQ(r.err.find("AHVzZXIAczNjcmV0"), std::string::npos);  // base64 of the credentials
  EXPECT_EQ(server.message(1), "hi\r\n");
}

// Offered CRAM-MD5 is chosen first (curl's order) and checked by aiosmtpd with Python's hmac;
// the password never crosses the wire; a wrong one is 535 and exit 7.
TEST(CliMailTls, AuthCramMd5PreferredWhenOffered) {
  Pki pki;
  AioSmtpd server(
      {"--cert", pki.server.cert, "--key", pki.server.key, "--auth", "user:s3cret", "--cram-md5"});
  const RunResult r = sockit(
      send_args(server.url(), {"--ssl-reqd", "--cacert", pki.ca_file, "-u", "user:s3cret", "-v"}),
      "hi\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("\n> AUTH CRAM-MD5\n< 334 [A-Za-z0-9+/]+=*\n"
                                                  "> \\[credentials hidden\\]\n< 235 2.7.0 "
                                                  "Authentication successful\n")))
      << r.err;
  EXPECT_EQ(r.err.find("s3cret"), std::string::npos);
  EXPECT_EQ(server.message(1), "hi\r\n");
  const RunResult wrong = sockit(
      send_args(server.url(), {"--ssl-reqd", "--cacert", pki.ca_file, "-u", "user:wrong"}), "hi\n");
  EXPECT_EQ(wrong.exit_code, 7);
  EXPECT_EQ(wrong.err,
            "sockit: authentication failed: 535 5.7.8 Authentication credentials invalid "
            "(authentication failed: wrong user name or password)\n");
  EXPECT_EQ(server.count(), 1);
  // AUTH=PLAIN still picks PLAIN when CRAM-MD5 is offered too.
  const RunResult plain =
      sockit(send_args(server.url(), {"--ssl-reqd", "--cacert", pki.ca_file, "-u", "user:s3cret",
                                      "--login-options", "AUTH=PLAIN", "-v"}),
             "hi\n");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.err.find("\n> AUTH PLAIN [credentials hidden]\n"), std::string::npos)
      << plain.err;
}

TEST(CliMailTls, AuthLogin) {
  Pki pki;
  AioSmtpd server({"--cert", pki.server.cert, "--key", pki.server.key, "--auth", "user:s3cret"});
  const RunResult r =
      sockit(send_args(server.url(), {"--ssl-reqd", "--cacert", pki.ca_file, "-u", "user:s3cret",
                                      "--login-options", "AUTH=LOGIN", "-v"}),
             "hi\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("\n> AUTH LOGIN\n< 334 VXNlciBOYW1lAA==\n> [user name hidden]\n< 334 "
                       "UGFzc3dvcmQA\n> [password hidden]\n< 235 "),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("czNjcmV0"), std::string::npos);  // base64 of the password
  EXPECT_EQ(server.message(1), "hi\r\n");
}

TEST(CliMailTls, WrongPassword) {
  Pki pki;
  AioSmtpd server({"--cert", pki.server.cert, "--key", pki.server.key, "--auth", "user:s3cret"});
  const RunResult r = sockit(
      send_args(server.url(), {"--ssl-reqd", "--cacert", pki.ca_file, "-u", "user:wrong"}), "hi\n");
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.err,
            "sockit: authentication failed: 535 5.7.8 Authentication credentials invalid "
            "(authentication failed: wrong user name or password)\n");
  EXPECT_EQ(server.count(), 0);
}

TEST(CliMailTls, NoPasswordInTheClearWithoutInsecure) {
  AioSmtpd server({"--auth", "user:pw"});
  // --ssl asks for STARTTLS, but this server has none: the password stays home.
  RunResult r = sockit(send_args(server.url(), {"--ssl", "-u", "user:pw"}), "hi\n");
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(r.err, "sockit: warning: " + where(server) +
                       " does not offer STARTTLS: going on without TLS (--ssl-reqd refuses)\n"
                       "sockit: no TLS with " +
                       where(server) +
                       ": the password is not sent unencrypted (--insecure allows it)\n");
  EXPECT_EQ(server.count(), 0);
  r = sockit(send_args(server.url(), {"--insecure", "-u", "user:pw"}), "hi\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server.message(1), "hi\r\n");
}

}  // namespace
}  // namespace sockit::test
