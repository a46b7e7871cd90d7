// Fuzzes the request side of the HTTP codec (HttpRequestParser + HttpBodyDecoder). Input
// layout: see fuzz_http_driver.hpp. Invariants (a violation traps):
//  - one piece, the fuzzer-chosen two-piece split and byte-by-byte feeding give the same
//    messages (start line, fields, framing, keep-alive, body, trailers), the same error and the
//    same leftover;
//  - header and trailer views lie inside the caller's buffer; no message exceeds the limits;
//  - errors are http_category() codes mapping to 400/413/414/431/501/505, and sticky;
//  - every accepted request, written again by write_request_head/write_chunk (framing fields
//    from its HttpBody), parses back to the same request.
#include <cstdint>
#include <string>

#include "fuzz_http_driver.hpp"
#include "sockit/codec/http_writer.hpp"

namespace {

using sockit::HttpBodyKind;
using sockit::HttpHeader;
using sockit::fuzz::HttpMessage;

bool is_framing(const std::string& name) {
  return sockit::http_iequals(name, "content-length") ||
         sockit::http_iequals(name, "transfer-encoding");
}

void check_round_trip(const HttpMessage& m, const sockit::fuzz::HttpInput& in) {
  std::vector<HttpHeader> fields;
  for (const auto& [name, value] : m.fields)
    if (!is_framing(name)) fields.push_back({name, value});
  const std::size_t space = m.start.find(' ');
  const std::string method = m.start.substr(0, space);
  const std::string target = m.start.substr(space + 1);
  std::string wire;
  SOCKIT_FUZZ_CHECK(sockit::write_request_head(wire, method, target, fields, m.framing, m.version));
  if (m.framing.kind == HttpBodyKind::chunked) {
    sockit::write_chunk(wire, m.body);
    std::vector<HttpHeader> trailers;
    for (const auto& [name, value] : m.trailers)
      trailers.push_back({name, value});
    // Trailers that the writer refuses (framing names) are left out of the comparison.
    if (!sockit::write_last_chunk(wire, trailers)) return;
  } else {
    wire += m.body;
  }
  sockit::fuzz::HttpInput again = in;
  again.bytes = wire;
  again.eof = false;
  // Writing adds a space after each colon: read it back with room to spare.
  again.limits =
      sockit::HttpLimits{1 << 20, 1 << 16, 1 << 20, 1 << 30, 1 << 12, 1 << 12, 1 << 16, 1 << 20};
  const auto back = sockit::fuzz::HttpDriver(again, false).run({wire});
  SOCKIT_FUZZ_CHECK(!back.error && back.messages.size() == 1 && back.left == 0);
  const HttpMessage& b = back.messages[0];
  SOCKIT_FUZZ_CHECK(b.start == m.start && b.version == m.version && b.body == m.body);
  SOCKIT_FUZZ_CHECK(b.framing == m.framing && b.keep_alive == m.keep_alive);
  SOCKIT_FUZZ_CHECK(b.trailers == m.trailers);
  std::size_t i = 0;
  for (const auto& f : b.fields) {
    if (is_framing(f.first)) continue;
    SOCKIT_FUZZ_CHECK(i < fields.size() && f.first == fields[i].name &&
                      f.second == fields[i].value);
    ++i;
  }
  SOCKIT_FUZZ_CHECK(i == fields.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const auto in = sockit::fuzz::make_http_input(data, size);
  const auto outcome = sockit::fuzz::check_split_property(in, false);
  for (const auto& m : outcome.messages)
    check_round_trip(m, in);
  return 0;
}
