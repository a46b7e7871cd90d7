// Helpers shared by the libFuzzer targets: an invariant check that stops the fuzzer, and a
// way to turn one fuzz input into "how to cut the stream" plus "the bytes".
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sockit::fuzz {

// libFuzzer reports a trap as a crash and saves the input; a plain assert would vanish in a
// release-like build, and an exception could be caught by the code under test.
#define SOCKIT_FUZZ_CHECK(cond)    \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (false)

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// One input split into a feeding plan and the stream itself. The first byte says how many of
/// the following bytes are chunk sizes (0-7); those sizes (1-256 each) are used in turn to cut
/// `bytes` into feed() calls. With no plan the stream is fed in one piece.
struct Plan {
  std::vector<std::size_t> sizes;
  std::string_view bytes;

  /// The stream cut into chunks as the plan says; the chunks concatenate back to `bytes`.
  std::vector<std::string_view> chunks() const {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    std::size_t turn = 0;
    while (pos < bytes.size()) {
      std::size_t n = bytes.size() - pos;
      if (!sizes.empty()) n = std::min(n, sizes[turn++ % sizes.size()]);
      out.push_back(bytes.substr(pos, n));
      pos += n;
    }
    return out;
  }
};

inline Plan make_plan(const std::uint8_t* data, std::size_t size) {
  Plan plan;
  if (size == 0) return plan;
  std::size_t count = data[0] % 8;
  std::size_t pos = 1;
  for (; count > 0 && pos < size; --count, ++pos)
    plan.sizes.push_back(std::size_t{data[pos]} + 1);
  plan.bytes = as_text(data + pos, size - pos);
  return plan;
}

}  // namespace sockit::fuzz
