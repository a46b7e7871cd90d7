// The mail layer's small pure helpers: what a reply code means, which addresses may go into a
// command line, and xtext for ESMTP parameters.
#include <gtest/gtest.h>

#include <string>

#include "sockit/mail/client.hpp"

namespace sockit::mail {
namespace {

TEST(MailText, ReplyMeanings) {
  EXPECT_EQ(reply_meaning(250), "");
  EXPECT_EQ(reply_meaning(354), "");
  EXPECT_EQ(reply_meaning(550), "mailbox unavailable: no such user, or refused by policy");
  EXPECT_EQ(reply_meaning(535), "authentication failed: wrong user name or password");
  EXPECT_EQ(reply_meaning(552), "message too large, or storage exceeded");
  EXPECT_EQ(reply_meaning(421), "service not available: the server is closing the connection");
  EXPECT_EQ(reply_meaning(499), "temporary failure: try again later");
  EXPECT_EQ(reply_meaning(599), "permanent failure");
  for (int code = 400; code < 600; ++code) {
    const auto text = reply_meaning(code);
    EXPECT_FALSE(text.empty()) << code;
    EXPECT_EQ(text.find('('), std::string_view::npos) << code;  // one parenthesis when shown
  }
}

TEST(MailText, AddressesThatCannotBreakACommand) {
  EXPECT_TRUE(valid_address(""));
  EXPECT_TRUE(valid_address("a@b.c"));
  EXPECT_TRUE(valid_address("\"quoted\"@x"));
  EXPECT_TRUE(valid_address("jos\xc3\xa9@example.org"));
  EXPECT_FALSE(valid_address("a@b>\r\nRCPT TO:<c@d"));
  EXPECT_FALSE(valid_address("a b@c"));
  EXPECT_FALSE(valid_address("a@b\n"));
  EXPECT_FALSE(valid_address("<a@b>"));
  EXPECT_FALSE(valid_address(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_address("a\x7f@b"));
  EXPECT_TRUE(valid_address(std::string(256, 'a')));
  EXPECT_FALSE(valid_address(std::string(257, 'a')));
}

TEST(MailText, Xtext) {
  EXPECT_EQ(xtext("me@example.org"), "me@example.org");
  EXPECT_EQ(xtext("a+b=c d"), "a+2Bb+3Dc+20d");
  EXPECT_EQ(xtext("\xc3\xa9"), "+C3+A9");
}

TEST(MailDelivery, RefusedRecipients) {
  Delivery d;
  d.rcpt.resize(3);
  d.rcpt[0].code = 250;
  d.rcpt[1].code = 550;
  d.rcpt[2].code = 451;
  EXPECT_EQ(d.refused(), (std::vector<std::size_t>{1, 2}));
  EXPECT_FALSE(d.accepted());
  d.done = SmtpReply{250, {"ok"}, std::nullopt};
  EXPECT_TRUE(d.accepted());
}

}  // namespace
}  // namespace sockit::mail
