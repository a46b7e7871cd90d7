// `sockit serve smtp --ssl`: STARTTLS with smtplib and curl, the plaintext-injection attempt
// (CVE-2011-0411 class), and --auth (refused before TLS; CRAM-MD5, PLAIN and LOGIN after it).
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "serve_smtp_harness.hpp"
#include "sockit/codec/smtp_message.hpp"
#include "sockit/tls/digest.hpp"

namespace sockit::test {
namespace {

class ServeSmtpTls : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--maildir", dir_.maildir(), "--quiet", "--ssl"});
    server_ = start_smtp(extra);
    ASSERT_NE(server_.port, 0) << server_.process->err();
  }
  MailDir dir_;
  ServeChild server_;
};

TEST_F(ServeSmtpTls, SmtplibStartTls) {
  start();
  const std::string body = "Subject: tls\r\n\r\n.secret\r\n";
  const auto r = smtp_peer("send-tls", server_.port, body);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "starttls 220\nrefused 0\n");
  const auto stored = dir_.messages();
  ASSERT_EQ(stored.size(), 1u);
  const Stored s = split_stored(stored[0]);
  EXPECT_EQ(s.body, body);
  EXPECT_NE(s.received.find(" with ESMTPS id "), std::string::npos) << s.received;
}

TEST_F(ServeSmtpTls, CurlSslReqd) {
  start();
  const std::string body = "Subject: curl tls\r\n\r\nhello\r\n";
  MailDir files;
  const std::string file = files.maildir() + ".eml";
  std::ofstream(file, std::ios::binary) << body;
  const auto r =
      run({"curl", "-sS", "--ssl-reqd", "-k", "smtp://127.0.0.1:" + std::to_string(server_.port),
           "--mail-from", "a@x", "--mail-rcpt", "b@y", "-T", file});
  std::filesystem::remove(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto stored = dir_.messages();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(split_stored(stored[0]).body, body);
}

// What the client pipelined in plaintext after STARTTLS is never answered over TLS nor acted
// on: the first reply after the handshake is the EHLO's, and a MAIL then is not "nested".
TEST_F(ServeSmtpTls, PlaintextAfterStartTlsDiscarded) {
  start();
  const auto r = smtp_peer("injection", server_.port);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "plain 220 2.0.0 Ready to start TLS\n"
            "first-after-tls 250-sockit.localhost greets client.test\n"
            "mail 250 2.1.0 OK\n"
            "quit 221 2.0.0 sockit.localhost closing connection\n");
}

TEST_F(ServeSmtpTls, AuthRefusedBeforeTls) {
  start({"--auth", "user:secret"});
  const auto r = smtp_peer("auth-plaintext", server_.port);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "auth-offered False\nauth 538\nmail 530\n");
}

TEST_F(ServeSmtpTls, AuthAfterStartTls) {
  start({"--auth", "user:secret"});
  const auto ok =
      smtp_peer("send-auth", server_.port, "Subject: a\r\n\r\nx\r\n", {"tls", "user", "secret"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "starttls 220\nlogin 235\nrefused 0\n");
  const auto bad =
      smtp_peer("send-auth", server_.port, "Subject: a\r\n\r\nx\r\n", {"tls", "user", "wrong"});
  ASSERT_EQ(bad.exit_code, 0) << bad.err;
  EXPECT_EQ(bad.out, "starttls 220\nlogin 535\n");
  const auto stored = dir_.messages();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_NE(split_stored(stored[0]).received.find(" with ESMTPSA id "), std::string::npos);
}

TEST(ServeSmtpAuth, PlaintextAuthWithoutTlsConfigured) {
  MailDir dir;
  auto server = start_smtp({"--maildir", dir.maildir(), "--quiet", "--auth", "u:p"});
  ASSERT_NE(server.port, 0) << server.process->err();
  const auto ok =
      smtp_peer("send-auth", server.port, "Subject: a\r\n\r\nx\r\n", {"plain", "u", "p"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "login 235\nrefused 0\n");
  // curl's default mechanism here is CRAM-MD5 (smtplib above picked it too); --login-options
  // makes it use LOGIN.
  MailDir files;
  const std::string file = files.maildir() + ".eml";
  std::ofstream(file, std::ios::binary) << "Subject: b\r\n\r\ny\r\n";
  const auto login = run({"curl", "-sS", "--login-options", "AUTH=LOGIN", "-u", "u:p",
                          "smtp://127.0.0.1:" + std::to_string(server.port), "--mail-from", "a@x",
                          "--mail-rcpt", "b@y", "-T", file});
  EXPECT_EQ(login.exit_code, 0) << login.err;
  const auto wrong =
      run({"curl", "-sS", "-u", "u:bad", "smtp://127.0.0.1:" + std::to_string(server.port),
           "--mail-from", "a@x", "--mail-rcpt", "b@y", "-T", file});
  std::filesystem::remove(file);
  EXPECT_EQ(wrong.exit_code, 67) << wrong.err;  // CURLE_LOGIN_DENIED
  EXPECT_EQ(dir.messages().size(), 2u);
}

// The SASL dialogues byte for byte: PLAIN with an empty challenge, LOGIN's two prompts, a
// cancelled exchange, and MAIL refused until AUTH succeeds.
TEST(ServeSmtpAuth, RawPlainAndLoginDialogues) {
  auto server = start_smtp({"--quiet", "--auth", "u:p"});
  ASSERT_NE(server.port, 0) << server.process->err();
  const auto talk = [](int fd, std::string_view send, int replies) {
    EXPECT_TRUE(send_all(fd, send));
    return read_replies(fd, replies).data;
  };
  Fd a(tcp_connect(server.port));
  read_replies(a.get(), 1);
  EXPECT_NE(talk(a.get(), "EHLO c\r\n", 1).find("250-AUTH CRAM-MD5 PLAIN LOGIN\r\n"),
            std::string::npos);
  EXPECT_EQ(talk(a.get(), "MAIL FROM:<a@x>\r\n", 1), "530 5.7.0 Authentication required\r\n");
  EXPECT_EQ(talk(a.get(), "AUTH PLAIN\r\n", 1), "334 \r\n");
  EXPECT_EQ(talk(a.get(), "*\r\n", 1), "501 5.0.0 Authentication cancelled\r\n");
  EXPECT_EQ(talk(a.get(), "AUTH PLAIN\r\n", 1), "334 \r\n");
  EXPECT_EQ(talk(a.get(), "AHUAcA==\r\n", 1), "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(talk(a.get(), "AUTH PLAIN AHUAcA==\r\n", 1), "503 5.5.1 Already authenticated\r\n");
  EXPECT_EQ(talk(a.get(), "MAIL FROM:<a@x>\r\n", 1), "250 2.1.0 OK\r\n");
  Fd b(tcp_connect(server.port));
  read_replies(b.get(), 1);
  talk(b.get(), "EHLO c\r\n", 1);
  EXPECT_EQ(talk(b.get(), "AUTH LOGIN\r\n", 1), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(talk(b.get(), "dQ==\r\n", 1), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(talk(b.get(), "eA==\r\n", 1), "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_EQ(talk(b.get(), "AUTH LOGIN dQ==\r\n", 1), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(talk(b.get(), "cA==\r\n", 1), "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(talk(b.get(), "AUTH CRAM-MD5\r\n", 1), "503 5.5.1 Already authenticated\r\n");
}

// RFC 2195 byte for byte: the challenge is a fresh <ID@HOST> each time, the answer is
// "USER HMAC-MD5-HEX"; a wrong digest is 535 and the next attempt works.
TEST(ServeSmtpAuth, RawCramMd5Dialogue) {
  auto server = start_smtp({"--quiet", "--auth", "u:p4ss"});
  ASSERT_NE(server.port, 0) << server.process->err();
  const auto talk = [](int fd, std::string_view send, int replies) {
    EXPECT_TRUE(send_all(fd, send));
    return read_replies(fd, replies).data;
  };
  const auto challenge_of = [](const std::string& reply) {
    EXPECT_TRUE(reply.starts_with("334 ") && reply.ends_with("\r\n")) << reply;
    return base64_decode(reply.substr(4, reply.size() - 6)).value_or("");
  };
  const auto answer = [](std::string_view user, std::string_view password,
                         const std::string& challenge) {
    return base64_encode(std::string(user) + " " + hmac_md5_hex(password, challenge).value()) +
           "\r\n";
  };
  Fd a(tcp_connect(server.port));
  read_replies(a.get(), 1);
  EXPECT_NE(talk(a.get(), "EHLO c\r\n", 1).find("250-AUTH CRAM-MD5 PLAIN LOGIN\r\n"),
            std::string::npos);
  EXPECT_EQ(talk(a.get(), "AUTH CRAM-MD5 abcd\r\n", 1),
            "501 5.5.4 CRAM-MD5 has no initial response\r\n");
  const std::string first = challenge_of(talk(a.get(), "AUTH CRAM-MD5\r\n", 1));
  EXPECT_TRUE(std::regex_match(first, std::regex("<[0-9]+\\.M[0-9]+P[0-9]+Q[0-9]+\\..+@"
                                                 "sockit\\.localhost>")))
      << first;
  EXPECT_EQ(talk(a.get(), answer("u", "wrong", first), 1),
            "535 5.7.8 Authentication credentials invalid\r\n");
  const std::string second = challenge_of(talk(a.get(), "AUTH CRAM-MD5\r\n", 1));
  EXPECT_NE(second, first);
  EXPECT_EQ(talk(a.get(), answer("u", "p4ss", first), 1),  // a replayed answer
            "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_NE(challenge_of(talk(a.get(), "AUTH CRAM-MD5\r\n", 1)), second);
  EXPECT_EQ(talk(a.get(), base64_encode("nospace") + "\r\n", 1),
            "501 5.5.2 Malformed CRAM-MD5 response\r\n");
  const std::string last = challenge_of(talk(a.get(), "AUTH CRAM-MD5\r\n", 1));
  EXPECT_EQ(talk(a.get(), answer("u", "p4ss", last), 1), "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(talk(a.get(), "MAIL FROM:<a@x>\r\n", 1), "250 2.1.0 OK\r\n");
}

// The two implementations against each other, and curl's (its own HMAC-MD5) against the server.
TEST(ServeSmtpAuth, SockitMailAndCurlUseCramMd5) {
  MailDir dir;
  auto server = start_smtp({"--maildir", dir.maildir(), "--quiet", "--auth", "u:p4ss"});
  ASSERT_NE(server.port, 0) << server.process->err();
  const std::string url = "smtp://127.0.0.1:" + std::to_string(server.port);
  const auto mail = [&](const std::string& credentials) {
    return run({sockit_bin(), "mail", url, "--mail-from", "a@x", "--mail-rcpt", "b@y", "--insecure",
                "-u", credentials, "-v"},
               "Subject: c\r\n\r\nz\r\n");
  };
  const auto ok = mail("u:p4ss");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_TRUE(std::regex_search(ok.err, std::regex("\n> AUTH CRAM-MD5\n< 334 [A-Za-z0-9+/]+=*\n"
                                                   "> \\[credentials hidden\\]\n"
                                                   "< 235 2.7.0 Authentication successful\n")))
      << ok.err;
  EXPECT_EQ(ok.err.find("p4ss"), std::string::npos);
  const auto bad = mail("u:wrong");
  EXPECT_EQ(bad.exit_code, 7);
  EXPECT_NE(bad.err.find("\nsockit: authentication failed: 535 5.7.8 Authentication credentials "
                         "invalid (authentication failed: wrong user name or password)\n"),
            std::string::npos)
      << bad.err;
  MailDir files;
  const std::string file = files.maildir() + ".eml";
  std::ofstream(file, std::ios::binary) << "Subject: d\r\n\r\nw\r\n";
  const auto curl = run({"curl", "-sS", "-v", "--login-options", "AUTH=CRAM-MD5", "-u", "u:p4ss",
                         url, "--mail-from", "a@x", "--mail-rcpt", "b@y", "-T", file});
  std::filesystem::remove(file);
  EXPECT_EQ(curl.exit_code, 0) << curl.err;
  EXPECT_NE(curl.err.find("> AUTH CRAM-MD5\r\n"), std::string::npos) << curl.err;
  const auto stored = dir.messages();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_NE(split_stored(stored[0]).received.find(" with ESMTPA id "), std::string::npos);
  EXPECT_EQ(split_stored(stored[1]).body, "Subject: d\r\n\r\nw\r\n");
}

}  // namespace
}  // namespace sockit::test
