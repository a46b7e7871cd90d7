#include "codec/http_syntax.hpp"

#include <cstring>
#include <limits>

namespace sockit::http_detail {
namespace {

constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (int c = 'a'; c <= 'z'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    t[static_cast<std::size_t>(c)] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~"))
    t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kTchar = make_tchar_table();

// field-vchar / SP / HTAB: everything but the controls and DEL (obs-text is allowed).
constexpr std::array<bool, 256> make_value_table() {
  std::array<bool, 256> t{};
  for (std::size_t c = 0x20; c < 256; ++c)
    t[c] = c != 0x7f;
  t['\t'] = true;
  return t;
}
constexpr auto kValueByte = make_value_table();

// Host = uri-host [ ":" port ]: reg-name, IPv4 or an IP literal in brackets. Checked by
// alphabet only (the server resolves nothing): anything that could end a URL authority or hide
// a second one ('/', '?', '#', '@', space) is refused.
bool is_host_byte(unsigned char c) noexcept {
  if (kTchar[c] && c != '|' && c != '^' && c != '`' && c != '#') return true;
  return c == ':' || c == '[' || c == ']' || c == '(' || c == ')' || c == ';' || c == '=' ||
         c == ',';
}

bool digits_only(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

HttpErrc add_content_length(std::string_view value, FieldFacts& facts) noexcept {
  // A list ("5, 5") is several values: each is judged, and any second one is refused.
  std::size_t from = 0;
  while (from <= value.size()) {
    std::size_t comma = value.find(',', from);
    std::string_view item = trim_ows(value.substr(from, comma == kNpos ? kNpos : comma - from));
    if (!digits_only(item)) return HttpErrc::invalid_content_length;
    std::uint64_t n = 0;
    for (char c : item) {
      const auto d = static_cast<std::uint64_t>(c - '0');
      if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
        return HttpErrc::invalid_content_length;
      n = n * 10 + d;
    }
    if (facts.content_length) return HttpErrc::duplicate_content_length;
    facts.content_length = n;
    if (comma == kNpos) break;
    from = comma + 1;
  }
  return HttpErrc::ok;
}

// Transfer-Encoding codings accumulate across fields (RFC 9110 §5.3: the fields combine into
// one list in order). `count_chunked` counts every chunked; `last_chunked` tells the last one.
struct Codings {
  bool seen = false;
  std::size_t chunked = 0;
  bool last_chunked = false;
  bool other = false;
};

HttpErrc add_codings(std::string_view value, Codings& c) noexcept {
  c.seen = true;
  std::size_t from = 0;
  while (true) {
    const std::size_t comma = value.find(',', from);
    std::string_view item = trim_ows(value.substr(from, comma == kNpos ? kNpos : comma - from));
    // A coding's parameters (";q=...") are only for the TE field; an empty element hides
    // nothing legitimate either: both are refused rather than guessed at.
    if (!is_token(item)) return HttpErrc::invalid_transfer_encoding;
    if (http_iequals(item, "chunked")) {
      ++c.chunked;
      c.last_chunked = true;
    } else {
      c.other = true;
      c.last_chunked = false;
    }
    if (comma == kNpos) return HttpErrc::ok;
    from = comma + 1;
  }
}

void add_connection(std::string_view value, FieldFacts& facts) noexcept {
  std::size_t from = 0;
  while (from <= value.size()) {
    const std::size_t comma = value.find(',', from);
    std::string_view item = trim_ows(value.substr(from, comma == kNpos ? kNpos : comma - from));
    if (http_iequals(item, "close")) facts.connection_close = true;
    if (http_iequals(item, "keep-alive")) facts.connection_keep_alive = true;
    if (comma == kNpos) break;
    from = comma + 1;
  }
}

HttpErrc add_host(std::string_view value, FieldFacts& facts) noexcept {
  if (++facts.host_count > 1) return HttpErrc::duplicate_host;
  facts.host = value;
  for (char c : value)
    if (!is_host_byte(static_cast<unsigned char>(c))) return HttpErrc::invalid_host;
  return HttpErrc::ok;
}

HttpErrc judge_codings(const Codings& c, bool request, FieldFacts& facts) noexcept {
  if (!c.seen) return HttpErrc::ok;
  if (c.chunked > 1) return HttpErrc::chunked_twice;
  if (!c.last_chunked) {
    // RFC 9112 §6.3: in a request the length cannot be determined (400); a response is then
    // read until the server closes.
    if (request) return HttpErrc::chunked_not_final;
    facts.other_final_coding = true;
    return HttpErrc::ok;
  }
  // "gzip, chunked": framing is known, but we cannot undo gzip for the caller (RFC 9112 §6.1).
  if (c.other) return HttpErrc::unsupported_transfer_coding;
  facts.chunked = true;
  return HttpErrc::ok;
}

}  // namespace

bool is_tchar(unsigned char c) noexcept {
  return kTchar[c];
}

bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!kTchar[static_cast<unsigned char>(c)]) return false;
  return true;
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back()))
    s.remove_suffix(1);
  return s;
}

std::size_t find_lf(std::string_view data, std::size_t line_at, std::size_t& searched) noexcept {
  const std::size_t from = searched > line_at ? searched : line_at;
  if (from >= data.size()) {
    searched = data.size();
    return kNpos;
  }
  const void* hit = std::memchr(data.data() + from, '\n', data.size() - from);
  if (hit == nullptr) {
    searched = data.size();
    return kNpos;
  }
  return static_cast<std::size_t>(static_cast<const char*>(hit) - data.data());
}

std::size_t tail_content(std::string_view data, std::size_t line_at) noexcept {
  std::size_t n = data.size() - line_at;
  if (n != 0 && data.back() == '\r') --n;
  return n;
}

std::size_t content_end(std::string_view data, std::size_t line_at, std::size_t lf) noexcept {
  if (lf == line_at || data[lf - 1] != '\r') return kNpos;
  return lf - 1;
}

// One pass over the line. A CR is reported as bare_cr wherever it is (before any other fault
// of the same line), so "X: a\rContent-Length: 5" names the trick, not a side effect.
HttpErrc check_field_line(std::string_view line, std::size_t at, FieldPos& pos) noexcept {
  const auto fault = [&](std::size_t from, HttpErrc e) {
    return line.find('\r', from) != kNpos ? HttpErrc::bare_cr : e;
  };
  if (is_ows(line.front())) return fault(0, HttpErrc::obs_fold);
  std::size_t i = 0;
  while (i < line.size() && kTchar[static_cast<unsigned char>(line[i])])
    ++i;
  if (i == 0 || i == line.size()) return fault(i, HttpErrc::invalid_field_name);
  if (line[i] != ':') {
    if (!is_ows(line[i])) return fault(i, HttpErrc::invalid_field_name);
    std::size_t j = i;
    while (j < line.size() && is_ows(line[j]))
      ++j;
    return fault(i, j < line.size() && line[j] == ':' ? HttpErrc::space_before_colon
                                                      : HttpErrc::invalid_field_name);
  }
  for (std::size_t k = i + 1; k < line.size(); ++k)
    if (!kValueByte[static_cast<unsigned char>(line[k])])
      return fault(k, HttpErrc::invalid_field_value);
  std::size_t v = i + 1;
  std::size_t e = line.size();
  while (v < e && is_ows(line[v]))
    ++v;
  while (e > v && is_ows(line[e - 1]))
    --e;
  pos = FieldPos{at, i, at + v, e - v};
  return HttpErrc::ok;
}

HttpErrc parse_version(std::string_view text, HttpVersion& version) noexcept {
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || !digit(text[5]) || text[6] != '.' ||
      !digit(text[7]))
    return HttpErrc::invalid_version;
  version.major = static_cast<std::uint8_t>(text[5] - '0');
  version.minor = static_cast<std::uint8_t>(text[7] - '0');
  if (version.major != 1 || version.minor > 1) return HttpErrc::version_not_supported;
  return HttpErrc::ok;
}

HttpErrc collect_facts(std::span<const HttpHeader> headers, HttpVersion version, bool request,
                       FieldFacts& facts) noexcept {
  Codings codings;
  for (const auto& h : headers) {
    HttpErrc e = HttpErrc::ok;
    // Dispatch on the length first: most fields are none of these four, and this keeps the
    // framing pass at one comparison per field at most.
    switch (h.name.size()) {
      case 14:
        if (http_iequals(h.name, "content-length")) e = add_content_length(h.value, facts);
        break;
      case 17:
        if (http_iequals(h.name, "transfer-encoding")) e = add_codings(h.value, codings);
        break;
      case 4:
        if (request && http_iequals(h.name, "host")) e = add_host(h.value, facts);
        break;
      case 10:
        if (http_iequals(h.name, "connection")) add_connection(h.value, facts);
        break;
      default:
        break;
    }
    if (e != HttpErrc::ok) return e;
  }
  // HTTP/1.0 has no chunked coding: a TE there is either an attack or a proxy bug (§6.1).
  if (codings.seen && version.minor == 0) return HttpErrc::transfer_encoding_in_http10;
  if (codings.seen && facts.content_length) return HttpErrc::content_length_and_chunked;
  return judge_codings(codings, request, facts);
}

HttpErrc parse_chunk_size(std::string_view digits, std::uint64_t& size) noexcept {
  if (digits.empty()) return HttpErrc::invalid_chunk_size;
  std::uint64_t n = 0;
  for (char c : digits) {
    std::uint64_t d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<std::uint64_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<std::uint64_t>(c - 'A' + 10);
    } else {
      return HttpErrc::invalid_chunk_size;
    }
    if (n > (std::numeric_limits<std::uint64_t>::max() >> 4)) return HttpErrc::chunk_size_overflow;
    n = (n << 4) | d;
  }
  size = n;
  return HttpErrc::ok;
}

namespace {

// Skips a quoted-string starting at s[i] == '"'; returns the index after it, or kNpos.
std::size_t skip_quoted(std::string_view s, std::size_t i) noexcept {
  for (++i; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') return i + 1;
    if (c == '\\') {
      if (++i == s.size()) return kNpos;
      const auto q = static_cast<unsigned char>(s[i]);
      if (q != '\t' && (q < 0x20 || q == 0x7f)) return kNpos;
    } else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
      return kNpos;
    }
  }
  return kNpos;
}

std::size_t skip_token(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && kTchar[static_cast<unsigned char>(s[i])])
    ++i;
  return i;
}

std::size_t skip_ows(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && is_ows(s[i]))
    ++i;
  return i;
}

}  // namespace

bool valid_chunk_extensions(std::string_view ext) noexcept {
  std::size_t i = skip_ows(ext, 0);
  // Whitespace alone after the size is not an extension: "5 " is refused, as strict parsers do.
  if (i == ext.size()) return ext.empty();
  while (i < ext.size()) {
    if (ext[i] != ';') return false;
    i = skip_ows(ext, i + 1);
    const std::size_t name_end = skip_token(ext, i);
    if (name_end == i) return false;
    i = skip_ows(ext, name_end);
    if (i < ext.size() && ext[i] == '=') {
      i = skip_ows(ext, i + 1);
      if (i < ext.size() && ext[i] == '"') {
        i = skip_quoted(ext, i);
        if (i == kNpos) return false;
      } else {
        const std::size_t value_end = skip_token(ext, i);
        if (value_end == i) return false;
        i = value_end;
      }
      i = skip_ows(ext, i);
    }
  }
  return true;
}

}  // namespace sockit::http_detail
