// Decoded: what one step of a sans-I/O decoder produced. Shared by every codec in
// sockit/codec/ so that a server drives them all with the same loop:
//
//   decoder.feed(bytes);
//   for (Decoded d = decoder.next(); !d.needs_more(); d = decoder.next()) {
//     if (d.failed()) return fail(d.error);   // Errc::line_too_long, frame_too_long, ...
//     handle(d.frame);                        // valid until the next feed()/next()/reset()
//   }
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace sockit {

enum class DecodeStatus : std::uint8_t { need_more, frame, error };

struct Decoded {
  DecodeStatus status = DecodeStatus::need_more;
  std::string_view frame;  ///< the frame's bytes (binary-safe) when status == frame
  std::error_code error;   ///< why, when status == error

  static Decoded more() noexcept { return {}; }
  static Decoded of(std::string_view bytes) noexcept { return {DecodeStatus::frame, bytes, {}}; }
  static Decoded failure(std::error_code ec) noexcept { return {DecodeStatus::error, {}, ec}; }

  bool is_frame() const noexcept { return status == DecodeStatus::frame; }
  bool needs_more() const noexcept { return status == DecodeStatus::need_more; }
  bool failed() const noexcept { return status == DecodeStatus::error; }
};

}  // namespace sockit
