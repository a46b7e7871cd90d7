// `sockit serve smtp` with real clients: Python's smtplib and curl store the exact bytes they
// meant; a raw socket checks pipelined replies, the smuggling cases, limits and deadlines.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <string>

#include "serve_smtp_harness.hpp"

namespace sockit::test {
namespace {

class ServeSmtp : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--maildir", dir_.maildir(), "--quiet"});
    server_ = start_smtp(extra);
    ASSERT_NE(server_.port, 0) << server_.process->err();
  }
  // A raw client past the greeting.
  Fd connect_raw() {
    Fd fd(tcp_connect(server_.port));
    const auto greeting = read_replies(fd.get(), 1);
    EXPECT_EQ(greeting.data, "220 sockit.localhost ESMTP sockit ready\r\n");
    return fd;
  }
  std::string exchange(int fd, std::string_view send, int replies) {
    EXPECT_TRUE(send_all(fd, send));
    return read_replies(fd, replies).data;
  }
  MailDir dir_;
  ServeChild server_;
};

const std::string kEhloReply =
    "250-sockit.localhost greets c\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n250-8BITMIME\r\n"
    "250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 HELP\r\n";

TEST_F(ServeSmtp, SmtplibMessageStoredExactly) {
  start();
  // Dots at line starts, a 998-octet line (1000 with CRLF), 8-bit UTF-8 text.
  const std::string body = "Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n" + std::string(998, 'l') +
                           "\r\ncaf\xc3\xa9 \xe2\x82\xac\r\nend\r\n";
  const auto r = smtp_peer("send", server_.port, body);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "refused 0\n");
  const auto stored = dir_.messages();
  ASSERT_EQ(stored.size(), 1u);
  const Stored s = split_stored(stored[0]);
  EXPECT_EQ(s.body, body);
  EXPECT_TRUE(s.received.starts_with("Received: from client.test (127.0.0.1:")) << s.received;
  EXPECT_NE(s.received.find(" (sockit) with ESMTP id "), std::string::npos) << s.received;
  EXPECT_NE(s.received.find("\r\n\tfor <b@y>; "), std::string::npos) << s.received;
  EXPECT_EQ(dir_.tmp_files(), 0u);
}

TEST_F(ServeSmtp, CurlUploadStoredExactly) {
  start();
  const std::string body = "Subject: curl\r\n\r\nline\r\n.dot\r\n..two\r\n";
  MailDir files;
  const std::string file = files.maildir() + ".eml";
  std::ofstream(file, std::ios::binary) << body;
  const auto r =
      run({"curl", "-sS", "smtp://127.0.0.1:" + std::to_string(server_.port), "--mail-from", "a@x",
           "--mail-rcpt", "b@y", "--mail-rcpt", "c@y", "-T", file});
  std::filesystem::remove(file);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto stored = dir_.messages();
  ASSERT_EQ(stored.size(), 1u);
  const Stored s = split_stored(stored[0]);
  EXPECT_EQ(s.body, body);
  EXPECT_EQ(s.received.find("\tfor <"), std::string::npos);  // two recipients: no "for"
}

TEST_F(ServeSmtp, PipelinedCommandsAnsweredInOrder) {
  start();
  Fd fd = connect_raw();
  const std::string got = exchange(
      fd.get(), "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n", 5);
  EXPECT_EQ(got, kEhloReply +
                     "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n"
                     "354 End data with <CR><LF>.<CR><LF>\r\n");
  const std::string end = exchange(fd.get(), "hi\r\n.\r\nRSET\r\nNOOP\r\nVRFY x\r\nQUIT\r\n", 5);
  EXPECT_TRUE(end.starts_with("250 2.0.0 OK queued as ")) << end;
  EXPECT_TRUE(
      end.ends_with("\r\n250 2.0.0 OK\r\n250 2.0.0 OK\r\n"
                    "252 2.5.0 Cannot VRFY user, but will accept message\r\n"
                    "221 2.0.0 sockit.localhost closing connection\r\n"))
      << end;
  EXPECT_TRUE(read_to_eof(fd.get()).eof);
  ASSERT_EQ(dir_.messages().size(), 1u);
  EXPECT_EQ(split_stored(dir_.messages()[0]).body, "hi\r\n");
}

// SMTP smuggling (CVE-2023-51765): "\n.\n" or "\r.\r" inside a body never ends it, and a body
// with a bare LF or CR is refused whole: no message, let alone a second one, is stored.
TEST_F(ServeSmtp, SmugglingNeverYieldsAMessage) {
  start();
  for (std::string_view end : {"\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n"}) {
    Fd fd = connect_raw();
    exchange(fd.get(), "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 4);
    const std::string attack = "first" + std::string(end) +
                               "MAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nsmuggled\r\n"
                               ".\r\nNOOP\r\n";
    EXPECT_EQ(exchange(fd.get(), attack, 2),
              "550 5.5.2 Message refused: bare CR or LF in the message (lines end with CRLF)\r\n"
              "250 2.0.0 OK\r\n");
  }
  EXPECT_EQ(dir_.messages().size(), 0u);
}

TEST_F(ServeSmtp, CommandErrorsKeepTheConnection) {
  start();
  Fd fd = connect_raw();
  EXPECT_EQ(exchange(fd.get(), "MAIL FROM:<a@x>\r\n", 1), "503 5.5.1 Send EHLO or HELO first\r\n");
  EXPECT_EQ(exchange(fd.get(), "HELO c\r\nRCPT TO:<b@y>\r\nDATA\r\n", 3),
            "250 sockit.localhost greets c\r\n503 5.5.1 Need MAIL before RCPT\r\n"
            "503 5.5.1 Need MAIL command\r\n");
  EXPECT_EQ(exchange(fd.get(), std::string(600, 'x') + "\r\nNOOP\nQUIT\r\nBOGUS\r\n", 3),
            "500 5.5.6 Command line too long (limit 512 octets)\r\n"
            "500 5.5.2 Bare CR or LF in a command line (lines end with CRLF)\r\n"
            "500 5.5.2 Command not recognized\r\n");
  EXPECT_EQ(exchange(fd.get(), "MAIL FROM:a@x\r\nMAIL FROM:<a@x> RET=HDRS\r\n", 2),
            "501 5.5.4 Syntax: MAIL FROM:<address> / RCPT TO:<address>\r\n"
            "555 5.5.4 Unsupported parameter\r\n");
}

TEST_F(ServeSmtp, SizeAndRecipientLimits) {
  start({"--max-size", "100", "--max-rcpts", "2"});
  Fd fd = connect_raw();
  EXPECT_TRUE(exchange(fd.get(), "EHLO c\r\n", 1).find("250-SIZE 100\r\n") != std::string::npos);
  EXPECT_EQ(exchange(fd.get(), "MAIL FROM:<a@x> SIZE=101\r\n", 1),
            "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  EXPECT_EQ(exchange(fd.get(),
                     "MAIL FROM:<a@x> SIZE=100\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\n"
                     "RCPT TO:<d@y>\r\nDATA\r\n",
                     5),
            "250 2.1.0 OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n452 4.5.3 Too many recipients\r\n"
            "354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(
      exchange(fd.get(), std::string(60, 'a') + "\r\n" + std::string(60, 'b') + "\r\n.\r\n", 1),
      "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  EXPECT_EQ(exchange(fd.get(), "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 3),
            "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
  // Both limits broken: the one broken first is reported (octet 101 passes --max-size, octet
  // 999 the line limit), however the line is split on the way.
  EXPECT_EQ(exchange(fd.get(), std::string(1001, 'l') + "\r\n.\r\n", 1),
            "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  EXPECT_EQ(dir_.messages().size(), 0u);
}

TEST_F(ServeSmtp, CommandDeadline) {
  start({"--command-timeout", "0.3"});
  Fd fd = connect_raw();
  const auto start_at = SteadyClock::now();
  const auto r = read_to_eof(fd.get(), Ms(5000));
  EXPECT_EQ(r.data, "421 4.4.2 Idle too long, closing connection\r\n");
  EXPECT_TRUE(r.eof);
  EXPECT_LT(SteadyClock::now() - start_at, Ms(3000));
}

TEST_F(ServeSmtp, DataDeadline) {
  start({"--data-timeout", "0.3"});
  Fd fd = connect_raw();
  exchange(fd.get(), "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 4);
  ASSERT_TRUE(send_all(fd.get(), "a partial body\r\n"));
  const auto r = read_to_eof(fd.get(), Ms(5000));
  EXPECT_EQ(r.data, "421 4.4.2 Message not completed in time, closing connection\r\n");
  EXPECT_EQ(dir_.messages().size(), 0u);
}

// Over the connection cap a client reads an SMTP reply, not the generic "ERR server full".
TEST_F(ServeSmtp, ConnectionCapAnswers421) {
  start({"--max-conns", "1"});
  Fd first = connect_raw();
  Fd second(tcp_connect(server_.port));
  const auto r = read_to_eof(second.get(), Ms(5000));
  EXPECT_EQ(r.data, "421 4.3.2 Too many connections, try again later\r\n");
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(exchange(first.get(), "NOOP\r\n", 1), "250 2.0.0 OK\r\n");
}

const std::string kDrain421 =
    "421 4.3.2 sockit.localhost Service not available, closing transmission channel\r\n";

// RFC 5321 §3.8: on SIGTERM an idle session and one in the middle of a transaction read a 421
// before the close, not a silent end; the server exits 0 once both are gone.
TEST_F(ServeSmtp, DrainAnswers421ToIdleAndMidDialogueSessions) {
  start();
  Fd idle = connect_raw();
  Fd mid = connect_raw();
  EXPECT_EQ(exchange(mid.get(), "EHLO c\r\nMAIL FROM:<a@x>\r\n", 2),
            kEhloReply + "250 2.1.0 OK\r\n");
  server_.process->signal(SIGTERM);
  for (int fd : {idle.get(), mid.get()}) {
    const auto r = read_to_eof(fd, Ms(5000));
    EXPECT_EQ(r.data, kDrain421);
    EXPECT_TRUE(r.eof);
    EXPECT_FALSE(r.reset);
  }
  EXPECT_EQ(server_.process->wait(Ms(5000)), 0);
  EXPECT_NE(server_.process->err().find("sockit: drained: every connection finished\n"),
            std::string::npos)
      << server_.process->err();
}

// A message in DATA when the drain starts is read to its end and answered, then the 421 comes.
TEST_F(ServeSmtp, DrainLetsAMessageInDataFinish) {
  start({"--drain-timeout", "5"});
  Fd fd = connect_raw();
  exchange(fd.get(), "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n", 4);
  ASSERT_TRUE(send_all(fd.get(), "first half\r\n"));
  server_.process->signal(SIGTERM);
  ASSERT_TRUE(server_.process->wait_stderr("draining", Ms(5000)));
  const auto early = read_replies(fd.get(), 1, Ms(300));  // nothing while the body goes on
  EXPECT_EQ(early.data, "");
  EXPECT_FALSE(early.eof);
  ASSERT_TRUE(send_all(fd.get(), "second half\r\n.\r\n"));
  const auto r = read_to_eof(fd.get(), Ms(5000));
  EXPECT_TRUE(r.data.starts_with("250 2.0.0 OK queued as ")) << r.data;
  EXPECT_TRUE(r.data.ends_with("\r\n" + kDrain421)) << r.data;
  EXPECT_EQ(std::count(r.data.begin(), r.data.end(), '\n'), 2);
  EXPECT_TRUE(r.eof);
  EXPECT_EQ(server_.process->wait(Ms(5000)), 0);
  ASSERT_EQ(dir_.messages().size(), 1u);
  EXPECT_EQ(split_stored(dir_.messages()[0]).body, "first half\r\nsecond half\r\n");
}

TEST(ServeSmtpOutput, StdoutAndJsonLog) {
  auto server = start_smtp({"--stdout", "--json"});
  ASSERT_NE(server.port, 0) << server.process->err();
  const auto r = smtp_peer("send", server.port, "Subject: s\r\n\r\nbody\r\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(server.process->wait_stdout("body\r\n"));
  EXPECT_TRUE(server.process->out().starts_with("Received: from client.test ("));
  EXPECT_NE(server.process->out().find("+0000\r\nSubject: s\r\n\r\nbody\r\n"), std::string::npos);
  ASSERT_TRUE(server.process->wait_stderr("\"stored\":null}\n"));
  EXPECT_NE(server.process->err().find("\"helo\":\"client.test\",\"from\":\"a@x\",\"to\":[\"b@y\"],"
                                       "\"size\":"),
            std::string::npos)
      << server.process->err();
}

TEST(ServeSmtpUsage, RefusesOtherServicesOptionsAndFraming) {
  auto a = run({sockit_bin(), "serve", "echo", "--maildir", "/tmp/x"});
  EXPECT_EQ(a.exit_code, 2);
  EXPECT_NE(a.err.find("--maildir, --stdout, --auth and the other smtp options are for serve smtp"),
            std::string::npos)
      << a.err;
  auto b = run({sockit_bin(), "serve", "smtp", "--framing", "line"});
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_NE(b.err.find("no -u, no --framing"), std::string::npos) << b.err;
  auto c = run({sockit_bin(), "serve", "smtp", "--auth", "nocolon"});
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.err.find("--auth needs USER:PASS"), std::string::npos) << c.err;
}

}  // namespace
}  // namespace sockit::test
