// Fuzzes the FTP codec. Input layout: byte 0 = max_line (8..263), then a feeding plan and the
// stream (see fuzz_support.hpp). Invariants:
//  - feeding in the plan's chunks and feeding in one piece give the same replies, the same
//    error and the same buffered() count;
//  - every reply has a code 100..599 and at most max_lines lines, none longer than max_line;
//  - the reply texts go through every other FTP parser (PASV, EPSV, EPRT, MLSD, LIST) without
//    a crash, and what the address parsers accept formats back to an equal value.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sockit/codec/ftp_address.hpp"
#include "sockit/codec/ftp_list.hpp"
#include "sockit/codec/ftp_reply.hpp"

namespace {

constexpr std::size_t kMaxLines = 16;

struct Run {
  std::vector<sockit::FtpReply> replies;
  std::error_code error;
  std::size_t buffered = 0;
  bool operator==(const Run&) const = default;
};

Run run(const std::vector<std::string_view>& chunks, std::size_t max_line) {
  sockit::FtpReplyDecoder d(max_line, kMaxLines);
  Run out;
  for (auto chunk : chunks) {
    d.feed(chunk);
    for (;;) {
      auto r = d.next();
      if (!r) {
        out.error = r.error();
        SOCKIT_FUZZ_CHECK(d.next().error() == out.error);  // sticky
        return out;
      }
      if (!*r) break;
      out.replies.push_back(std::move(**r));
    }
  }
  out.buffered = d.buffered();
  return out;
}

void check_parsers(std::string_view text) {
  if (auto hp = sockit::parse_ftp_host_port(text))
    SOCKIT_FUZZ_CHECK(sockit::parse_ftp_host_port(sockit::format_ftp_host_port(*hp)).value() ==
                      *hp);
  if (auto port = sockit::parse_epsv_port(text)) SOCKIT_FUZZ_CHECK(*port != 0);
  if (auto a = sockit::parse_eprt_argument(text))
    SOCKIT_FUZZ_CHECK(sockit::parse_eprt_argument(sockit::format_eprt_argument(*a)).value() == *a);
  if (auto e = sockit::parse_mlsx_line(text)) SOCKIT_FUZZ_CHECK(e->raw == text);
  const auto e = sockit::parse_list_line(text);
  SOCKIT_FUZZ_CHECK(e.raw == text);
  SOCKIT_FUZZ_CHECK(e.parsed || e.name.empty());
  if (e.time) (void)sockit::to_unix_seconds(*e.time);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t max_line = std::size_t{data[0]} + 8;
  const auto plan = sockit::fuzz::make_plan(data + 1, size - 1);
  const Run chunked = run(plan.chunks(), max_line);
  const Run whole = run({plan.bytes}, max_line);
  SOCKIT_FUZZ_CHECK(chunked == whole);
  for (const auto& r : whole.replies) {
    SOCKIT_FUZZ_CHECK(r.code >= 100 && r.code <= 599);
    SOCKIT_FUZZ_CHECK(!r.lines.empty() && r.lines.size() <= kMaxLines);
    for (const auto& line : r.lines) {
      SOCKIT_FUZZ_CHECK(line.size() <= max_line);
      check_parsers(line);
    }
  }
  check_parsers(plan.bytes);
  return 0;
}
