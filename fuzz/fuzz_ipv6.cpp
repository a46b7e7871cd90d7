// Fuzzes IPv6Address::parse (and IpAddress::parse for text with a ':'). Invariants: a rejected
// text comes with a reason and Errc::invalid_address; an accepted one formats (RFC 5952) to a
// text that parses back to the same address and formats to itself (the canonical form is a
// fixed point); any 16 bytes survive to_string -> parse. A zone written in the text comes back
// exactly as written; a kernel index prints as its interface name (or number), which parses
// back to a written zone that resolves to the same index.
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_support.hpp"
#include "sockit/net/address.hpp"

using sockit::IpAddress;
using sockit::IPv6Address;

namespace {

void check_round_trip(const IPv6Address& a) {
  const std::string text = a.to_string();
  std::string why;
  const auto back = IPv6Address::parse(text, &why);
  SOCKIT_FUZZ_CHECK(back);
  SOCKIT_FUZZ_CHECK(back->to_string() == text);
  if (!a.zone().empty() || a.scope_id() == 0) {
    SOCKIT_FUZZ_CHECK(*back == a);
  } else {
    SOCKIT_FUZZ_CHECK(back->bytes() == a.bytes());
    const auto index = back->resolve_scope_id();
    SOCKIT_FUZZ_CHECK(index && *index == a.scope_id());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sockit::fuzz::as_text(data, size);
  std::string why;
  const auto parsed = IPv6Address::parse(text, &why);
  if (parsed) {
    check_round_trip(*parsed);
    (void)sockit::address_class_name(sockit::classify(*parsed));
    if (const auto v4 = parsed->to_v4())
      SOCKIT_FUZZ_CHECK(IPv6Address::v4_mapped(*v4) == parsed->with_scope_id(0));
    if (text.find(':') != std::string_view::npos) {
      const auto either = IpAddress::parse(text);
      SOCKIT_FUZZ_CHECK(either && either->is_v6() && either->v6() == *parsed);
    }
  } else {
    SOCKIT_FUZZ_CHECK(parsed.error() == sockit::Errc::invalid_address);
    SOCKIT_FUZZ_CHECK(!why.empty());
  }

  if (size >= 16) {
    IPv6Address::Bytes bytes{};
    std::memcpy(bytes.data(), data, bytes.size());
    // Zone indexes beyond a small range would only exercise if_indextoname's failure path.
    const std::uint32_t scope = size > 16 ? data[16] % 4 : 0;
    check_round_trip(IPv6Address(bytes, scope));
  }
  return 0;
}
