// `sockit mail` against servers that misbehave (mail_fake_server.py): replies injected before
// the STARTTLS handshake, replies that are not SMTP, endless or huge replies, a server that
// stalls or is busy; and the protocol paths aiosmtpd does not take (HELO, PIPELINING).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "test_cli_mail_support.hpp"

namespace sockit::test {
namespace {

std::vector<std::string> send_args(const FakeSmtp& s, std::vector<std::string> extra) {
  std::vector<std::string> args{"mail",          s.url(),       "--mail-from",
                                "a@example.org", "--mail-rcpt", "b@example.org"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(CliMailFake, RepliesInjectedBeforeStarttlsAreDiscarded) {
  Pki pki;
  FakeSmtp server({"inject", pki.server.cert, pki.server.key});
  ASSERT_NE(server.port, 0);
  const RunResult r = sockit(send_args(server, {"--ssl-reqd", "--cacert", pki.ca_file, "-v",
                                                "--mail-auth", "me+x@example.org"}),
                             "hi\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("\n< 220 2.0.0 ready\n* discarded 30 bytes the server sent before the TLS "
                       "handshake\n* TLS: TLSv1.3, "),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("< 250-injected"), std::string::npos) << r.err;
  EXPECT_EQ(server.process.wait(milliseconds(5000)), 0);
  // Over TLS the client starts again with EHLO, then sends the message.
  EXPECT_EQ(server.process.out().substr(server.process.out().find('\n') + 1, 9), "TLS EHLO ")
      << server.process.out();
  EXPECT_NE(server.process.out().find(
                "TLS MAIL FROM:<a@example.org> AUTH=me+2Bx@example.org\nTLS RCPT TO:<b@example.org>"
                "\nTLS DATA\nTLS QUIT\n"),
            std::string::npos)
      << server.process.out();
}

TEST(CliMailFake, NotSmtpAtAll) {
  FakeSmtp server({"badcode"});
  const RunResult r = sockit(send_args(server, {}), "hi\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "sockit: greeting with " + server.where() +
                       ": reply does not start with a three-digit code\n");
}

TEST(CliMailFake, EndlessMultiLineReply) {
  FakeSmtp server({"endless"});
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = sockit(send_args(server, {}), "hi\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "sockit: greeting with " + server.where() + ": reply has too many lines\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(CliMailFake, TenMegabyteLine) {
  FakeSmtp server({"longline"});
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = sockit(send_args(server, {}), "hi\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "sockit: greeting with " + server.where() + ": reply line too long\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(CliMailFake, StalledServerTimesOutWithinTheDeadline) {
  FakeSmtp server({"stall"});
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = sockit(send_args(server, {"-m", "1"}), "hi\n");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.err, "sockit: greeting with " + server.where() +
                       ": the deadline passed before the operation finished (no answer within "
                       "the time allowed)\n");
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(4));
}

TEST(CliMailFake, BusyServerMeansTryLater) {
  FakeSmtp server({"busy"});
  const RunResult r = sockit(send_args(server, {}), "hi\n");
  EXPECT_EQ(r.exit_code, 8);
  EXPECT_EQ(r.err, "sockit: " + server.where() +
                       " refused the session: 421 4.3.2 busy, try later (service not available: "
                       "the server is closing the connection)\n");
}

TEST(CliMailFake, HeloWhenEhloIsNotKnown) {
  FakeSmtp server({"helo"});
  const RunResult r = sockit(send_args(server, {}), "hi\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server.process.wait(milliseconds(5000)), 0);
  EXPECT_NE(server.process.out().find("\nHELO "), std::string::npos) << server.process.out();
}

TEST(CliMailFake, PipelinesMailAndRcptWhenOffered) {
  FakeSmtp server({"pipeline"});
  const RunResult r = sockit(send_args(server, {"--mail-rcpt", "c@example.org", "-v"}), "hi\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(server.process.wait(milliseconds(5000)), 0);
  EXPECT_NE(server.process.out().find("\nPIPELINED\n"), std::string::npos) << server.process.out();
}

}  // namespace
}  // namespace sockit::test
