// HTTP/1.1 serializer: response and request heads with correct framing fields, a Date value
// cached per second, and chunked encoding of body pieces. Writes into anything with
// append(std::string_view) (std::string, sockit::Buffer).
//
// The framing fields (Content-Length, Transfer-Encoding) come only from the HttpBody argument,
// never from the caller's header list, so a head cannot announce two lengths: a Content-Length,
// Transfer-Encoding or Date among `headers` is refused (std::errc::invalid_argument), as are
// a non-token name (HttpErrc::invalid_field_name) and a value with CR, LF, NUL or another
// control byte (HttpErrc::invalid_field_value). Nothing is appended on failure.
//
// Thread rule: all functions may be called from any thread; http_date() keeps one cache per
// thread.
#pragma once

#include <charconv>
#include <cstdint>
#include <ctime>
#include <span>
#include <string>
#include <string_view>

#include "sockit/codec/http.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

template <class Out>
concept HttpSink = requires(Out& out, std::string_view s) {
  out.append(s);
};

/// The reason phrase of RFC 9110 §15 ("Not Found"), or "" for an unregistered status.
std::string_view http_reason(int status) noexcept;

/// IMF-fixdate for now ("Sun, 06 Nov 1994 08:49:37 GMT"), formatted at most once per second
/// per thread. The view stays valid until the next call on the same thread.
std::string_view http_date() noexcept;
/// IMF-fixdate of a given time (29 characters).
std::string http_date_of(std::time_t when);

namespace http_detail {
Status check_response(int status, HttpVersion version, std::span<const HttpHeader> headers,
                      HttpBody body) noexcept;
Status check_request(std::string_view method, std::string_view target, HttpVersion version,
                     std::span<const HttpHeader> headers, HttpBody body) noexcept;
Status check_fields(std::span<const HttpHeader> fields, bool trailers) noexcept;

template <HttpSink Out>
void append_number(Out& out, std::uint64_t n, int base = 10) {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, n, base);
  out.append(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
}

template <HttpSink Out>
void append_fields(Out& out, std::span<const HttpHeader> fields) {
  for (const auto& h : fields) {
    out.append(h.name);
    out.append(": ");
    out.append(h.value);
    out.append("\r\n");
  }
}

/// Content-Length for a length body (also 0 for `none` where a body may follow), or
/// Transfer-Encoding: chunked; then the empty line.
template <HttpSink Out>
void append_framing(Out& out, HttpBody body, bool zero_length_for_none) {
  if (body.kind == HttpBodyKind::length ||
      (body.kind == HttpBodyKind::none && zero_length_for_none)) {
    out.append("Content-Length: ");
    append_number(out, body.kind == HttpBodyKind::length ? body.length : 0);
    out.append("\r\n");
  } else if (body.kind == HttpBodyKind::chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  out.append("\r\n");
}

inline std::string_view version_text(HttpVersion v) noexcept {
  return v.minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
}
}  // namespace http_detail

/// Status line, Date, `headers`, the framing field for `body`, and the empty line.
/// Framing: length -> Content-Length: N; none -> Content-Length: 0 (nothing for 1xx, 204 and
/// 304, which have no body); chunked -> Transfer-Encoding: chunked (HTTP/1.1 only, not for
/// 1xx/204/304); until_close -> nothing (the caller closes after the body). A status outside
/// 100..599 or a body where the status forbids one is std::errc::invalid_argument.
template <HttpSink Out>
[[nodiscard]] Status write_response_head(Out& out, int status, std::span<const HttpHeader> headers,
                                         HttpBody body = {}, HttpVersion version = {}) {
  if (auto ok = http_detail::check_response(status, version, headers, body); !ok) return ok;
  out.append(http_detail::version_text(version));
  out.append(" ");
  http_detail::append_number(out, static_cast<std::uint64_t>(status));
  out.append(" ");
  out.append(http_reason(status));
  out.append("\r\nDate: ");
  out.append(http_date());
  out.append("\r\n");
  http_detail::append_fields(out, headers);
  const bool may_have_body = status >= 200 && status != 204 && status != 304;
  http_detail::append_framing(out, body, may_have_body);
  return {};
}

/// Request line, `headers` (which must hold exactly one Host for HTTP/1.1), the framing field
/// for `body` (none -> nothing; until_close is invalid for a request) and the empty line.
template <HttpSink Out>
[[nodiscard]] Status write_request_head(Out& out, std::string_view method, std::string_view target,
                                        std::span<const HttpHeader> headers, HttpBody body = {},
                                        HttpVersion version = {}) {
  if (auto ok = http_detail::check_request(method, target, version, headers, body); !ok) return ok;
  out.append(method);
  out.append(" ");
  out.append(target);
  out.append(" ");
  out.append(http_detail::version_text(version));
  out.append("\r\n");
  http_detail::append_fields(out, headers);
  http_detail::append_framing(out, body, false);
  return {};
}

/// One chunk: hex size, CRLF, the bytes, CRLF. An empty piece appends nothing (an empty chunk
/// would end the body).
template <HttpSink Out>
void write_chunk(Out& out, std::string_view piece) {
  if (piece.empty()) return;
  http_detail::append_number(out, piece.size(), 16);
  out.append("\r\n");
  out.append(piece);
  out.append("\r\n");
}

/// The last chunk ("0" CRLF), the trailer fields, and the final CRLF.
template <HttpSink Out>
[[nodiscard]] Status write_last_chunk(Out& out, std::span<const HttpHeader> trailers = {}) {
  if (auto ok = http_detail::check_fields(trailers, true); !ok) return ok;
  out.append("0\r\n");
  http_detail::append_fields(out, trailers);
  out.append("\r\n");
  return {};
}

}  // namespace sockit
