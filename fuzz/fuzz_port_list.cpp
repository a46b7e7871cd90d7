// Fuzzes PortList::parse. The first byte picks the options (allow_zero, a small max_ports),
// the rest is the text. Invariants: failures are invalid_port with a reason; an accepted list
// is strictly ascending, within the options, contains() each of its ports, and its canonical
// text parses back to the same list and is a fixed point.
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "sockit/tools/port_list.hpp"

using sockit::PortList;
using sockit::PortListOptions;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  PortListOptions options;
  options.allow_zero = (data[0] & 1) != 0;
  // Half the inputs use the default cap (65536), the rest a cap of 0..127 ports.
  if ((data[0] & 2) != 0) options.max_ports = data[0] >> 1;
  const std::string_view text = sockit::fuzz::as_text(data + 1, size - 1);

  std::string why;
  const auto list = PortList::parse(text, &why, options);
  if (!list) {
    SOCKIT_FUZZ_CHECK(list.error() == sockit::Errc::invalid_port);
    SOCKIT_FUZZ_CHECK(!why.empty());
    return 0;
  }
  SOCKIT_FUZZ_CHECK(list->size() <= options.max_ports);
  SOCKIT_FUZZ_CHECK(list->size() == list->ports().size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::uint16_t port = list->ports()[i];
    SOCKIT_FUZZ_CHECK(i == 0 || list->ports()[i - 1] < port);
    SOCKIT_FUZZ_CHECK(options.allow_zero || port != 0);
    SOCKIT_FUZZ_CHECK(list->contains(port));
  }
  const std::string canonical = list->to_string();
  SOCKIT_FUZZ_CHECK(canonical.size() <= text.size());
  const auto again = PortList::parse(canonical, nullptr, options);
  SOCKIT_FUZZ_CHECK(again && *again == *list && again->to_string() == canonical);
  return 0;
}
