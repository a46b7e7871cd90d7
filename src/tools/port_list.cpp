// Port list parsing: "22,80,8000-8100" -> sorted distinct ports.
#include "sockit/tools/port_list.hpp"

#include <algorithm>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/text_detail.hpp"
#include "sockit/net/endpoint.hpp"

namespace sockit {
namespace {

using detail::set_why;

constexpr std::size_t kMaxItemEcho = 32;  // keep reasons short even for fuzzed megabyte input

std::string item_label(std::size_t n, std::string_view item) {
  std::string shown(item.substr(0, kMaxItemEcho));
  if (item.size() > kMaxItemEcho) shown += "...";
  return "item " + std::to_string(n) + " \"" + shown + "\": ";
}

// One item into [low, high]; false with `why` set on failure.
bool parse_item(std::string_view item, std::size_t n, const PortListOptions& options,
                std::uint16_t& low, std::uint16_t& high, std::string* why) {
  const auto dash = item.find('-');
  const std::string_view first = item.substr(0, dash);
  std::string port_why;
  auto lo = parse_port(first, &port_why);
  if (!lo) {
    set_why(why, item_label(n, item) + (dash != std::string_view::npos && first.empty()
                                            ? std::string("range has no start")
                                            : port_why));
    return false;
  }
  auto hi = lo;
  if (dash != std::string_view::npos) {
    const std::string_view second = item.substr(dash + 1);
    hi = parse_port(second, &port_why);
    if (!hi) {
      set_why(why,
              item_label(n, item) + (second.empty() ? std::string("range has no end") : port_why));
      return false;
    }
    if (*hi < *lo) {
      set_why(why, item_label(n, item) + "range is reversed (" + std::to_string(*lo) + " > " +
                       std::to_string(*hi) + ")");
      return false;
    }
  }
  if (*lo == 0 && !options.allow_zero) {
    set_why(why, item_label(n, item) + "port 0 is not allowed here");
    return false;
  }
  low = *lo;
  high = *hi;
  return true;
}

}  // namespace

Result<PortList> PortList::parse(std::string_view text, std::string* why, PortListOptions options) {
  if (text.empty()) {
    set_why(why, "empty port list");
    return fail(Errc::invalid_port);
  }
  // 8 KiB of bits: marking is O(range) and the result comes out sorted and distinct.
  auto seen = std::make_unique<std::bitset<65536>>();
  std::size_t n = 0;
  std::size_t pos = 0;
  while (true) {
    ++n;
    const auto comma = text.find(',', pos);
    const std::string_view item =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (item.empty()) {
      set_why(why, "item " + std::to_string(n) + " is empty");
      return fail(Errc::invalid_port);
    }
    std::uint16_t low = 0;
    std::uint16_t high = 0;
    if (!parse_item(item, n, options, low, high, why)) return fail(Errc::invalid_port);
    for (std::uint32_t p = low; p <= high; ++p)
      seen->set(p);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  const std::size_t count = seen->count();
  if (count > options.max_ports) {
    set_why(why, "the list has " + std::to_string(count) + " ports, more than the limit of " +
                     std::to_string(options.max_ports));
    return fail(Errc::invalid_port);
  }
  PortList out;
  out.ports_.reserve(count);
  for (std::uint32_t p = 0; p < 65536; ++p) {
    if (seen->test(p)) out.ports_.push_back(static_cast<std::uint16_t>(p));
  }
  return out;
}

bool PortList::contains(std::uint16_t port) const noexcept {
  return std::binary_search(ports_.begin(), ports_.end(), port);
}

std::string PortList::to_string() const {
  std::string out;
  for (std::size_t i = 0; i < ports_.size();) {
    std::size_t j = i;
    while (j + 1 < ports_.size() && ports_[j + 1] == ports_[j] + 1)
      ++j;
    if (!out.empty()) out.push_back(',');
    out += std::to_string(ports_[i]);
    if (j > i) out += "-" + std::to_string(ports_[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace sockit
