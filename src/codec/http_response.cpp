// Response heads: the status line (RFC 9112 §4), the shared field scanner, and the body rules
// of §6.3, which depend on the request method and the status.
#include "codec/http_syntax.hpp"

namespace sockit {
namespace {

using http_detail::kNpos;

struct StatusLine {
  HttpVersion version;
  int status = 0;
  std::string_view reason;
};

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ]. A missing final SP is
// accepted too (the reason is for people only, RFC 9112 §4, and some servers omit it).
HttpErrc parse_status_line(std::string_view line, StatusLine& out) noexcept {
  if (line.find('\r') != kNpos) return HttpErrc::bare_cr;
  if (line.size() < 12 || line[8] != ' ') return HttpErrc::invalid_status_line;
  if (HttpErrc e = http_detail::parse_version(line.substr(0, 8), out.version); e != HttpErrc::ok)
    return e == HttpErrc::invalid_version ? HttpErrc::invalid_status_line : e;
  if (!is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]))
    return HttpErrc::invalid_status_line;
  out.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (out.status < 100 || out.status > 599) return HttpErrc::invalid_status_line;
  if (line.size() == 12) return HttpErrc::ok;
  if (line[12] != ' ') return HttpErrc::invalid_status_line;
  out.reason = line.substr(13);
  for (char ch : out.reason) {
    const auto c = static_cast<unsigned char>(ch);
    if (c != '\t' && (c < 0x20 || c == 0x7f)) return HttpErrc::invalid_status_line;
  }
  return HttpErrc::ok;
}

// RFC 9112 §6.3 rules 1-2: these responses never have a body, whatever their fields say.
bool bodiless(std::string_view method, int status) noexcept {
  if (method == "HEAD") return true;
  if (status < 200 || status == 204 || status == 304) return true;
  return method == "CONNECT" && status < 300;  // the connection becomes a tunnel
}

}  // namespace

void HttpResponseParser::reset() noexcept {
  searched_ = 0;
  start_end_ = 0;
  error_.clear();
}

HttpParsed<HttpResponse> HttpResponseParser::fail(HttpErrc e) {
  error_ = make_error_code(e);
  HttpParsed<HttpResponse> r;
  r.status = HttpParseStatus::error;
  r.error = error_;
  return r;
}

HttpParsed<HttpResponse> HttpResponseParser::parse(std::string_view data,
                                                   std::string_view request_method) {
  if (error_) {
    HttpParsed<HttpResponse> r;
    r.status = HttpParseStatus::error;
    r.error = error_;
    return r;
  }
  if (start_end_ == 0) {
    const std::size_t lf = http_detail::find_lf(data, 0, searched_);
    if (lf == kNpos) {
      if (http_detail::tail_content(data, 0) > limits_.max_start_line)
        return fail(HttpErrc::start_line_too_long);
      return {};
    }
    const std::size_t end = http_detail::content_end(data, 0, lf);
    if ((end == kNpos ? lf : end) > limits_.max_start_line)
      return fail(HttpErrc::start_line_too_long);
    if (end == kNpos) return fail(HttpErrc::bare_lf);
    StatusLine sl;
    if (HttpErrc e = parse_status_line(data.substr(0, end), sl); e != HttpErrc::ok) return fail(e);
    start_end_ = lf + 1;
    fields_.start(start_end_, limits_.max_header_bytes, limits_.max_headers,
                  HttpErrc::header_section_too_large, HttpErrc::too_many_headers);
  }
  HttpErrc e = HttpErrc::ok;
  switch (fields_.scan(data, e)) {
    case HttpParseStatus::need_more:
      return {};
    case HttpParseStatus::error:
      return fail(e);
    case HttpParseStatus::done:
      break;
  }
  return finish(data, request_method);
}

HttpParsed<HttpResponse> HttpResponseParser::finish(std::string_view data,
                                                    std::string_view request_method) {
  StatusLine sl;
  (void)parse_status_line(data.substr(0, start_end_ - 2), sl);
  fields_.views(data, headers_);
  http_detail::FieldFacts facts;
  if (HttpErrc e = http_detail::collect_facts(headers_, sl.version, false, facts);
      e != HttpErrc::ok)
    return fail(e);

  HttpParsed<HttpResponse> r;
  r.status = HttpParseStatus::done;
  r.head.version = sl.version;
  r.head.status = sl.status;
  r.head.reason = sl.reason;
  r.head.headers = headers_;
  if (bodiless(request_method, sl.status)) {
    r.head.body = {HttpBodyKind::none, 0};
  } else if (facts.chunked) {
    r.head.body = {HttpBodyKind::chunked, 0};
  } else if (facts.other_final_coding || !facts.content_length) {
    r.head.body = {HttpBodyKind::until_close, 0};
  } else {
    if (*facts.content_length > limits_.max_body) return fail(HttpErrc::body_too_large);
    r.head.body = {HttpBodyKind::length, *facts.content_length};
  }
  const bool persistent = sl.version.minor == 1
                              ? !facts.connection_close
                              : facts.connection_keep_alive && !facts.connection_close;
  r.head.keep_alive = persistent && r.head.body.kind != HttpBodyKind::until_close;
  r.consumed = fields_.end();
  searched_ = 0;
  start_end_ = 0;
  return r;
}

}  // namespace sockit
