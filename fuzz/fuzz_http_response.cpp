// Fuzzes the response side of the HTTP codec (HttpResponseParser + HttpBodyDecoder), for a
// request method chosen by the input (GET, HEAD, CONNECT, POST) and with or without the peer
// closing at the end (close-delimited bodies). Input layout: see fuzz_http_driver.hpp.
// Invariants (a violation traps):
//  - one piece, the fuzzer-chosen two-piece split and byte-by-byte feeding give the same
//    messages, error and leftover;
//  - views inside the caller's buffer, limits kept, errors sticky and mapped to a status;
//  - the body rules: HEAD, 1xx, 204, 304 and CONNECT 2xx responses have no body; a body that
//    ends at close never keeps the connection alive.
#include <cstdint>
#include <string>

#include "fuzz_http_driver.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const auto in = sockit::fuzz::make_http_input(data, size);
  const auto outcome = sockit::fuzz::check_split_property(in, true);
  for (const auto& m : outcome.messages) {
    const int status = std::stoi(m.start.substr(0, 3));
    const bool bodiless = in.method == "HEAD" || status < 200 || status == 204 || status == 304 ||
                          (in.method == "CONNECT" && status < 300);
    if (bodiless) SOCKIT_FUZZ_CHECK(m.framing.kind == sockit::HttpBodyKind::none && m.body.empty());
    if (m.framing.kind == sockit::HttpBodyKind::until_close) SOCKIT_FUZZ_CHECK(!m.keep_alive);
    if (m.framing.kind == sockit::HttpBodyKind::length)
      SOCKIT_FUZZ_CHECK(m.body.size() == m.framing.length);
  }
  return 0;
}
