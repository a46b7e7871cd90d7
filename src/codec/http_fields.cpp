// The field-section scanner shared by request and response heads and chunked trailers, and the
// case-insensitive helpers.
#include <array>

#include "codec/http_syntax.hpp"

namespace sockit {

namespace {
constexpr std::array<unsigned char, 256> make_lower_table() {
  std::array<unsigned char, 256> t{};
  for (std::size_t c = 0; c < 256; ++c)
    t[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return t;
}
constexpr auto kLower = make_lower_table();
}  // namespace

bool http_iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (kLower[static_cast<unsigned char>(a[i])] != kLower[static_cast<unsigned char>(b[i])])
      return false;
  return true;
}

std::string_view http_find(std::span<const HttpHeader> headers, std::string_view name) noexcept {
  for (const auto& h : headers)
    if (http_iequals(h.name, name)) return h.value;
  return {};
}

namespace http_detail {

void FieldScanner::start(std::size_t at, std::size_t max_bytes, std::size_t max_count,
                         HttpErrc too_large, HttpErrc too_many) noexcept {
  fields_.clear();
  section_at_ = at;
  line_at_ = at;
  searched_ = at;
  max_bytes_ = max_bytes;
  max_count_ = max_count;
  too_large_ = too_large;
  too_many_ = too_many;
}

// Each complete line is judged once, in this order: section size, line ending, field count,
// field syntax. An unfinished line can only break the size limit, and that check comes first
// for complete lines too, so the error does not depend on where the input was split.
HttpParseStatus FieldScanner::scan(std::string_view data, HttpErrc& error) {
  for (;;) {
    const std::size_t lf = find_lf(data, line_at_, searched_);
    if (lf == kNpos) {
      if (data.size() - section_at_ > max_bytes_) {
        error = too_large_;
        return HttpParseStatus::error;
      }
      return HttpParseStatus::need_more;
    }
    if (lf + 1 - section_at_ > max_bytes_) {
      error = too_large_;
      return HttpParseStatus::error;
    }
    const std::size_t end = content_end(data, line_at_, lf);
    if (end == kNpos) {
      error = HttpErrc::bare_lf;
      return HttpParseStatus::error;
    }
    if (end == line_at_) {  // the empty line: the section is complete
      line_at_ = lf + 1;
      searched_ = line_at_;
      return HttpParseStatus::done;
    }
    if (fields_.size() >= max_count_) {
      error = too_many_;
      return HttpParseStatus::error;
    }
    FieldPos pos;
    error = check_field_line(data.substr(line_at_, end - line_at_), line_at_, pos);
    if (error != HttpErrc::ok) return HttpParseStatus::error;
    fields_.push_back(pos);
    line_at_ = lf + 1;
    searched_ = line_at_;
  }
}

void FieldScanner::views(std::string_view data, std::vector<HttpHeader>& out) const {
  out.clear();
  for (const auto& f : fields_)
    out.push_back({data.substr(f.name_at, f.name_len), data.substr(f.value_at, f.value_len)});
}

}  // namespace http_detail
}  // namespace sockit
