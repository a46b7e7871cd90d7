// `sockit mail` against aiosmtpd (Debian's python3-aiosmtpd): the bytes the server stores are
// exactly the message meant, for the smuggling bodies too; recipients refused, SIZE, the
// message builder.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_cli_mail_support.hpp"

namespace sockit::test {
namespace {

using namespace std::string_literals;

std::vector<std::string> send_args(const AioSmtpd& s, std::vector<std::string> extra) {
  std::vector<std::string> args{"mail",        s.url(),          "--mail-from", "alice@example.org",
                                "--mail-rcpt", "bob@example.org"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(CliMail, SmugglingBodiesAreStoredExactly) {
  AioSmtpd server;
  ASSERT_NE(server.port, 0);
  const std::vector<std::string> bodies = {
      "Subject: dot\r\n\r\n.\r\n",
      "Subject: dots\r\n\r\n..\r\n",
      "Subject: dotx\r\n\r\n.x\r\nend",
      "Subject: lf\n\nbare\nline\nfeeds\n",
      "Subject: cr\r\rbare\rcarriage\rreturns",
      "Subject: smuggle\r\n\r\nhi\n.\nMAIL FROM:<evil@x>\nRCPT TO:<v@y>\nDATA\nevil\n.\nbye\r\n",
      "Subject: smuggle cr\r\n\r\nhi\r.\rMAIL FROM:<evil@x>\r\n",
      "Subject: long\r\n\r\n" + std::string(998, 'L') + "\r\n",
      "Subject: 8bit\r\n\r\ncaf\xe9 \xff\xfe bytes\r\n",
      "Subject: utf-8\r\n\r\n\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7\r\n",
  };
  int n = 0;
  for (const auto& body : bodies) {
    const RunResult r = sockit(send_args(server, {}), body);
    ASSERT_EQ(r.exit_code, 0) << body << r.err;
    EXPECT_EQ(r.err, "");
    const auto stored = server.message(++n);
    ASSERT_TRUE(stored) << body;
    EXPECT_EQ(*stored, as_crlf(body)) << body;
  }
  // No text inside a message ever made a second one.
  EXPECT_EQ(server.count(), static_cast<int>(bodies.size()));
  EXPECT_NE(server.envelope(9).find("option BODY=8BITMIME\n"), std::string::npos);
  EXPECT_EQ(server.envelope(1).find("BODY=8BITMIME"), std::string::npos);
}

TEST(CliMail, OverlongLinesAreRefusedBeforeConnecting) {
  AioSmtpd server;
  ASSERT_NE(server.port, 0);
  for (const std::size_t length : {999U, 1001U}) {
    const RunResult r = sockit(send_args(server, {}), "a\r\nb\r\n" + std::string(length, 'x'));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err,
              "sockit: line 3 of the message is longer than 998 octets (RFC 5321 4.5.3.1.6): not "
              "sent; wrap it, or send the text with --attach\n");
  }
  EXPECT_EQ(server.count(), 0);
}

TEST(CliMail, EnvelopeAndSizeParameter) {
  AioSmtpd server;
  const std::string message = "Subject: x\r\n\r\nhello\r\n";
  const RunResult r = sockit(send_args(server, {"--mail-rcpt", "<carol@example.org>"}), message);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(server.message(1));
  EXPECT_EQ(server.envelope(1),
            "from alice@example.org\nrcpt bob@example.org\nrcpt carol@example.org\n"
            "option SIZE=" +
                std::to_string(message.size()) + "\n");
}

TEST(CliMail, MessageFromAFileAndSmtputf8Addresses) {
  AioSmtpd server;
  ScratchDir files;
  const std::string path = files.write("msg.eml", "Subject: f\n\nfrom a file\n");
  const RunResult r = sockit({"mail", server.url(), "--mail-from", "jos\xc3\xa9@example.org",
                              "--mail-rcpt", "b@example.org", "-T", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server.message(1), "Subject: f\r\n\r\nfrom a file\r\n");
  EXPECT_NE(server.envelope(1).find("option SMTPUTF8\n"), std::string::npos) << server.envelope(1);
}

TEST(CliMail, Smtputf8AddressNeedsTheExtension) {
  AioSmtpd server({"--no-smtputf8"});
  const RunResult r =
      sockit({"mail", server.url(), "--mail-rcpt", "jos\xc3\xa9@example.org"}, "hi\n");
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.err, "sockit: 127.0.0.1 port " + std::to_string(server.port) +
                       " does not offer SMTPUTF8, which addresses that are not ASCII need: not "
                       "sent\n");
  EXPECT_EQ(server.count(), 0);
}

TEST(CliMail, TooLargeForTheServerIsNotSent) {
  AioSmtpd server({"--size", "100"});
  const RunResult r =
      sockit(send_args(server, {}), std::string(50, 'a') + "\n" + std::string(80, 'b'));
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.err, "sockit: the message is 134 bytes; 127.0.0.1 port " +
                       std::to_string(server.port) + " accepts at most 100 (SIZE): not sent\n");
  EXPECT_EQ(server.count(), 0);
}

TEST(CliMail, RefusedRecipientCancelsTheMessage) {
  AioSmtpd server({"--refuse", "nobody@example.org"});
  const RunResult r = sockit(send_args(server, {"--mail-rcpt", "nobody@example.org"}), "x\n");
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.err,
            "sockit: 1 of 2 recipients refused, nothing sent (--mail-rcpt-allowfails sends to the "
            "rest): <nobody@example.org>: 550 5.1.1 <nobody@example.org>: Recipient address "
            "rejected (mailbox unavailable: no such user, or refused by policy)\n");
  EXPECT_EQ(server.count(), 0);
}

TEST(CliMail, AllowFailsDeliversToTheOthersAndSaysWhoWasRefused) {
  AioSmtpd server({"--refuse", "nobody@example.org"});
  const RunResult r = sockit(
      send_args(server, {"--mail-rcpt", "nobody@example.org", "--mail-rcpt-allowfails"}), "x\n");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err,
            "sockit: warning: delivered to 1 of 2 recipients; refused: <nobody@example.org>: 550 "
            "5.1.1 <nobody@example.org>: Recipient address rejected (mailbox unavailable: no such "
            "user, or refused by policy)\n");
  ASSERT_TRUE(server.message(1));
  EXPECT_EQ(server.envelope(1).find("rcpt nobody"), std::string::npos);
  EXPECT_NE(server.envelope(1).find("rcpt bob@example.org\n"), std::string::npos);
}

TEST(CliMail, EveryRecipientRefused) {
  AioSmtpd server({"--refuse", "bob@example.org"});
  const RunResult r = sockit(send_args(server, {"--mail-rcpt-allowfails"}), "x\n");
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(
      r.err.rfind("sockit: 1 of 1 recipients refused, nothing sent: <bob@example.org>: 550", 0), 0U)
      << r.err;
  EXPECT_EQ(server.count(), 0);
}

TEST(CliMail, VerboseShowsTheDialogue) {
  AioSmtpd server;
  const RunResult r = sockit(send_args(server, {"-v"}), "hi\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.rfind("< 220 mx.test Python SMTP", 0), 0U) << r.err;
  for (const char* line :
       {"\n> EHLO ", "\n< 250-mx.test\n", "\n> MAIL FROM:<alice@example.org> SIZE=4\n",
        "\n> RCPT TO:<bob@example.org>\n", "\n> DATA\n", "\n< 354 ",
        "\n* sending the message: 7 bytes\n",
        "\nsockit: message accepted: 250 2.0.0 Ok: queued as 1\n", "\n> QUIT\n< 221 Bye\n"}) {
    EXPECT_NE(r.err.find(line), std::string::npos) << line << "\n" << r.err;
  }
}

TEST(CliMail, BuildsAMessage) {
  AioSmtpd server;
  ScratchDir files;
  const std::string attachment = "col1,col2\n1,2\n\xff\x00"s;
  const std::string csv = files.write("data.csv", attachment);
  const std::string text = files.write("body.txt", "Hello Bob,\n.\nsee the file.\n");
  const RunResult r =
      sockit(send_args(server, {"--subject",
                                "Gr\xc3\xbc\xc3\x9f"
                                "e",
                                "--header", "X-Test: yes", "--body-file", text, "--attach", csv}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto m = server.message(1);
  ASSERT_TRUE(m);
  for (const std::string& part :
       {"From: alice@example.org\r\n"s, "To: bob@example.org\r\n"s,
        "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"s, "X-Test: yes\r\n"s, "MIME-Version: 1.0\r\n"s,
        "Content-Type: multipart/mixed; boundary=\"=_sockit_"s,
        "Content-Transfer-Encoding: 7bit\r\n\r\nHello Bob,\r\n.\r\nsee the file.\r\n--=_sockit_"s,
        "Content-Type: text/csv\r\nContent-Disposition: attachment; filename=\"data.csv\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nY29sMSxjb2wyCjEsMgr/AA==\r\n--=_sockit_"s}) {
    EXPECT_NE(m->find(part), std::string::npos) << part << "\n" << *m;
  }
  EXPECT_EQ(m->rfind("Date: ", 0), 0U);
  EXPECT_NE(m->find("\r\nMessage-ID: <"), std::string::npos);
}

TEST(CliMail, UsageErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"mail", "http://x", "--mail-rcpt", "a@b"},
       "sockit: 'http://x': the URL must start with smtp:// or smtps://\n"},
      {{"mail", "smtp://127.0.0.1:1"}, "sockit: mail needs at least one --mail-rcpt ADDRESS\n"},
      {{"mail", "smtp://127.0.0.1:1", "--mail-rcpt", "a@b>\r\nRCPT TO:<c@d"},
       "sockit: --mail-rcpt 'a@b>\\015\\012RCPT TO:<c@d': an address cannot hold spaces, control "
       "characters or <>, and has at most 256 octets\n"},
      {{"mail", "smtp://127.0.0.1:1", "--mail-rcpt", "a@b", "-u", "me:pw"},
       "sockit: -u would send the password unencrypted: add --ssl-reqd (STARTTLS), use smtps://, "
       "or --insecure to allow it\n"},
      {{"mail", "smtp://127.0.0.1:1", "--mail-rcpt", "a@b", "-T", "-", "--subject", "x"},
       "sockit: -T sends a ready message as it is; --subject, --header, --body, --body-file and "
       "--attach build one: pick one way\n"},
      {{"mail", "smtp://127.0.0.1:1", "--mail-rcpt", "a@b", "--header", "X-A: b\nBcc: c@d"},
       "sockit: cannot build the message: a --header, --subject or file name holds a line break, "
       "or a header name is not printable ASCII without ':'\n"},
      {{"mail", "smtp://127.0.0.1:1", "--mail-rcpt", "a@b", "-T", "/nonexistent/msg"},
       "sockit: -T /nonexistent/msg: No such file or directory\n"},
      {{"mail", "smtps://127.0.0.1:1", "--mail-rcpt", "a@b", "--ssl-reqd"},
       "sockit: smtps:// is TLS from the start; --ssl and --ssl-reqd are for smtp:// "
       "(STARTTLS)\n"},
      {{"mail", "smtp://127.0.0.1:99999", "--mail-rcpt", "a@b"},
       "sockit: invalid port '99999': must be a number from 1 to 65535\n"},
  };
  for (const auto& [args, err] : cases) {
    const RunResult r = sockit(args, "x\n");
    EXPECT_EQ(r.exit_code, 2) << err;
    EXPECT_EQ(r.err, err);
  }
}

}  // namespace
}  // namespace sockit::test
