// Fuzzes the CLI's own byte handling: `sockit connect/listen --frame none|line|len32 [-C]`
// (apps/sockit/framing.cpp: FrameEncoder for stdin -> wire, FrameDecoder for wire -> stdout).
// The CLI's option values themselves (ports, addresses, CIDR allow/deny lists, port lists) are
// parsed by the library functions that fuzz_endpoint, fuzz_ipv4/6, fuzz_cidr and
// fuzz_port_list cover; this is the parsing code that lives in the CLI.
// Input layout: byte 0 = frame (% 3) and -C (bit 2), then a feeding plan and the bytes.
// Invariants:
//  - decoding the same wire bytes chunked, byte-at-a-time or in one piece prints the same
//    output and fails (or not) the same way, and finish() agrees;
//  - stdin lines (without '\r') encoded and then decoded come back as the same lines.
#include <cstdint>
#include <string>
#include <vector>

#include "framing.hpp"
#include "fuzz_support.hpp"

using sockit::cli::Frame;
using sockit::cli::FrameDecoder;
using sockit::cli::FrameEncoder;

namespace {

struct Printed {
  std::string out;
  std::error_code error;
  bool finished_clean = false;
  friend bool operator==(const Printed&, const Printed&) = default;
};

Printed decode(Frame frame, const std::vector<std::string_view>& chunks) {
  FrameDecoder d(frame);
  Printed p;
  for (const auto chunk : chunks) {
    auto r = d.decode(chunk);
    if (!r) {
      p.error = r.error();
      return p;
    }
    p.out += *r;
  }
  p.finished_clean = d.finish().has_value();
  return p;
}

std::vector<std::string_view> bytes_of(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < s.size(); ++i)
    out.push_back(s.substr(i, 1));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto frame = static_cast<Frame>(data[0] % 3);
  const bool crlf = (data[0] & 4) != 0;
  const auto plan = sockit::fuzz::make_plan(data + 1, size - 1);

  const Printed a = decode(frame, plan.chunks());
  const Printed b = decode(frame, {plan.bytes});
  const Printed c = decode(frame, bytes_of(plan.bytes));
  SOCKIT_FUZZ_CHECK(a.error == b.error && a.error == c.error);
  if (!a.error) SOCKIT_FUZZ_CHECK(a == b && a == c);
  if (frame == Frame::raw) SOCKIT_FUZZ_CHECK(!a.error && a.out == plan.bytes);

  // stdin -> wire -> stdout: the lines survive (a '\r' at a line's end is stripped by design,
  // so the round trip uses lines without any '\r').
  if (frame == Frame::raw) return 0;
  std::string input;
  for (const char ch : plan.bytes)
    if (ch != '\r') input.push_back(ch);
  FrameEncoder enc(frame, crlf);
  std::string wire;
  const auto chunks = sockit::fuzz::Plan{plan.sizes, input}.chunks();
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    auto r = enc.encode(chunks[i], i + 1 == chunks.size());
    SOCKIT_FUZZ_CHECK(r.has_value());
    wire += *r;
  }
  if (chunks.empty()) SOCKIT_FUZZ_CHECK(enc.encode({}, true).value().empty());
  const Printed back = decode(frame, {wire});
  SOCKIT_FUZZ_CHECK(!back.error && back.finished_clean);
  std::string expected = input;
  if (!expected.empty() && expected.back() != '\n') expected.push_back('\n');
  SOCKIT_FUZZ_CHECK(back.out == expected);
  return 0;
}
