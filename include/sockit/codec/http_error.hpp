// HTTP/1.1 codec failures as error codes in their own category, "http", each mapping to the
// status a server answers with (http_status()). One code per rule broken, so a test, a log line
// or a fuzzer can tell "Content-Length with Transfer-Encoding" from "two Content-Lengths".
#pragma once

#include <system_error>

namespace sockit {

enum class HttpErrc {
  ok = 0,
  // The start line.
  bad_request_line = 1,   ///< 400: not "method SP target SP version"
  invalid_method,         ///< 400: a byte outside the token set in the method
  invalid_target,         ///< 400: control byte, space, non-ASCII, or a form the method forbids
  invalid_version,        ///< 400: not "HTTP/" DIGIT "." DIGIT
  version_not_supported,  ///< 505: well formed but neither HTTP/1.0 nor HTTP/1.1
  start_line_too_long,    ///< 414: request line over limits.max_start_line
  invalid_status_line,    ///< 502: a response's status line is malformed
  // The field section.
  header_section_too_large,  ///< 431: header bytes over limits.max_header_bytes
  too_many_headers,          ///< 431: more fields than limits.max_headers
  invalid_field_name,        ///< 400: empty name, a non-token byte, or no colon
  space_before_colon,        ///< 400: whitespace between a field name and its colon
  invalid_field_value,       ///< 400: a control byte (NUL, DEL, ...) in a field value
  obs_fold,                  ///< 400: a field line starting with SP/HTAB (line folding)
  bare_cr,                   ///< 400: a CR not followed by LF
  bare_lf,                   ///< 400: a line ended by LF alone (we accept only CRLF)
  // Semantics of the fields.
  missing_host,                 ///< 400: an HTTP/1.1 request without Host
  duplicate_host,               ///< 400: more than one Host
  invalid_host,                 ///< 400: a Host value that is not host[:port]
  invalid_content_length,       ///< 400: not 1*DIGIT, or does not fit 64 bits
  duplicate_content_length,     ///< 400: more than one Content-Length value, even identical
  content_length_and_chunked,   ///< 400: Content-Length together with Transfer-Encoding
  transfer_encoding_in_http10,  ///< 400: Transfer-Encoding in an HTTP/1.0 message
  chunked_not_final,            ///< 400: a Transfer-Encoding whose last coding is not chunked
  chunked_twice,                ///< 400: chunked applied more than once
  invalid_transfer_encoding,    ///< 400: an empty or malformed coding list
  unsupported_transfer_coding,  ///< 501: a coding other than chunked (gzip, ...)
  body_too_large,               ///< 413: the body is over limits.max_body
  // Chunked bodies.
  invalid_chunk_size,         ///< 400: no hex digits, or a byte that is not hex/extension
  chunk_size_overflow,        ///< 400: a chunk size that does not fit 64 bits
  chunk_line_too_long,        ///< 400: chunk-size line over limits.max_chunk_line
  invalid_chunk_extension,    ///< 400: a malformed chunk extension
  chunk_extension_too_long,   ///< 400: extensions over limits.max_chunk_extension
  invalid_chunk_end,          ///< 400: chunk data not followed by CRLF
  trailer_section_too_large,  ///< 431: trailer bytes or count over their limits
  truncated_body,             ///< 400: the peer closed before the body was complete
};

const std::error_category& http_category() noexcept;
std::error_code make_error_code(HttpErrc e) noexcept;

/// The status a server answers an http_category() error with (400, 413, 414, 431, 501, 505;
/// 502 for a malformed status line, which only a client or proxy sees); 500 for codes of any
/// other category, 0 for no error.
int http_status(std::error_code ec) noexcept;

}  // namespace sockit

template <>
struct std::is_error_code_enum<sockit::HttpErrc> : std::true_type {};
