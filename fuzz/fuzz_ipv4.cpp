// Fuzzes IPv4Address::parse. Invariants: a rejected text always comes with a reason and
// Errc::invalid_address; an accepted text is already canonical (the parser is strict: no
// leading zeros, exactly four octets), so to_string() gives the input back; IpAddress agrees;
// and any 32-bit value survives to_string -> parse.
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_support.hpp"
#include "sockit/net/address.hpp"

using sockit::IpAddress;
using sockit::IPv4Address;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = sockit::fuzz::as_text(data, size);
  std::string why;
  const auto parsed = IPv4Address::parse(text, &why);
  if (parsed) {
    SOCKIT_FUZZ_CHECK(parsed->to_string() == text);
    const auto again = IpAddress::parse(text);
    SOCKIT_FUZZ_CHECK(again && again->is_v4() && again->v4() == *parsed);
    SOCKIT_FUZZ_CHECK(sockit::to_hex(*parsed).size() == 10);
    SOCKIT_FUZZ_CHECK(sockit::to_binary(*parsed).size() == 35);
    (void)sockit::address_class_name(sockit::classify(*parsed));
    (void)sockit::legacy_class(*parsed);
  } else {
    SOCKIT_FUZZ_CHECK(parsed.error() == sockit::Errc::invalid_address);
    SOCKIT_FUZZ_CHECK(!why.empty());
  }

  if (size >= 4) {
    std::uint32_t value = 0;
    std::memcpy(&value, data, sizeof value);
    const IPv4Address a(value);
    const auto back = IPv4Address::parse(a.to_string());
    SOCKIT_FUZZ_CHECK(back && *back == a);
  }
  return 0;
}
