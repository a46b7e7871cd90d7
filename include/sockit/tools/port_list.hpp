// PortList: a sorted, de-duplicated set of TCP/UDP ports parsed from text like
// "22,80,8000-8100". Pure value: no OS calls. Thread-safety: immutable, safe to share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/core/error.hpp"

namespace sockit {

struct PortListOptions {
  bool allow_zero = false;        ///< port 0 means "any" to bind(); rarely wanted in a list
  std::size_t max_ports = 65536;  ///< refuse lists with more distinct ports than this
};

class PortList {
 public:
  PortList() = default;  ///< empty

  /// Comma-separated items, each "N" or "LOW-HIGH" (inclusive), decimal 0..65535 with no
  /// signs, spaces or leading zeros. Errc::invalid_port on failure; `why` names the item:
  /// "item 3 \"8100-8000\": range is reversed (8100 > 8000)".
  [[nodiscard]] static Result<PortList> parse(std::string_view text, std::string* why = nullptr,
                                              PortListOptions options = {});

  const std::vector<std::uint16_t>& ports() const noexcept { return ports_; }  ///< ascending
  std::size_t size() const noexcept { return ports_.size(); }
  bool empty() const noexcept { return ports_.empty(); }
  bool contains(std::uint16_t port) const noexcept;
  auto begin() const noexcept { return ports_.begin(); }
  auto end() const noexcept { return ports_.end(); }

  /// Canonical text with runs folded into ranges: "22,80,8000-8100".
  std::string to_string() const;

  friend bool operator==(const PortList&, const PortList&) = default;

 private:
  std::vector<std::uint16_t> ports_;
};

}  // namespace sockit
