// Fuzzes the SMTP client codec: SmtpReplyParser and SmtpDataEncoder on the same stream.
// Input layout: byte 0 = max_line (4..259), byte 1 = max_lines (1..256), then a feeding plan
// and the stream (see fuzz_support.hpp). Invariants:
//  - the parser gives the same replies and the same error fed in the plan's chunks, in one
//    piece and a byte at a time; every reply has a code 200..599 and 1..max_lines lines, each
//    no longer than the line limit allows; errors are sticky and of the "smtp" category;
//    reset() gives a parser that behaves like a new one;
//  - the DATA encoder gives the same bytes for every feeding; its output has CR only before LF
//    and LF only after CR, the end-of-data line only at its very end, no line over 998
//    octets, and un-stuffing it gives back the input with its line endings made CRLF; it fails
//    only with message_line_too_long, and only when the input has such a line.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sockit/codec/smtp_message.hpp"
#include "sockit/codec/smtp_reply.hpp"

namespace {

using sockit::SmtpClientErrc;
using sockit::SmtpDataEncoder;
using sockit::SmtpReply;
using sockit::SmtpReplyLimits;
using sockit::SmtpReplyParser;

struct Replies {
  std::vector<SmtpReply> replies;
  std::error_code error;
  bool operator==(const Replies&) const = default;
};

Replies parse(SmtpReplyParser& p, const std::vector<std::string_view>& chunks) {
  Replies out;
  for (const auto chunk : chunks) {
    p.feed(chunk);
    for (std::size_t guard = 0; guard <= chunk.size() + 1; ++guard) {
      auto r = p.next();
      if (!r) {
        SOCKIT_FUZZ_CHECK(r.error().category() == sockit::smtp_client_category());
        SOCKIT_FUZZ_CHECK(p.next().error() == r.error());  // sticky
        out.error = r.error();
        return out;
      }
      if (!*r) break;
      out.replies.push_back(std::move(**r));
    }
  }
  return out;
}

void check_replies(const Replies& r, const SmtpReplyLimits& limits) {
  for (const auto& reply : r.replies) {
    SOCKIT_FUZZ_CHECK(reply.code >= 200 && reply.code <= 599);
    SOCKIT_FUZZ_CHECK(!reply.lines.empty() && reply.lines.size() <= limits.max_lines);
    for (const auto& line : reply.lines)
      SOCKIT_FUZZ_CHECK(line.size() + 4 <= limits.max_line);
    if (reply.enhanced) SOCKIT_FUZZ_CHECK(reply.enhanced->klass == reply.klass());
  }
}

// Every line ending as CRLF: what the encoder must have sent, less the stuffing.
std::string normalized(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\r') {
      if (i + 1 < in.size() && in[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (in[i] == '\n') {
      out += "\r\n";
    } else {
      out += in[i];
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

std::optional<std::string> encode(const std::vector<std::string_view>& chunks) {
  SmtpDataEncoder e;
  std::string out;
  for (const auto c : chunks) {
    if (auto st = e.encode(c, out); !st) {
      SOCKIT_FUZZ_CHECK(st.error() == SmtpClientErrc::message_line_too_long);
      return std::nullopt;
    }
  }
  SOCKIT_FUZZ_CHECK(e.finish(out));
  return out;
}

void check_data(const sockit::fuzz::Plan& plan) {
  const auto whole = encode({plan.bytes});
  SOCKIT_FUZZ_CHECK(encode(plan.chunks()) == whole);
  SOCKIT_FUZZ_CHECK(encode(sockit::fuzz::bytes_of(plan.bytes)) == whole);
  const std::string expected = normalized(plan.bytes);
  if (!whole) {
    // Some line of the input (stuffed dot included) is over the limit.
    bool long_line = false;
    std::size_t start = 0;
    while (start < expected.size() && !long_line) {
      const std::size_t end = expected.find("\r\n", start);
      const std::size_t len = end - start + (expected[start] == '.' ? 1 : 0);
      long_line = len > SmtpDataEncoder::kMaxLine;
      start = end + 2;
    }
    SOCKIT_FUZZ_CHECK(long_line);
    return;
  }
  const std::string& w = *whole;
  SOCKIT_FUZZ_CHECK(w.ends_with(".\r\n"));
  SOCKIT_FUZZ_CHECK(("\r\n" + w).find("\r\n.\r\n") == w.size() - 3);
  std::string unstuffed;
  std::size_t start = 0;
  while (start < w.size() - 3) {
    const std::size_t end = w.find("\r\n", start);
    SOCKIT_FUZZ_CHECK(end != std::string::npos && end - start <= SmtpDataEncoder::kMaxLine);
    std::string_view line(w.data() + start, end - start);
    SOCKIT_FUZZ_CHECK(line.find_first_of("\r\n") == std::string_view::npos);
    if (line.starts_with('.')) {
      SOCKIT_FUZZ_CHECK(line.size() >= 2 && line[1] == '.');  // every leading dot stuffed
      line.remove_prefix(1);
    }
    unstuffed.append(line);
    unstuffed += "\r\n";
    start = end + 2;
  }
  SOCKIT_FUZZ_CHECK(unstuffed == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  SmtpReplyLimits limits;
  limits.max_line = std::size_t{data[0]} + 4;
  limits.max_lines = std::size_t{data[1]} + 1;
  const auto plan = sockit::fuzz::make_plan(data + 2, size - 2);

  SmtpReplyParser chunked(limits), one_shot(limits), bytewise(limits);
  const Replies a = parse(chunked, plan.chunks());
  const Replies b = parse(one_shot, {plan.bytes});
  const Replies c = parse(bytewise, sockit::fuzz::bytes_of(plan.bytes));
  SOCKIT_FUZZ_CHECK(a == b && a == c);
  check_replies(a, limits);
  chunked.reset();
  SOCKIT_FUZZ_CHECK(chunked.buffered() == 0);
  SOCKIT_FUZZ_CHECK(parse(chunked, {plan.bytes}) == b);

  check_data(plan);
  return 0;
}
