// The built-in framings, by name (what the CLI's --framing and --frame choose from), and the
// codecs that implement them for servers (sockit/codec/message_codec.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sockit/codec/message_codec.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

/// How bytes become messages. raw: every received chunk is one message (the lecture's
/// recv(2048)); line: '\n'-terminated lines (a "\r" before it is stripped, the message excludes
/// the ending, and "\n" is added to what is sent); len32: 4-byte big-endian length + payload.
enum class Framing : std::uint8_t { raw, line, len32 };

std::string_view framing_name(Framing f) noexcept;
/// "raw", "line" or "len32"; Errc::malformed_frame otherwise.
[[nodiscard]] Result<Framing> parse_framing(std::string_view text);

/// The codec of a built-in framing. `max_message` bounds a line (without its ending) or a len32
/// payload. line: a last line without its '\n' at EOF is still delivered (nothing is lost);
/// len32: an unfinished frame at EOF is Errc::closed_early. raw is stateless and shared: it
/// allocates nothing per connection and hands each chunk over without copying it.
[[nodiscard]] CodecPtr make_codec(Framing framing, std::size_t max_message);

}  // namespace sockit
