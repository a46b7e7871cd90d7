// Fuzzes the SMTP server's framing and command parsing (SmtpServerCodec, parse_mail_from,
// parse_rcpt_to). Input layout: byte 0 = limits (tiny or default), then a feeding plan and the
// client's stream (see fuzz_support.hpp). A DATA command starts a body, as the session does.
// Invariants:
//  - chunked, byte-at-a-time and one-shot feeding give the same events (no split point changes
//    where a command or a body ends: the smuggling class);
//  - a command holds no CR or LF and fits the command-line limit;
//  - a body holds CR and LF only as CRLF, no line over the text-line limit, nothing over the
//    size limit, and dot-stuffing it again then feeding it after DATA gives back the same body;
//  - every MAIL/RCPT argument parses or fails with an smtp-server error; an accepted address
//    holds no space, control octet or angle bracket.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sockit/codec/smtp_server.hpp"

using sockit::SmtpEvent;
using sockit::SmtpServerCodec;
using sockit::SmtpServerLimits;

namespace {

struct Events final : sockit::MessageSink {
  explicit Events(SmtpServerCodec& c) : codec(c) {}
  bool on_message(std::string_view m) override {
    const SmtpEvent e = sockit::decode_smtp_event(m);
    SOCKIT_FUZZ_CHECK(e.kind != SmtpEvent::Kind::invalid);
    out.push_back(std::string(1, m[0]) + std::string(e.text) +
                  (e.error ? e.error.message() : std::string()));
    if (e.kind == SmtpEvent::Kind::command) {
      const auto c = sockit::split_smtp_command(e.text);
      if (sockit::smtp_verb_is(c.verb, "DATA")) codec.begin_data();
    }
    return true;
  }
  SmtpServerCodec& codec;
  std::vector<std::string> out;
};

std::vector<std::string> run(const SmtpServerLimits& limits,
                             const std::vector<std::string_view>& chunks) {
  SmtpServerCodec codec(limits);
  Events sink(codec);
  for (auto chunk : chunks)
    SOCKIT_FUZZ_CHECK(codec.decode(chunk, sink));
  SOCKIT_FUZZ_CHECK(codec.finish(sink));
  SOCKIT_FUZZ_CHECK(!codec.partial());
  return sink.out;
}

void check_address(const sockit::Result<sockit::SmtpPath>& p) {
  if (!p) {
    SOCKIT_FUZZ_CHECK(p.error().category() == sockit::smtp_server_category());
    return;
  }
  for (char c : p->address) {
    const auto u = static_cast<unsigned char>(c);
    SOCKIT_FUZZ_CHECK(u > 0x20 && u != 0x7f && c != '<' && c != '>');
  }
}

void check_command(std::string_view line, const SmtpServerLimits& limits) {
  SOCKIT_FUZZ_CHECK(line.find_first_of("\r\n") == std::string_view::npos);
  SOCKIT_FUZZ_CHECK(line.size() + 2 <= limits.max_command_line);
  const auto c = sockit::split_smtp_command(line);
  if (sockit::smtp_verb_is(c.verb, "MAIL")) check_address(sockit::parse_mail_from(c.argument));
  if (sockit::smtp_verb_is(c.verb, "RCPT")) check_address(sockit::parse_rcpt_to(c.argument));
}

void check_body(std::string_view body, const SmtpServerLimits& limits) {
  SOCKIT_FUZZ_CHECK(body.size() <= limits.max_message);
  std::string stuffed = "DATA\r\n";
  std::size_t line = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\r') SOCKIT_FUZZ_CHECK(i + 1 < body.size() && body[i + 1] == '\n');
    if (c == '\n') {
      SOCKIT_FUZZ_CHECK(i > 0 && body[i - 1] == '\r');
      line = 0;
    } else if (c != '\r') {
      if (line == 0 && c == '.') stuffed.push_back('.');
      ++line;
      SOCKIT_FUZZ_CHECK(line + 2 <= limits.max_text_line);
    }
    stuffed.push_back(c);
  }
  if (!body.empty()) SOCKIT_FUZZ_CHECK(body.ends_with("\r\n"));
  stuffed += ".\r\n";
  SmtpServerLimits wide = limits;
  wide.max_text_line += 1;
  const auto again = run(wide, {stuffed});
  SOCKIT_FUZZ_CHECK(again.size() == 2 && again[1] == "D" + std::string(body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  SmtpServerLimits limits;
  if ((data[0] & 1) != 0) {
    limits.max_command_line = 16;
    limits.max_text_line = 12;
    limits.max_message = 40;
  }
  const auto plan = sockit::fuzz::make_plan(data + 1, size - 1);
  const auto chunked = run(limits, plan.chunks());
  const auto one_shot = run(limits, {plan.bytes});
  const auto bytewise = run(limits, sockit::fuzz::bytes_of(plan.bytes));
  SOCKIT_FUZZ_CHECK(chunked == one_shot && one_shot == bytewise);
  for (const auto& e : one_shot) {
    const std::string_view text = std::string_view(e).substr(1);
    if (e[0] == 'C') check_command(text, limits);
    if (e[0] == 'D') check_body(text, limits);
  }
  return 0;
}
