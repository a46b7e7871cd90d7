// The SMTP client's reply parser and EHLO keywords: every input is also fed at every split
// point and a byte at a time, and must give the same replies and the same error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sockit/codec/smtp_reply.hpp"

namespace sockit {
namespace {

using namespace std::string_literals;

struct Parsed {
  std::vector<SmtpReply> replies;
  std::error_code error;
  std::size_t buffered = 0;
  bool operator==(const Parsed&) const = default;
};

void drain(SmtpReplyParser& p, Parsed& out) {
  for (int guard = 0; guard < 10000 && !out.error; ++guard) {
    auto r = p.next();
    if (!r) {
      out.error = r.error();
      return;
    }
    if (!*r) return;
    out.replies.push_back(std::move(**r));
  }
}

Parsed parse_pieces(const std::vector<std::string_view>& pieces, SmtpReplyLimits limits = {}) {
  SmtpReplyParser p(limits);
  Parsed out;
  for (const auto piece : pieces) {
    p.feed(piece);
    drain(p, out);
  }
  out.buffered = out.error ? 0 : p.buffered();
  return out;
}

// Whole, cut at every point, and byte by byte: all the same.
Parsed parse_everywhere(std::string_view input, SmtpReplyLimits limits = {}) {
  const Parsed whole = parse_pieces({input}, limits);
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    EXPECT_EQ(parse_pieces({input.substr(0, cut), input.substr(cut)}, limits), whole)
        << "cut at " << cut;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < input.size(); ++i)
    bytes.push_back(input.substr(i, 1));
  EXPECT_EQ(parse_pieces(bytes, limits), whole) << "byte by byte";
  return whole;
}

TEST(SmtpReply, SingleLine) {
  const Parsed p = parse_everywhere("250 OK\r\n");
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.replies.size(), 1U);
  EXPECT_EQ(p.replies[0].code, 250);
  EXPECT_EQ(p.replies[0].klass(), 2);
  EXPECT_EQ(p.replies[0].lines, std::vector<std::string>{"OK"});
  EXPECT_FALSE(p.replies[0].enhanced);
  EXPECT_EQ(p.buffered, 0U);
}

TEST(SmtpReply, CodeAloneAndEmptyText) {
  const Parsed p = parse_everywhere("354\r\n250 \r\n");
  ASSERT_EQ(p.replies.size(), 2U);
  EXPECT_EQ(p.replies[0].code, 354);
  EXPECT_EQ(p.replies[0].lines, std::vector<std::string>{""});
  EXPECT_EQ(p.replies[1].lines, std::vector<std::string>{""});
}

TEST(SmtpReply, MultiLineEhlo) {
  const std::string ehlo =
      "250-mail.example.org Hello\r\n250-SIZE 1000\r\n250-PIPELINING\r\n250 HELP\r\n";
  const Parsed p = parse_everywhere(ehlo + "220 tail");
  ASSERT_FALSE(p.error);
  ASSERT_EQ(p.replies.size(), 1U);
  EXPECT_EQ(p.replies[0].code, 250);
  EXPECT_EQ(p.replies[0].lines, (std::vector<std::string>{"mail.example.org Hello", "SIZE 1000",
                                                          "PIPELINING", "HELP"}));
  EXPECT_EQ(p.replies[0].text(), "mail.example.org Hello / SIZE 1000 / PIPELINING / HELP");
  EXPECT_EQ(p.buffered, 8U);  // "220 tail" waits for its end
}

TEST(SmtpReply, PipelinedRepliesInOneRead) {
  const Parsed p = parse_everywhere("250 2.1.0 Ok\r\n550 5.1.1 <x@y>: unknown\r\n354 go\r\n");
  ASSERT_EQ(p.replies.size(), 3U);
  EXPECT_EQ(p.replies[0].code, 250);
  EXPECT_EQ(p.replies[1].code, 550);
  EXPECT_EQ(p.replies[1].lines, std::vector<std::string>{"5.1.1 <x@y>: unknown"});
  EXPECT_EQ(p.replies[2].code, 354);
}

TEST(SmtpReply, BareLfAccepted) {
  const Parsed p = parse_everywhere("250-a\n250 b\n");
  ASSERT_EQ(p.replies.size(), 1U);
  EXPECT_EQ(p.replies[0].lines, (std::vector<std::string>{"a", "b"}));
}

TEST(SmtpReply, EightBitTextKept) {
  const Parsed p = parse_everywhere("550 Empf\xc3\xa4nger \xff unbekannt\r\n");
  ASSERT_EQ(p.replies.size(), 1U);
  EXPECT_EQ(p.replies[0].lines[0], "Empf\xc3\xa4nger \xff unbekannt");
}

TEST(SmtpReply, EnhancedStatusCodes) {
  const Parsed p = parse_everywhere(
      "550 5.1.1 User unknown\r\n250 2.0.0\r\n550 2.1.0 wrong class\r\n"
      "250 2.0 too short\r\n452 4.3.1000 four digits\r\n451 4.7.1x glued\r\n");
  ASSERT_EQ(p.replies.size(), 6U);
  ASSERT_TRUE(p.replies[0].enhanced);
  EXPECT_EQ(*p.replies[0].enhanced, (SmtpEnhancedCode{5, 1, 1}));
  EXPECT_EQ(p.replies[0].enhanced->to_string(), "5.1.1");
  ASSERT_TRUE(p.replies[1].enhanced);
  EXPECT_EQ(*p.replies[1].enhanced, (SmtpEnhancedCode{2, 0, 0}));
  EXPECT_FALSE(p.replies[2].enhanced);
  EXPECT_FALSE(p.replies[3].enhanced);
  EXPECT_FALSE(p.replies[4].enhanced);
  EXPECT_FALSE(p.replies[5].enhanced);
  EXPECT_EQ(*parse_enhanced_code("4.7.100 x"), (SmtpEnhancedCode{4, 7, 100}));
  EXPECT_FALSE(parse_enhanced_code("3.0.0 x"));
}

struct Bad {
  const char* input;
  SmtpClientErrc error;
  std::size_t replies_before;
};

TEST(SmtpReply, MalformedRepliesAreErrors) {
  const Bad cases[] = {
      {"hello there\r\n", SmtpClientErrc::invalid_reply_code, 0},
      {"25\r\n", SmtpClientErrc::invalid_reply_code, 0},
      {"2x0 x\r\n", SmtpClientErrc::invalid_reply_code, 0},
      {"600 six\r\n", SmtpClientErrc::invalid_reply_code, 0},
      {"150 one\r\n", SmtpClientErrc::invalid_reply_code, 0},
      {"\r\n", SmtpClientErrc::invalid_reply_code, 0},
      {"250 ok\r\n-250 x\r\n", SmtpClientErrc::invalid_reply_code, 1},
      {"250x\r\n", SmtpClientErrc::invalid_reply_separator, 0},
      {"2500 x\r\n", SmtpClientErrc::invalid_reply_separator, 0},
      {"250-a\r\n251 b\r\n", SmtpClientErrc::inconsistent_reply_code, 0},
      {"250-a\r\n250-b\r\n550 c\r\n", SmtpClientErrc::inconsistent_reply_code, 0},
  };
  for (const auto& c : cases) {
    const Parsed p = parse_everywhere(c.input);
    EXPECT_EQ(p.error, make_error_code(c.error)) << c.input;
    EXPECT_EQ(p.replies.size(), c.replies_before) << c.input;
  }
}

TEST(SmtpReply, ErrorsAreStickyUntilReset) {
  SmtpReplyParser p;
  p.feed("abc\r\n250 ok\r\n");
  EXPECT_EQ(p.next().error(), SmtpClientErrc::invalid_reply_code);
  p.feed("250 more\r\n");
  EXPECT_EQ(p.next().error(), SmtpClientErrc::invalid_reply_code);
  p.reset();
  EXPECT_EQ(p.buffered(), 0U);
  p.feed("250 fine\r\n");
  auto r = p.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->code, 250);
}

TEST(SmtpReply, LineLimitReportedBeforeTheLineEnds) {
  SmtpReplyLimits limits;
  limits.max_line = 16;
  const std::string at_limit = "250 " + std::string(12, 'a');  // 16 bytes
  Parsed p = parse_everywhere(at_limit + "\r\n", limits);
  ASSERT_FALSE(p.error);
  EXPECT_EQ(p.replies.at(0).lines[0].size(), 12U);
  p = parse_everywhere(at_limit + "a", limits);  // 17 bytes and no end yet
  EXPECT_EQ(p.error, make_error_code(SmtpClientErrc::reply_line_too_long));
}

TEST(SmtpReply, TenMegabyteLineStopsAtTheDefaultLimit) {
  SmtpReplyParser p;
  const std::string chunk(64 * 1024, 'x');
  p.feed("250 ");
  std::error_code error;
  std::size_t fed = 4;
  for (int i = 0; i < 160 && !error; ++i) {  // up to 10 MiB
    p.feed(chunk);
    fed += chunk.size();
    auto r = p.next();
    if (!r) error = r.error();
  }
  EXPECT_EQ(error, make_error_code(SmtpClientErrc::reply_line_too_long));
  EXPECT_EQ(fed, 4 + chunk.size());  // the first read past 2048 bytes already failed
}

TEST(SmtpReply, EndlessMultiLineStopsAtMaxLines) {
  std::string endless;
  for (int i = 0; i < 200; ++i)
    endless += "250-more\r\n";
  SmtpReplyLimits limits;
  limits.max_lines = 128;
  SmtpReplyParser p(limits);
  p.feed(endless);
  EXPECT_EQ(p.next().error(), SmtpClientErrc::too_many_reply_lines);
  std::string exact;
  for (int i = 0; i < 127; ++i)
    exact += "250-more\r\n";
  const Parsed ok = parse_pieces({exact + "250 end\r\n"}, limits);
  ASSERT_FALSE(ok.error);
  EXPECT_EQ(ok.replies.at(0).lines.size(), 128U);
}

TEST(SmtpReply, BufferedCountsWhatFollowsAReply) {
  // After STARTTLS's 220 the client checks buffered(): anything there was sent before the
  // handshake and must be thrown away.
  SmtpReplyParser p;
  p.feed("220 2.0.0 Ready to start TLS\r\n250-injected\r\n250 x\r\n");
  auto r = p.next();
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->code, 220);
  EXPECT_EQ(p.buffered(), 21U);
  p.reset();
  EXPECT_EQ(p.buffered(), 0U);
  // Lines of a reply in progress count too.
  p.feed("250-first\r\n");
  auto partial = p.next();
  ASSERT_TRUE(partial);
  EXPECT_FALSE(*partial);
  EXPECT_EQ(p.buffered(), 11U);
}

TEST(SmtpEhlo, Keywords) {
  SmtpReply r;
  r.code = 250;
  r.lines = {"mx.example Hello [127.0.0.1]",
             "size 35882577",
             "8BITMIME",
             "pipelining",
             "AUTH PLAIN login CRAM-MD5",
             "AUTH=LOGIN",
             "STARTTLS",
             "ENHANCEDSTATUSCODES",
             "SMTPUTF8",
             "X-UNKNOWN foo",
             "",
             "CHUNKING"};
  const SmtpCapabilities c = parse_ehlo(r);
  EXPECT_TRUE(c.esmtp);
  EXPECT_TRUE(c.pipelining);
  EXPECT_TRUE(c.starttls);
  EXPECT_TRUE(c.eightbitmime);
  EXPECT_TRUE(c.smtputf8);
  EXPECT_TRUE(c.enhanced_status_codes);
  EXPECT_TRUE(c.size);
  EXPECT_EQ(c.max_size, 35882577U);
  EXPECT_EQ(c.auth, (std::vector<std::string>{"PLAIN", "LOGIN", "CRAM-MD5"}));
  EXPECT_TRUE(c.has_auth("login"));
  EXPECT_FALSE(c.has_auth("XOAUTH2"));
}

TEST(SmtpEhlo, FirstLineIsNeverAKeyword) {
  SmtpReply r;
  r.code = 250;
  r.lines = {"STARTTLS"};
  EXPECT_FALSE(parse_ehlo(r).starttls);
}

TEST(SmtpEhlo, SizeWithoutUsableLimit) {
  SmtpReply r;
  r.code = 250;
  r.lines = {"host", "SIZE"};
  SmtpCapabilities c = parse_ehlo(r);
  EXPECT_TRUE(c.size);
  EXPECT_EQ(c.max_size, 0U);
  r.lines = {"host", "SIZE 12abc"};
  c = parse_ehlo(r);
  EXPECT_EQ(c.max_size, 0U);
  r.lines = {"host", "SIZE 99999999999999999999999"};
  EXPECT_EQ(parse_ehlo(r).max_size, 0U);
  r.lines = {"host"};
  c = parse_ehlo(r);
  EXPECT_FALSE(c.size || c.pipelining || c.starttls || !c.auth.empty());
}

}  // namespace
}  // namespace sockit
