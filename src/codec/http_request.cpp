// Request heads: the request line (RFC 9112 §3), then the shared field scanner, then the
// framing rules of §6.
#include "codec/http_syntax.hpp"

namespace sockit {
namespace {

using http_detail::kNpos;

struct RequestLine {
  std::string_view method;
  std::string_view target;
  HttpVersion version;
};

bool is_scheme(std::string_view s) noexcept {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// Visible ASCII only, and no '#': a fragment never belongs in a request (RFC 9112 §3.2).
// Then the form the method allows: authority-form for CONNECT, "*" for OPTIONS, otherwise
// origin-form ("/...") or absolute-form ("scheme://...").
bool valid_target(std::string_view method, std::string_view target) noexcept {
  if (target.empty()) return false;
  for (char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '#') return false;
  }
  if (method == "CONNECT") return target[0] != '/' && target.find(':') != kNpos;
  if (target == "*") return method == "OPTIONS";
  if (target[0] == '/') return true;
  const std::size_t colon = target.find("://");
  return colon != kNpos && is_scheme(target.substr(0, colon)) && colon + 3 < target.size();
}

// Judged in this order: bare CR, shape (two single spaces), version, method, target, so that
// "GET /a b HTTP/1.1" is a bad target and "GET / HTTP/2.0" a version error.
HttpErrc parse_request_line(std::string_view line, RequestLine& out) noexcept {
  if (line.find('\r') != kNpos) return HttpErrc::bare_cr;
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  if (sp1 == kNpos || sp1 == 0 || sp2 == sp1) return HttpErrc::bad_request_line;
  if (HttpErrc e = http_detail::parse_version(line.substr(sp2 + 1), out.version); e != HttpErrc::ok)
    return e;
  out.method = line.substr(0, sp1);
  if (!http_detail::is_token(out.method)) return HttpErrc::invalid_method;
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!valid_target(out.method, out.target)) return HttpErrc::invalid_target;
  return HttpErrc::ok;
}

}  // namespace

void HttpRequestParser::reset() noexcept {
  line_at_ = 0;
  searched_ = 0;
  start_end_ = 0;
  error_.clear();
}

HttpParsed<HttpRequest> HttpRequestParser::fail(HttpErrc e) {
  error_ = make_error_code(e);
  HttpParsed<HttpRequest> r;
  r.status = HttpParseStatus::error;
  r.error = error_;
  return r;
}

HttpParsed<HttpRequest> HttpRequestParser::parse(std::string_view data) {
  if (error_) {
    HttpParsed<HttpRequest> r;
    r.status = HttpParseStatus::error;
    r.error = error_;
    return r;
  }
  // The start line, after any empty lines (all of them count toward max_start_line, which
  // bounds how many can be skipped).
  while (start_end_ == 0) {
    const std::size_t lf = http_detail::find_lf(data, line_at_, searched_);
    if (lf == kNpos) {
      if (http_detail::tail_content(data, 0) > limits_.max_start_line)
        return fail(HttpErrc::start_line_too_long);
      return {};
    }
    const std::size_t end = http_detail::content_end(data, line_at_, lf);
    if ((end == kNpos ? lf : end) > limits_.max_start_line)
      return fail(HttpErrc::start_line_too_long);
    if (end == kNpos) return fail(HttpErrc::bare_lf);
    if (end == line_at_) {
      line_at_ = lf + 1;
      searched_ = line_at_;
      continue;
    }
    RequestLine rl;
    const std::string_view line = data.substr(line_at_, end - line_at_);
    if (HttpErrc e = parse_request_line(line, rl); e != HttpErrc::ok) return fail(e);
    method_len_ = rl.method.size();
    target_at_ = line_at_ + static_cast<std::size_t>(rl.target.data() - line.data());
    target_len_ = rl.target.size();
    version_ = rl.version;
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
  return finish(data);
}

HttpParsed<HttpRequest> HttpRequestParser::finish(std::string_view data) {
  RequestLine rl;
  rl.method = data.substr(line_at_, method_len_);
  rl.target = data.substr(target_at_, target_len_);
  rl.version = version_;
  fields_.views(data, headers_);
  http_detail::FieldFacts facts;
  if (HttpErrc e = http_detail::collect_facts(headers_, rl.version, true, facts); e != HttpErrc::ok)
    return fail(e);
  // RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request without exactly one Host.
  if (rl.version.minor == 1 && facts.host_count == 0) return fail(HttpErrc::missing_host);

  HttpParsed<HttpRequest> r;
  r.status = HttpParseStatus::done;
  r.head.method = rl.method;
  r.head.target = rl.target;
  r.head.version = rl.version;
  r.head.headers = headers_;
  r.head.host = facts.host;
  if (facts.chunked) {
    r.head.body = {HttpBodyKind::chunked, 0};
  } else if (facts.content_length) {
    if (*facts.content_length > limits_.max_body) return fail(HttpErrc::body_too_large);
    r.head.body = {HttpBodyKind::length, *facts.content_length};
  }
  r.head.keep_alive = rl.version.minor == 1
                          ? !facts.connection_close
                          : facts.connection_keep_alive && !facts.connection_close;
  r.consumed = fields_.end();
  // Ready for the next message, which starts at r.consumed in the caller's buffer.
  line_at_ = 0;
  searched_ = 0;
  start_end_ = 0;
  return r;
}

}  // namespace sockit
