// Private pieces of the HTTP codec shared by the request, response and body parsers: the
// character classes of RFC 9110 §5.6, line finding, field-line checks and the framing rules
// (Content-Length, Transfer-Encoding, Host, Connection) applied to a complete field section.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "sockit/codec/http.hpp"

namespace sockit::http_detail {

inline constexpr std::size_t kNpos = std::string_view::npos;

/// tchar: "!#$%&'*+-.^_`|~" DIGIT ALPHA.
bool is_tchar(unsigned char c) noexcept;
/// A non-empty token.
bool is_token(std::string_view s) noexcept;
inline bool is_ows(char c) noexcept {
  return c == ' ' || c == '\t';
}
/// Strips SP/HTAB from both ends.
std::string_view trim_ows(std::string_view s) noexcept;

/// Where a line starting at `line_at` ends: the index of its LF, or kNpos when no LF is in
/// data yet. `searched` (>= line_at) says where the previous search stopped; it is advanced.
std::size_t find_lf(std::string_view data, std::size_t line_at, std::size_t& searched) noexcept;

/// Bytes of the unfinished line [line_at, size) that are content for certain: a trailing CR
/// may begin CRLF and is not counted yet.
std::size_t tail_content(std::string_view data, std::size_t line_at) noexcept;

/// The end of the content of the complete line [line_at, lf] (the CR's index), or kNpos for a
/// line ended by a bare LF.
std::size_t content_end(std::string_view data, std::size_t line_at, std::size_t lf) noexcept;

/// Checks one complete field line (without its CRLF) that starts at offset `at`; fills `pos`.
HttpErrc check_field_line(std::string_view line, std::size_t at, FieldPos& pos) noexcept;

/// "HTTP/1.0" or "HTTP/1.1" -> ok; "HTTP/" DIGIT "." DIGIT otherwise -> version_not_supported;
/// anything else -> invalid_version.
HttpErrc parse_version(std::string_view text, HttpVersion& version) noexcept;

/// What the framing fields of one message say, once checked against each other.
struct FieldFacts {
  std::optional<std::uint64_t> content_length;
  bool chunked = false;             ///< Transfer-Encoding ends in a single chunked
  bool other_final_coding = false;  ///< Transfer-Encoding present, last coding not chunked
  std::size_t host_count = 0;
  std::string_view host;
  bool connection_close = false;
  bool connection_keep_alive = false;
};

/// Applies RFC 9112 §6.1-6.3 to the fields: Content-Length syntax and uniqueness, coding lists,
/// Content-Length with Transfer-Encoding, Transfer-Encoding in HTTP/1.0, Host syntax.
/// `request` selects the request rules (a final coding other than chunked is an error in a
/// request and means "until close" in a response).
HttpErrc collect_facts(std::span<const HttpHeader> headers, HttpVersion version, bool request,
                       FieldFacts& facts) noexcept;

/// The value of a hex chunk size; chunk_size_overflow past 64 bits, invalid_chunk_size when
/// `digits` is empty or holds a non-hex byte.
HttpErrc parse_chunk_size(std::string_view digits, std::uint64_t& size) noexcept;

/// chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] ).
bool valid_chunk_extensions(std::string_view ext) noexcept;

}  // namespace sockit::http_detail
