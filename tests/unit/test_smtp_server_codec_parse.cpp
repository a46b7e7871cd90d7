// The SMTP server codec's command parsing (MAIL FROM / RCPT TO with ESMTP parameters), its
// error replies and the reply serializer.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "sockit/codec/smtp_server.hpp"

namespace sockit {
namespace {

TEST(SmtpServerParse, SplitsVerbAndArgument) {
  const auto c = split_smtp_command("mail FROM:<a@b>  ");
  EXPECT_EQ(c.verb, "mail");
  EXPECT_EQ(c.argument, "FROM:<a@b>");
  EXPECT_TRUE(smtp_verb_is(c.verb, "MAIL"));
  EXPECT_FALSE(smtp_verb_is(c.verb, "MAI"));
  const auto q = split_smtp_command("QUIT");
  EXPECT_EQ(q.verb, "QUIT");
  EXPECT_EQ(q.argument, "");
}

TEST(SmtpServerParse, MailFromWithParameters) {
  auto p = parse_mail_from("FROM:<a@x> SIZE=1024 BODY=8BITMIME SMTPUTF8");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->address, "a@x");
  EXPECT_EQ(p->size, 1024u);
  EXPECT_EQ(p->body, SmtpBody::eight_bit_mime);
  EXPECT_TRUE(p->smtputf8);
  auto lenient = parse_mail_from("from: <b@y> body=7bit");
  ASSERT_TRUE(lenient);
  EXPECT_EQ(lenient->address, "b@y");
  EXPECT_EQ(lenient->body, SmtpBody::seven_bit);
  EXPECT_FALSE(lenient->size.has_value());
}

TEST(SmtpServerParse, NullReversePathAndSourceRoute) {
  auto null = parse_mail_from("FROM:<>");
  ASSERT_TRUE(null);
  EXPECT_EQ(null->address, "");
  auto routed = parse_rcpt_to("TO:<@relay.example,@b.example:user@host.example>");
  ASSERT_TRUE(routed);
  EXPECT_EQ(routed->address, "user@host.example");
}

TEST(SmtpServerParse, MailFromErrors) {
  const auto err = [](std::string_view arg) {
    auto p = parse_mail_from(arg);
    return p ? std::error_code() : p.error();
  };
  EXPECT_EQ(err("FROM:a@x"), SmtpServerErrc::bad_path);
  EXPECT_EQ(err("TO:<a@x>"), SmtpServerErrc::bad_path);
  EXPECT_EQ(err("FROM:<a@x"), SmtpServerErrc::bad_path);
  EXPECT_EQ(err("FROM:<a b@x>"), SmtpServerErrc::bad_path);
  EXPECT_EQ(err("FROM:<a@x>SIZE=1"), SmtpServerErrc::bad_path);
  EXPECT_EQ(err("FROM:<" + std::string(300, 'a') + ">"), SmtpServerErrc::bad_path);
  EXPECT_EQ(err("FROM:<a@x> SIZE=x"), SmtpServerErrc::bad_parameter);
  EXPECT_EQ(err("FROM:<a@x> SIZE=1 SIZE=2"), SmtpServerErrc::bad_parameter);
  EXPECT_EQ(err("FROM:<a@x> SIZE=99999999999999999999"), SmtpServerErrc::bad_parameter);
  EXPECT_EQ(err("FROM:<a@x> BODY=BINARYMIME"), SmtpServerErrc::bad_parameter);
  EXPECT_EQ(err("FROM:<a@x> SMTPUTF8=yes"), SmtpServerErrc::bad_parameter);
  EXPECT_EQ(err("FROM:<a@x> RET=HDRS"), SmtpServerErrc::unknown_parameter);
  EXPECT_EQ(err("FROM:<j\xc3\xb6rg@x>"), SmtpServerErrc::needs_smtputf8);
  EXPECT_FALSE(err("FROM:<j\xc3\xb6rg@x> SMTPUTF8"));
}

TEST(SmtpServerParse, RcptToErrors) {
  const auto err = [](std::string_view arg) {
    auto p = parse_rcpt_to(arg);
    return p ? std::error_code() : p.error();
  };
  EXPECT_EQ(err("TO:<>"), SmtpServerErrc::bad_path);
  EXPECT_EQ(err("FROM:<a@x>"), SmtpServerErrc::bad_path);
  EXPECT_EQ(err("TO:<a@x> NOTIFY=NEVER"), SmtpServerErrc::unknown_parameter);
  auto utf8 = parse_rcpt_to("To:<\xc3\xa9@x>");
  ASSERT_TRUE(utf8);
  EXPECT_TRUE(utf8->non_ascii);
  EXPECT_FALSE(err("TO:<postmaster>"));
}

TEST(SmtpServerParse, ErrorReplies) {
  EXPECT_EQ(smtp_error_reply(SmtpServerErrc::command_too_long),
            "500 5.5.6 Command line too long (limit 512 octets)");
  EXPECT_EQ(smtp_error_reply(SmtpServerErrc::bare_newline, true),
            "550 5.5.2 Message refused: bare CR or LF in the message (lines end with CRLF)");
  EXPECT_EQ(smtp_error_reply(SmtpServerErrc::message_too_big),
            "552 5.3.4 Message size exceeds fixed maximum message size");
  EXPECT_EQ(smtp_error_reply(std::make_error_code(std::errc::io_error)),
            "451 4.3.0 Local error in processing");
}

TEST(SmtpServerReply, SingleAndMultiLine) {
  std::string out;
  append_smtp_reply(out, 250, "2.0.0 OK");
  EXPECT_EQ(out, "250 2.0.0 OK\r\n");
  out.clear();
  const std::array<std::string_view, 3> lines{"sockit greets x", "PIPELINING", "SIZE 100"};
  append_smtp_reply(out, 250, lines);
  EXPECT_EQ(out, "250-sockit greets x\r\n250-PIPELINING\r\n250 SIZE 100\r\n");
  out.clear();
  append_smtp_reply(out, 354, std::span<const std::string_view>());
  EXPECT_EQ(out, "354\r\n");
}

TEST(SmtpServerReply, NewlinesInTextCannotAddAReply) {
  std::string out;
  append_smtp_reply(out, 250, "hello evil\r\n250 injected");
  EXPECT_EQ(out, "250 hello evil  250 injected\r\n");
}

}  // namespace
}  // namespace sockit
