// The serializer's checks, reason phrases and the per-second Date cache.
#include "sockit/codec/http_writer.hpp"

#include <cerrno>

#include "codec/http_syntax.hpp"

namespace sockit {
namespace {

bool valid_value(std::string_view v) noexcept {
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c != '\t' && (c < 0x20 || c == 0x7f)) return false;
  }
  // Leading or trailing whitespace would be stripped by the reader: refuse rather than change.
  return v.empty() || (!http_detail::is_ows(v.front()) && !http_detail::is_ows(v.back()));
}

bool bodiless_status(int status) noexcept {
  return status < 200 || status == 204 || status == 304;
}

// Writes the two digits of n (0..99) at p.
void two_digits(char* p, int n) noexcept {
  p[0] = static_cast<char>('0' + n / 10);
  p[1] = static_cast<char>('0' + n % 10);
}

struct DateCache {
  std::time_t second = -1;
  char text[29] = {};
};

void format_date(std::time_t when, char* out) noexcept {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&when, &tm);
  // "Sun, 06 Nov 1994 08:49:37 GMT"
  std::string_view day = kDays[tm.tm_wday % 7];
  std::string_view month = kMonths[tm.tm_mon % 12];
  const int year = tm.tm_year + 1900;
  out[0] = day[0], out[1] = day[1], out[2] = day[2], out[3] = ',', out[4] = ' ';
  two_digits(out + 5, tm.tm_mday);
  out[7] = ' ', out[8] = month[0], out[9] = month[1], out[10] = month[2], out[11] = ' ';
  two_digits(out + 12, (year / 100) % 100);
  two_digits(out + 14, year % 100);
  out[16] = ' ';
  two_digits(out + 17, tm.tm_hour);
  out[19] = ':';
  two_digits(out + 20, tm.tm_min);
  out[22] = ':';
  two_digits(out + 23, tm.tm_sec);
  out[25] = ' ', out[26] = 'G', out[27] = 'M', out[28] = 'T';
}

}  // namespace

std::string_view http_reason(int status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 426:
      return "Upgrade Required";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

std::string_view http_date() noexcept {
  // One formatting per second per thread; no lock, no shared state.
  thread_local DateCache cache;
  const std::time_t now = std::time(nullptr);
  if (now != cache.second) {
    format_date(now, cache.text);
    cache.second = now;
  }
  return {cache.text, sizeof cache.text};
}

std::string http_date_of(std::time_t when) {
  char text[29];
  format_date(when, text);
  return {text, sizeof text};
}

namespace http_detail {

Status check_fields(std::span<const HttpHeader> fields, bool trailers) noexcept {
  for (const auto& h : fields) {
    if (!is_token(h.name)) return fail(make_error_code(HttpErrc::invalid_field_name));
    if (!valid_value(h.value)) return fail(make_error_code(HttpErrc::invalid_field_value));
    if (http_iequals(h.name, "content-length") || http_iequals(h.name, "transfer-encoding"))
      return fail(sys_error(EINVAL));
    if (!trailers && http_iequals(h.name, "date")) return fail(sys_error(EINVAL));
  }
  return {};
}

Status check_response(int status, HttpVersion version, std::span<const HttpHeader> headers,
                      HttpBody body) noexcept {
  if (status < 100 || status > 599) return fail(sys_error(EINVAL));
  if (body.kind == HttpBodyKind::chunked && version.minor == 0) return fail(sys_error(EINVAL));
  // 1xx and 204 never carry a length; 304 may state the length it would have had.
  const bool no_length = status < 200 || status == 204;
  if (no_length && body.kind != HttpBodyKind::none) return fail(sys_error(EINVAL));
  if (bodiless_status(status) && body.kind == HttpBodyKind::chunked) return fail(sys_error(EINVAL));
  if (bodiless_status(status) && body.kind == HttpBodyKind::until_close)
    return fail(sys_error(EINVAL));
  return check_fields(headers, false);
}

Status check_request(std::string_view method, std::string_view target, HttpVersion version,
                     std::span<const HttpHeader> headers, HttpBody body) noexcept {
  if (!is_token(method)) return fail(make_error_code(HttpErrc::invalid_method));
  if (target.empty()) return fail(make_error_code(HttpErrc::invalid_target));
  for (char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '#') return fail(make_error_code(HttpErrc::invalid_target));
  }
  if (body.kind == HttpBodyKind::until_close) return fail(sys_error(EINVAL));
  if (body.kind == HttpBodyKind::chunked && version.minor == 0) return fail(sys_error(EINVAL));
  std::size_t hosts = 0;
  for (const auto& h : headers)
    if (http_iequals(h.name, "host")) ++hosts;
  if (version.minor == 1 && hosts != 1)
    return fail(make_error_code(hosts == 0 ? HttpErrc::missing_host : HttpErrc::duplicate_host));
  // Date is a response field for us; a request may carry it, so only framing is refused here.
  for (const auto& h : headers) {
    if (!is_token(h.name)) return fail(make_error_code(HttpErrc::invalid_field_name));
    if (!valid_value(h.value)) return fail(make_error_code(HttpErrc::invalid_field_value));
    if (http_iequals(h.name, "content-length") || http_iequals(h.name, "transfer-encoding"))
      return fail(sys_error(EINVAL));
  }
  return {};
}

}  // namespace http_detail
}  // namespace sockit
