// The DATA encoder (line endings, dot-stuffing, the line limit: the smuggling cases, fed at
// every split point) and the message builder (headers, MIME, base64).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sockit/codec/smtp_message.hpp"

namespace sockit {
namespace {

using namespace std::string_literals;

struct Case {
  std::string input, wire;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      {"", ".\r\n"},
      {".", "..\r\n.\r\n"},
      {"..", "...\r\n.\r\n"},
      {".x", "..x\r\n.\r\n"},
      {"a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"},
      {"a\n.\nb", "a\r\n..\r\nb\r\n.\r\n"},  // bare LF smuggling
      {"a\r.\rb", "a\r\n..\r\nb\r\n.\r\n"},  // bare CR smuggling
      {"a\r\n.\nMAIL FROM:<x>\r\n", "a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n"},
      {"a\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n"},
      {"a\r\r\n", "a\r\n\r\n.\r\n"},  // CR, then CRLF: two ends
      {"\n\r", "\r\n\r\n.\r\n"},      // LF, then CR
      {"a\r", "a\r\n.\r\n"},
      {"a\r\n", "a\r\n.\r\n"},
      {"x.\r\n .\r\n", "x.\r\n .\r\n.\r\n"},  // only a leading dot is stuffed
      {"caf\xc3\xa9\r\n\xff\xfe\0\r\n"s, "caf\xc3\xa9\r\n\xff\xfe\0\r\n.\r\n"s},  // 8-bit, NUL
  };
  return table;
}

std::string encode_pieces(const std::vector<std::string_view>& pieces) {
  SmtpDataEncoder e;
  std::string out;
  for (const auto p : pieces)
    EXPECT_TRUE(e.encode(p, out));
  EXPECT_TRUE(e.finish(out));
  return out;
}

TEST(SmtpData, SmugglingCasesAtEverySplitPoint) {
  for (const auto& c : cases()) {
    const auto whole = smtp_encode_data(c.input);
    ASSERT_TRUE(whole) << c.input;
    EXPECT_EQ(*whole, c.wire) << c.input;
    for (std::size_t cut = 0; cut <= c.input.size(); ++cut) {
      const std::string_view in = c.input;
      EXPECT_EQ(encode_pieces({in.substr(0, cut), in.substr(cut)}), c.wire)
          << c.input << " cut at " << cut;
    }
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < c.input.size(); ++i)
      bytes.push_back(std::string_view(c.input).substr(i, 1));
    EXPECT_EQ(encode_pieces(bytes), c.wire) << c.input;
  }
}

// Whatever the input, the output has CR only before LF, LF only after CR, and the end-of-data
// line only at the very end.
TEST(SmtpData, NoEarlyEndForAnyShortInput) {
  const std::string alphabet = "\r\n.a";
  for (int n = 0; n <= 6; ++n) {
    std::size_t total = 1;
    for (int i = 0; i < n; ++i)
      total *= alphabet.size();
    for (std::size_t k = 0; k < total; ++k) {
      std::string in;
      for (std::size_t v = k, i = 0; i < static_cast<std::size_t>(n); ++i, v /= alphabet.size())
        in += alphabet[v % alphabet.size()];
      const auto out = smtp_encode_data(in);
      ASSERT_TRUE(out);
      const std::string body = "\r\n" + *out;
      EXPECT_EQ(body.find("\r\n.\r\n"), body.size() - 5) << in;
      for (std::size_t i = 0; i < out->size(); ++i) {
        if ((*out)[i] == '\r') {
          EXPECT_EQ(out->at(i + 1), '\n') << in;
        }
        if ((*out)[i] == '\n') {
          EXPECT_EQ(out->at(i - 1), '\r') << in;
        }
      }
    }
  }
}

TEST(SmtpData, LineLimitIs998OctetsOnTheWire) {
  const std::string l998(998, 'a');
  auto ok = smtp_encode_data(l998 + "\n" + l998);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, l998 + "\r\n" + l998 + "\r\n.\r\n");

  std::size_t line = 0;
  auto bad = smtp_encode_data("one\ntwo\n" + std::string(999, 'b') + "\n", &line);
  EXPECT_EQ(bad.error(), SmtpClientErrc::message_line_too_long);
  EXPECT_EQ(line, 3U);
  bad = smtp_encode_data(std::string(1001, 'c'), &line);
  EXPECT_EQ(bad.error(), SmtpClientErrc::message_line_too_long);
  EXPECT_EQ(line, 1U);
  // A stuffed dot makes 997 octets of text 998 on the wire: fine; 998 of text is one too many.
  EXPECT_TRUE(smtp_encode_data("." + std::string(996, 'd')));
  EXPECT_EQ(smtp_encode_data("." + std::string(997, 'd')).error(),
            SmtpClientErrc::message_line_too_long);
}

TEST(SmtpData, ErrorIsStickyAndEmitsNothingPastTheLimit) {
  SmtpDataEncoder e;
  std::string out;
  EXPECT_TRUE(e.encode(std::string(998, 'x'), out));
  EXPECT_EQ(e.encode("y", out).error(), SmtpClientErrc::message_line_too_long);
  EXPECT_EQ(out.size(), 998U);
  EXPECT_EQ(e.encode("\n", out).error(), SmtpClientErrc::message_line_too_long);
  EXPECT_EQ(e.finish(out).error(), SmtpClientErrc::message_line_too_long);
  EXPECT_EQ(out.size(), 998U);
}

TEST(SmtpData, EightBitIsNoticed) {
  SmtpDataEncoder e;
  std::string out;
  ASSERT_TRUE(e.encode("plain\n", out));
  EXPECT_FALSE(e.eight_bit());
  ASSERT_TRUE(e.encode("\xc3\xa9", out));
  EXPECT_TRUE(e.eight_bit());
  EXPECT_TRUE(has_eight_bit("\x80"));
  EXPECT_FALSE(has_eight_bit("ascii\x7f"));
}

TEST(SmtpMessage, Base64) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("\0\xff\xfe"s), "AP/+");
  EXPECT_EQ(base64_encode(std::string(60, 'a'), 76),
            std::string(76, 'Y').replace(0, 76, base64_encode(std::string(57, 'a'))) + "\r\n" +
                base64_encode("aaa"));
}

TEST(SmtpMessage, Date) {
  EXPECT_EQ(smtp_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(smtp_date(1796558400), "Sun, 06 Dec 2026 12:00:00 +0000");
}

SmtpMessageSpec simple() {
  SmtpMessageSpec s;
  s.from = "alice@example.org";
  s.to = {"bob@example.org", "carol@example.org"};
  s.subject = "Hello";
  s.body = "line 1\nline 2";
  s.date = 0;
  s.unique = "abc123";
  s.message_id_domain = "host.example";
  return s;
}

TEST(SmtpMessage, PlainTextMessage) {
  const auto m = build_smtp_message(simple());
  ASSERT_TRUE(m);
  EXPECT_EQ(*m,
            "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"
            "From: alice@example.org\r\n"
            "To: bob@example.org, carol@example.org\r\n"
            "Subject: Hello\r\n"
            "Message-ID: <abc123@host.example>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 7bit\r\n"
            "\r\n"
            "line 1\r\nline 2\r\n");
}

TEST(SmtpMessage, HeadersOverrideAndEncodedWords) {
  auto s = simple();
  s.subject =
      "Gr\xc3\xbc\xc3\x9f"
      "e";
  s.headers = {{"Date", "Mon, 1 Jan 2001 00:00:00 +0000"}, {"X-Tag", "t"}};
  s.body = "\xc3\xa9t\xc3\xa9";
  const auto m = build_smtp_message(s);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->find("Date: Thu"), std::string::npos);
  EXPECT_NE(m->find("Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"), std::string::npos);
  EXPECT_NE(m->find("Date: Mon, 1 Jan 2001 00:00:00 +0000\r\nX-Tag: t\r\n"), std::string::npos);
  EXPECT_NE(m->find("Content-Transfer-Encoding: 8bit\r\n\r\n\xc3\xa9t\xc3\xa9\r\n"),
            std::string::npos);
}

TEST(SmtpMessage, LongSubjectFoldsIntoSeveralWords) {
  auto s = simple();
  std::string subject;
  for (int i = 0; i < 40; ++i)
    subject += "\xc3\xa9";  // 80 bytes: two words, no sequence split
  s.subject = subject;
  const auto m = build_smtp_message(s);
  ASSERT_TRUE(m);
  EXPECT_NE(m->find("Subject: =?UTF-8?B?" + base64_encode(subject.substr(0, 44)) +
                    "?=\r\n =?UTF-8?B?" + base64_encode(subject.substr(44)) + "?=\r\n"),
            std::string::npos);
}

TEST(SmtpMessage, HeaderInjectionRefused) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"X-A", "v\r\nBcc: evil@x"}, {"X-A", "v\nx"}, {"Bad:Name", "v"}, {"", "v"}, {"Sp ace", "v"}};
  for (const auto& h : bad) {
    auto s = simple();
    s.headers = {h};
    EXPECT_EQ(build_smtp_message(s).error(), SmtpClientErrc::invalid_header) << h.first;
  }
  auto s = simple();
  s.subject = "a\r\nBcc: x";
  EXPECT_EQ(build_smtp_message(s).error(), SmtpClientErrc::invalid_header);
  s = simple();
  s.attachments = {{"a\r\nb.txt", "", "x"}};
  EXPECT_EQ(build_smtp_message(s).error(), SmtpClientErrc::invalid_header);
}

TEST(SmtpMessage, Attachments) {
  auto s = simple();
  s.body = "see attached";
  s.attachments = {{"report.PDF", "", "%PDF-1.4\n\xff"}, {"na\"me \xc3\xa9.bin", "", ""}};
  const auto m = build_smtp_message(s);
  ASSERT_TRUE(m);
  const std::string b = "=_sockit_abc123";
  EXPECT_NE(m->find("Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n"),
            std::string::npos);
  EXPECT_NE(m->find("--" + b +
                    "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: 7bit\r\n\r\nsee attached\r\n--" +
                    b +
                    "\r\n"
                    "Content-Type: application/pdf\r\n"
                    "Content-Disposition: attachment; filename=\"report.PDF\"\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n" +
                    base64_encode("%PDF-1.4\n\xff") + "\r\n--" + b +
                    "\r\n"
                    "Content-Type: application/octet-stream\r\n"
                    "Content-Disposition: attachment; filename*=UTF-8''na%22me%20%C3%A9.bin\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n--" +
                    b + "--\r\n"),
            std::string::npos)
      << *m;
  EXPECT_TRUE(smtp_encode_data(*m));
}

TEST(SmtpMessage, LongBodyLinesGoAsBase64) {
  auto s = simple();
  s.body = std::string(2000, 'z');
  const auto m = build_smtp_message(s);
  ASSERT_TRUE(m);
  EXPECT_NE(m->find("Content-Transfer-Encoding: base64\r\n\r\n"), std::string::npos);
  EXPECT_TRUE(smtp_encode_data(*m));  // every line fits now
}

TEST(SmtpMessage, ContentTypes) {
  EXPECT_EQ(guess_content_type("a.txt"), "text/plain");
  EXPECT_EQ(guess_content_type("A.JPG"), "image/jpeg");
  EXPECT_EQ(guess_content_type("noext"), "application/octet-stream");
  EXPECT_EQ(guess_content_type("x.weird"), "application/octet-stream");
}

}  // namespace
}  // namespace sockit
