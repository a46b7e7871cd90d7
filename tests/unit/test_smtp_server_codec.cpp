// The SMTP server codec: framing fed at every split point (the smuggling cases: "\n.\n",
// "\r.\r", bare LF/CR, ".." unstuffing), limits, STARTTLS discard, and the event tags.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sockit/codec/smtp_server.hpp"

namespace sockit {
namespace {

// What a session would see: each event as text ("C:MAIL FROM:<a>", "D:<body>", "E:<error>",
// "R:<error>"). Like the real session, it starts a body after every DATA command.
struct Collector final : MessageSink {
  explicit Collector(SmtpServerCodec& c) : codec(c) {}
  bool on_message(std::string_view m) override {
    const SmtpEvent e = decode_smtp_event(m);
    switch (e.kind) {
      case SmtpEvent::Kind::command:
        events.push_back("C:" + std::string(e.text));
        if (smtp_verb_is(split_smtp_command(e.text).verb, "DATA")) codec.begin_data();
        if (smtp_verb_is(split_smtp_command(e.text).verb, "STARTTLS")) codec.discard_input();
        break;
      case SmtpEvent::Kind::body:
        events.push_back("D:" + std::string(e.text));
        break;
      case SmtpEvent::Kind::error:
        events.push_back("E:" + e.error.message());
        break;
      case SmtpEvent::Kind::refused:
        events.push_back("R:" + e.error.message());
        break;
      case SmtpEvent::Kind::invalid:
        events.push_back("?");
        break;
    }
    lasts.push_back(e.last);
    return true;
  }
  SmtpServerCodec& codec;
  std::vector<std::string> events;
  std::vector<bool> lasts;
};

std::vector<std::string> feed(std::string_view input, const std::vector<std::size_t>& cuts,
                              SmtpServerLimits limits = {}) {
  SmtpServerCodec codec(limits);
  Collector sink(codec);
  std::size_t at = 0;
  for (std::size_t cut : cuts) {
    EXPECT_TRUE(codec.decode(input.substr(at, cut - at), sink));
    at = cut;
  }
  EXPECT_TRUE(codec.decode(input.substr(at), sink));
  return sink.events;
}

// Every way of cutting the input into two reads, and byte by byte, gives the one-shot events.
void expect_events(std::string_view input, const std::vector<std::string>& expected,
                   SmtpServerLimits limits = {}) {
  EXPECT_EQ(feed(input, {}, limits), expected);
  for (std::size_t cut = 1; cut < input.size(); ++cut)
    ASSERT_EQ(feed(input, {cut}, limits), expected) << "split at " << cut;
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < input.size(); ++i)
    every.push_back(i);
  EXPECT_EQ(feed(input, every, limits), expected) << "byte by byte";
}

const std::string kBareNl = "R:bare CR or LF in SMTP input";

TEST(SmtpServerCodec, CommandsAndBody) {
  expect_events("EHLO x\r\nMAIL FROM:<a@x>\r\nDATA\r\nHello\r\nworld\r\n.\r\nQUIT\r\n",
                {"C:EHLO x", "C:MAIL FROM:<a@x>", "C:DATA", "D:Hello\r\nworld\r\n", "C:QUIT"});
}

TEST(SmtpServerCodec, EmptyBody) {
  expect_events("DATA\r\n.\r\nNOOP\r\n", {"C:DATA", "D:", "C:NOOP"});
}

TEST(SmtpServerCodec, DotUnstuffing) {
  expect_events("DATA\r\n..\r\n...x\r\n.y\r\nz.\r\n.\r\n", {"C:DATA", "D:.\r\n..x\r\ny\r\nz.\r\n"});
}

TEST(SmtpServerCodec, BareLfDotLfNeverEndsTheBody) {
  // The smuggling attempt: "\n.\n" and then a second transaction inside the first body.
  expect_events("DATA\r\na\n.\nMAIL FROM:<evil@x>\r\nDATA\r\nb\r\n.\r\nNOOP\r\n",
                {"C:DATA", kBareNl, "C:NOOP"});
}

TEST(SmtpServerCodec, BareCrDotCrNeverEndsTheBody) {
  expect_events("DATA\r\na\r.\rRCPT TO:<x@y>\r\n.\r\n", {"C:DATA", kBareNl});
}

TEST(SmtpServerCodec, MixedEndingsNeverEndTheBody) {
  expect_events("DATA\r\na\r\n.\nb\r\n.\r\n", {"C:DATA", kBareNl});
  expect_events("DATA\r\na\n.\r\nb\r\n.\r\n", {"C:DATA", kBareNl});
  expect_events("DATA\r\na\r\n.\r\r\n.\r\n", {"C:DATA", kBareNl});
}

TEST(SmtpServerCodec, BareLfOrCrInBodyRefused) {
  expect_events("DATA\r\nx\ny\r\n.\r\n", {"C:DATA", kBareNl});
  expect_events("DATA\r\nx\ry\r\n.\r\n", {"C:DATA", kBareNl});
  expect_events("DATA\r\n\n.\r\n", {"C:DATA"});  // "\n.\r\n" is not CRLF.CRLF
  expect_events("DATA\r\n\n.\r\n.\r\n", {"C:DATA", kBareNl});
}

TEST(SmtpServerCodec, BareNewlineInCommandLine) {
  // The line runs to its CRLF: "NOOP\nQUIT" is one bad line, not two commands.
  expect_events("NOOP\nQUIT\r\nNOOP\rQUIT\r\nRSET\r\n",
                {"E:bare CR or LF in SMTP input", "E:bare CR or LF in SMTP input", "C:RSET"});
}

TEST(SmtpServerCodec, CommandLineLimit) {
  const std::string ok(510, 'a');
  const std::string too_long(511, 'b');
  expect_events(ok + "\r\n" + too_long + "\r\nNOOP\r\n",
                {"C:" + ok, "E:SMTP command line too long", "C:NOOP"});
  // A long line with a bare LF inside it is skipped to its CRLF, not to the LF.
  expect_events(std::string(600, 'c') + "\nNOOP\r\nRSET\r\n",
                {"E:SMTP command line too long", "C:RSET"});
}

TEST(SmtpServerCodec, CommandLimitHoldsNothingLong) {
  SmtpServerCodec codec;
  Collector sink(codec);
  ASSERT_TRUE(codec.decode(std::string(511, 'x'), sink));
  EXPECT_TRUE(sink.events.empty());
  EXPECT_TRUE(codec.partial());
  ASSERT_TRUE(codec.decode("y", sink));  // 512 octets and no CRLF: too long already
  EXPECT_EQ(sink.events, std::vector<std::string>{"E:SMTP command line too long"});
}

TEST(SmtpServerCodec, BodyLineLimit) {
  const std::string ok(998, 'x');
  const std::string too_long(999, 'y');
  expect_events("DATA\r\n" + ok + "\r\n.\r\n", {"C:DATA", "D:" + ok + "\r\n"});
  expect_events("DATA\r\n" + too_long + "\r\n.\r\nNOOP\r\n",
                {"C:DATA", "R:message line too long", "C:NOOP"});
  // The stuffed dot counts: it is on the wire.
  expect_events("DATA\r\n." + std::string(998, 'z') + "\r\n.\r\n",
                {"C:DATA", "R:message line too long"});
}

TEST(SmtpServerCodec, MessageSizeLimit) {
  SmtpServerLimits limits;
  limits.max_message = 10;
  expect_events("DATA\r\n12345678\r\n.\r\n", {"C:DATA", "D:12345678\r\n"}, limits);
  expect_events("DATA\r\n123456789\r\n.\r\nNOOP\r\n", {"C:DATA", "R:message too big", "C:NOOP"},
                limits);
}

TEST(SmtpServerCodec, TheLimitBrokenFirstIsReportedAtEverySplit) {
  // One long line breaks both limits: which is reported must not depend on how the bytes were
  // split (found by fuzz_smtp_command: in one piece the line limit won, byte by byte the size).
  SmtpServerLimits limits;
  limits.max_text_line = 12;
  limits.max_message = 40;
  expect_events("DATA\r\n" + std::string(60, 'a') + "\r\n.\r\n",
                {"C:DATA", "R:message line too long"}, limits);
  limits.max_message = 5;
  expect_events("DATA\r\n" + std::string(60, 'a') + "\r\n.\r\n", {"C:DATA", "R:message too big"},
                limits);
}

TEST(SmtpServerCodec, StartTlsDiscardsWhatFollowsInTheSameRead) {
  // The plaintext pipelined after STARTTLS (CVE-2011-0411) is dropped with the read it came in.
  EXPECT_EQ(feed("EHLO x\r\nSTARTTLS\r\nMAIL FROM:<inject@x>\r\nRSE", {}),
            (std::vector<std::string>{"C:EHLO x", "C:STARTTLS"}));
  // What comes in a later read is decoded again (over TLS, in a real server).
  EXPECT_EQ(feed("STARTTLS\r\nNOOP\r\n", {10}), (std::vector<std::string>{"C:STARTTLS", "C:NOOP"}));
}

TEST(SmtpServerCodec, LastMarksTheEndOfAReadsMessages) {
  SmtpServerCodec codec;
  Collector sink(codec);
  ASSERT_TRUE(codec.decode("NOOP\r\nNOOP\r\nNOO", sink));
  EXPECT_EQ(sink.lasts, (std::vector<bool>{false, true}));
  ASSERT_TRUE(codec.decode("P\r\n" + std::string(600, 'x'), sink));
  // The too-long line after it is an error message that follows: not last.
  EXPECT_EQ(sink.lasts, (std::vector<bool>{false, true, false, true}));
}

TEST(SmtpServerCodec, LastLooksPastASkippedLine) {
  SmtpServerCodec codec;
  Collector sink(codec);
  // A too-long line with bare LFs in it (no stack depth per LF), then a command in the same read.
  ASSERT_TRUE(
      codec.decode(std::string(600, 'x') + std::string(100000, '\n') + "\r\nNOOP\r\n", sink));
  EXPECT_EQ(sink.events, (std::vector<std::string>{"E:SMTP command line too long", "C:NOOP"}));
  EXPECT_EQ(sink.lasts, (std::vector<bool>{false, true}));
}

TEST(SmtpServerCodec, PartialAndFinish) {
  SmtpServerCodec codec;
  Collector sink(codec);
  EXPECT_FALSE(codec.partial());
  ASSERT_TRUE(codec.decode("DATA\r\nabc", sink));
  EXPECT_TRUE(codec.partial());
  EXPECT_TRUE(codec.in_data());
  ASSERT_TRUE(codec.finish(sink));  // the peer left mid-body: nothing delivered
  EXPECT_FALSE(codec.partial());
  EXPECT_EQ(sink.events, std::vector<std::string>{"C:DATA"});
}

TEST(SmtpServerCodec, CloseReplies) {
  SmtpServerCodec codec;
  EXPECT_EQ(codec.close_reply(make_error_code(Errc::idle_timeout)),
            "421 4.4.2 Idle too long, closing connection\r\n");
  EXPECT_EQ(codec.close_reply(make_error_code(Errc::partial_timeout)),
            "421 4.4.2 Command not completed in time, closing connection\r\n");
  EXPECT_EQ(codec.close_reply({}), std::nullopt);
}

TEST(SmtpServerEvent, RejectsForeignMessages) {
  EXPECT_EQ(decode_smtp_event("").kind, SmtpEvent::Kind::invalid);
  EXPECT_EQ(decode_smtp_event("CX").kind, SmtpEvent::Kind::invalid);
  EXPECT_EQ(decode_smtp_event("EL9999").kind, SmtpEvent::Kind::invalid);
  EXPECT_EQ(decode_smtp_event("ELx").kind, SmtpEvent::Kind::invalid);
}

}  // namespace
}  // namespace sockit
