// Body decoding (RFC 9112 §6.3, §7.1): Content-Length, chunked with bounded size lines,
// extensions and trailers, and close-delimited response bodies.
#include <algorithm>

#include "codec/http_syntax.hpp"

namespace sockit {
namespace {

using http_detail::kNpos;

HttpBodyStep piece(std::string_view bytes, std::size_t consumed) {
  HttpBodyStep s;
  s.status = HttpBodyStatus::data;
  s.data = bytes;
  s.consumed = consumed;
  return s;
}

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

HttpBodyDecoder::HttpBodyDecoder(HttpBody body, const HttpLimits& limits) : limits_(limits) {
  reset(body);
}

void HttpBodyDecoder::reset(HttpBody body) noexcept {
  body_ = body;
  remaining_ = 0;
  received_ = 0;
  searched_ = 0;
  trailers_.clear();
  error_.clear();
  switch (body.kind) {
    case HttpBodyKind::none:
      state_ = State::done;
      break;
    case HttpBodyKind::length:
      remaining_ = body.length;
      state_ = body.length == 0 ? State::done : State::data;
      if (body.length > limits_.max_body) {
        state_ = State::failed;
        error_ = make_error_code(HttpErrc::body_too_large);
      }
      break;
    case HttpBodyKind::chunked:
      state_ = State::size_line;
      break;
    case HttpBodyKind::until_close:
      state_ = State::data;
      break;
  }
}

HttpBodyStep HttpBodyDecoder::fail(HttpErrc e) {
  state_ = State::failed;
  error_ = make_error_code(e);
  HttpBodyStep s;
  s.status = HttpBodyStatus::error;
  s.error = error_;
  return s;
}

HttpBodyStep HttpBodyDecoder::decode(std::string_view data) {
  if (state_ == State::failed) {
    HttpBodyStep s;
    s.status = HttpBodyStatus::error;
    s.error = error_;
    return s;
  }
  if (state_ == State::done) {
    HttpBodyStep s;
    s.status = HttpBodyStatus::done;
    s.trailers = trailers_;
    return s;
  }
  if (body_.kind == HttpBodyKind::chunked) return chunked(data);
  if (data.empty()) return {};
  if (body_.kind == HttpBodyKind::length) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size()));
    remaining_ -= n;
    received_ += n;
    if (remaining_ == 0) state_ = State::done;
    return piece(data.substr(0, n), n);
  }
  // until_close: everything up to max_body, then an error once a byte beyond it is here (so the
  // pieces handed out are the same whatever the split).
  const std::uint64_t room = limits_.max_body - received_;
  if (room == 0) return fail(HttpErrc::body_too_large);
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(room, data.size()));
  received_ += n;
  return piece(data.substr(0, n), n);
}

HttpBodyStep HttpBodyDecoder::finish() {
  if (state_ == State::data && body_.kind == HttpBodyKind::until_close) state_ = State::done;
  if (state_ == State::done || state_ == State::failed) return decode({});
  return fail(HttpErrc::truncated_body);
}

// A need_more that consumes `pos` bytes: offsets kept for the next call move with the data.
HttpBodyStep HttpBodyDecoder::more(std::size_t pos) {
  searched_ = searched_ > pos ? searched_ - pos : 0;
  HttpBodyStep s;
  s.consumed = pos;
  return s;
}

HttpBodyStep HttpBodyDecoder::chunked(std::string_view data) {
  std::size_t pos = 0;
  for (;;) {
    switch (state_) {
      case State::size_line: {
        const std::size_t before = pos;
        HttpBodyStep s = size_line(data, pos);
        if (s.status == HttpBodyStatus::error) return s;
        if (pos == before) return more(pos);
        break;
      }
      case State::data: {
        if (pos == data.size()) return more(pos);
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - pos));
        remaining_ -= n;
        received_ += n;
        if (remaining_ == 0) state_ = State::data_crlf;
        searched_ = 0;
        return piece(data.substr(pos, n), pos + n);
      }
      case State::data_crlf: {
        const std::size_t have = data.size() - pos;
        // Judged byte by byte, so a wrong byte fails as soon as it is here, whatever the split.
        if (have >= 1 && data[pos] != '\r') return fail(HttpErrc::invalid_chunk_end);
        if (have >= 2 && data[pos + 1] != '\n') return fail(HttpErrc::invalid_chunk_end);
        if (have < 2) return more(pos);
        pos += 2;
        searched_ = pos;
        state_ = State::size_line;
        break;
      }
      case State::trailers:
        return trailers(data, pos);
      case State::done:
      case State::failed:
        return decode({});
    }
  }
}

// Reads one chunk-size line at `pos`. Returns a `data` step with `pos` moved past the line when
// one was read, a `data` step with `pos` unchanged when the line is incomplete, or an error.
// Order of judgement, as for head lines: length, line ending, then syntax.
HttpBodyStep HttpBodyDecoder::size_line(std::string_view data, std::size_t& pos) {
  HttpBodyStep go;
  go.status = HttpBodyStatus::data;
  const std::size_t lf = http_detail::find_lf(data, pos, searched_);
  if (lf == kNpos) {
    if (http_detail::tail_content(data, pos) > limits_.max_chunk_line)
      return fail(HttpErrc::chunk_line_too_long);
    return go;
  }
  const std::size_t end = http_detail::content_end(data, pos, lf);
  if ((end == kNpos ? lf : end) - pos > limits_.max_chunk_line)
    return fail(HttpErrc::chunk_line_too_long);
  if (end == kNpos) return fail(HttpErrc::bare_lf);
  const std::string_view line = data.substr(pos, end - pos);
  if (line.find('\r') != kNpos) return fail(HttpErrc::bare_cr);
  std::size_t digits = 0;
  while (digits < line.size() && is_hex(line[digits]))
    ++digits;
  std::uint64_t size = 0;
  if (HttpErrc e = http_detail::parse_chunk_size(line.substr(0, digits), size); e != HttpErrc::ok)
    return fail(e);
  const std::string_view ext = line.substr(digits);
  if (!ext.empty()) {
    if (ext[0] != ';' && !http_detail::is_ows(ext[0])) return fail(HttpErrc::invalid_chunk_size);
    if (ext.size() > limits_.max_chunk_extension) return fail(HttpErrc::chunk_extension_too_long);
    if (!http_detail::valid_chunk_extensions(ext)) return fail(HttpErrc::invalid_chunk_extension);
  }
  pos = lf + 1;
  searched_ = pos;
  if (size == 0) {
    state_ = State::trailers;
    trailer_scan_.start(0, limits_.max_trailer_bytes, limits_.max_trailers,
                        HttpErrc::trailer_section_too_large, HttpErrc::trailer_section_too_large);
    return go;
  }
  if (size > limits_.max_body - received_) return fail(HttpErrc::body_too_large);
  remaining_ = size;
  state_ = State::data;
  return go;
}

// The trailer section is judged where it lies, from `pos`; while incomplete, everything before
// it is consumed, so the next call's data starts with it and the scanner's offsets still hold.
HttpBodyStep HttpBodyDecoder::trailers(std::string_view data, std::size_t pos) {
  const std::string_view section = data.substr(pos);
  HttpErrc e = HttpErrc::ok;
  switch (trailer_scan_.scan(section, e)) {
    case HttpParseStatus::need_more: {
      HttpBodyStep s;
      s.consumed = pos;
      return s;
    }
    case HttpParseStatus::error:
      return fail(e);
    case HttpParseStatus::done:
      break;
  }
  trailer_scan_.views(section, trailers_);
  state_ = State::done;
  HttpBodyStep s;
  s.status = HttpBodyStatus::done;
  s.consumed = pos + trailer_scan_.end();
  s.trailers = trailers_;
  return s;
}

}  // namespace sockit
