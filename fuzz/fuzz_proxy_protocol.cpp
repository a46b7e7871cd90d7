// Fuzzes the PROXY protocol header codec (parse_proxy_header, ProxyHeaderDecoder). Input
// layout: byte 0 picks the v2 size limit (0: the default 4096; else 16 + 4 * byte), then a
// feeding plan and the stream (see fuzz_support.hpp). Invariants:
//  - one-shot, chunked and byte-at-a-time feeding give the same outcome (status, error, header);
//    the decoder's consumed counts add up to exactly header.size, never more than was fed;
//  - a complete header fits the stream and the limits, parses the same from its own bytes
//    alone (what follows is payload), and one byte less is need_more;
//  - need_more only below the longest header the limits allow; finish() then says truncated
//    (or missing for an empty stream);
//  - encode_proxy_v1/v2 of a header with addresses parse back to the same addresses.
#include <algorithm>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "sockit/codec/proxy_protocol.hpp"

using namespace sockit;

namespace {

bool same(const ProxyParse& a, const ProxyParse& b) {
  if (a.status != b.status || a.error != b.error) return false;
  if (a.status != ProxyStatus::complete) return true;
  const ProxyHeader& x = a.header;
  const ProxyHeader& y = b.header;
  return x.version == y.version && x.command == y.command && x.family == y.family &&
         x.datagram == y.datagram && x.source == y.source && x.destination == y.destination &&
         x.size == y.size;
}

// Feeds the chunks to a fresh decoder; returns its outcome and checks what it consumed.
ProxyParse feed(const ProxyLimits& limits, const std::vector<std::string_view>& chunks) {
  ProxyHeaderDecoder d(limits);
  ProxyParse last;
  std::size_t consumed = 0;
  std::size_t fed = 0;
  for (auto c : chunks) {
    const auto step = d.feed(c);
    SOCKIT_FUZZ_CHECK(step.consumed <= c.size());
    fed += c.size();
    consumed += step.consumed;
    last = step.parse;
    if (last.status != ProxyStatus::need_more) break;
  }
  if (last.status == ProxyStatus::complete) SOCKIT_FUZZ_CHECK(consumed == last.header.size);
  if (last.status == ProxyStatus::need_more) {
    SOCKIT_FUZZ_CHECK(consumed == fed && d.buffered() == fed);
    const ProxyParse end = d.finish();
    SOCKIT_FUZZ_CHECK(end.status == ProxyStatus::error);
    SOCKIT_FUZZ_CHECK(end.error == (fed == 0 ? ProxyErrc::missing : ProxyErrc::truncated));
  }
  return last;
}

void check_round_trip(const ProxyHeader& h) {
  if (!h.source || !h.destination) return;
  const ProxyParse v1 = parse_proxy_header(encode_proxy_v1(h));
  SOCKIT_FUZZ_CHECK(v1.status == ProxyStatus::complete);
  SOCKIT_FUZZ_CHECK(v1.header.source == h.source && v1.header.destination == h.destination);
  const ProxyParse v2 = parse_proxy_header(encode_proxy_v2(h));
  SOCKIT_FUZZ_CHECK(v2.status == ProxyStatus::complete);
  SOCKIT_FUZZ_CHECK(v2.header.source == h.source && v2.header.destination == h.destination);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  ProxyLimits limits;
  if (data[0] != 0) limits.max_v2_bytes = 16 + 4 * std::size_t{data[0]};
  const auto plan = sockit::fuzz::make_plan(data + 1, size - 1);
  const std::string_view stream = plan.bytes;

  const ProxyParse once = parse_proxy_header(stream, limits);
  SOCKIT_FUZZ_CHECK(same(once, feed(limits, {stream})));
  SOCKIT_FUZZ_CHECK(same(once, feed(limits, plan.chunks())));
  SOCKIT_FUZZ_CHECK(same(once, feed(limits, sockit::fuzz::bytes_of(stream))));

  const std::size_t longest =
      std::max({ProxyLimits::kV1MaxBytes, limits.max_v2_bytes, ProxyLimits::kV2FixedBytes});
  switch (once.status) {
    case ProxyStatus::need_more:
      SOCKIT_FUZZ_CHECK(stream.size() < longest);
      break;
    case ProxyStatus::error:
      SOCKIT_FUZZ_CHECK(once.error && once.error.category() == proxy_category());
      break;
    case ProxyStatus::complete: {
      const ProxyHeader& h = once.header;
      SOCKIT_FUZZ_CHECK(h.size > 0 && h.size <= stream.size() && h.size <= longest);
      SOCKIT_FUZZ_CHECK(h.version == 1 || h.version == 2);
      SOCKIT_FUZZ_CHECK(same(once, parse_proxy_header(stream.substr(0, h.size), limits)));
      const ProxyParse shorter = parse_proxy_header(stream.substr(0, h.size - 1), limits);
      SOCKIT_FUZZ_CHECK(shorter.status == ProxyStatus::need_more);
      SOCKIT_FUZZ_CHECK(h.source.has_value() == h.destination.has_value());
      check_round_trip(h);
      break;
    }
  }
  return 0;
}
