#include "sockit/codec/framing.hpp"

namespace sockit {

std::string_view framing_name(Framing f) noexcept {
  switch (f) {
    case Framing::raw:
      return "raw";
    case Framing::line:
      return "line";
    case Framing::len32:
      return "len32";
  }
  return "?";
}

Result<Framing> parse_framing(std::string_view text) {
  if (text == "raw") return Framing::raw;
  if (text == "line") return Framing::line;
  if (text == "len32") return Framing::len32;
  return fail(Errc::malformed_frame);
}

}  // namespace sockit
