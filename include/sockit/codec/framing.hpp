// The built-in framings, by name: what a server's Framer and the CLI's --frame choose from.
#pragma once

#include <cstdint>
#include <string_view>

#include "sockit/core/error.hpp"

namespace sockit {

/// How bytes become messages. raw: every received chunk is one message (the lecture's
/// recv(2048)); line: '\n'-terminated lines (a "\r" before it is stripped, the message excludes
/// the ending, and "\n" is added to what is sent); len32: 4-byte big-endian length + payload.
enum class Framing : std::uint8_t { raw, line, len32 };

std::string_view framing_name(Framing f) noexcept;
/// "raw", "line" or "len32"; Errc::malformed_frame otherwise.
[[nodiscard]] Result<Framing> parse_framing(std::string_view text);

}  // namespace sockit
