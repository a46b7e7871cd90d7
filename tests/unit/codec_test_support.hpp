// What the codec unit tests compare: every frame a decoder produced for some input fed in
// chunks, the error it stopped on, and what it still buffers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/codec/decoded.hpp"

namespace sockit::test {

struct Outcome {
  std::vector<std::string> frames;
  std::error_code error;  // empty: the decoder ended asking for more
  std::size_t buffered = 0;
  bool operator==(const Outcome&) const = default;
};

/// Feeds `input` in chunks of `chunk` bytes (0 = all at once), draining frames after each feed.
/// Works for every decoder in sockit/codec/ (feed(), next() -> Decoded, buffered()).
template <class Decoder>
Outcome decode(Decoder& d, std::string_view input, std::size_t chunk) {
  Outcome out;
  std::size_t step = chunk == 0 ? input.size() + 1 : chunk;
  for (std::size_t at = 0; at < input.size() || at == 0; at += step) {
    d.feed(input.substr(at, step));
    for (Decoded r = d.next(); !r.needs_more(); r = d.next()) {
      if (r.failed()) {
        out.error = r.error;
        return out;
      }
      out.frames.emplace_back(r.frame);
    }
    if (input.empty()) break;
  }
  out.buffered = d.buffered();
  return out;
}

}  // namespace sockit::test
