#include "sockit/codec/smtp_message.hpp"

#include <array>
#include <cstdio>

namespace sockit {

void SmtpDataEncoder::end_line(std::string& out) {
  out += "\r\n";
  ++line_;
  column_ = 0;
}

Status SmtpDataEncoder::encode(std::string_view chunk, std::string& out) {
  if (error_) return fail(error_);
  out.reserve(out.size() + chunk.size() + chunk.size() / 32 + 8);
  for (const char c : chunk) {
    if (pending_cr_) {
      pending_cr_ = false;
      end_line(out);  // a CR ends the line whatever follows: CRLF, bare CR
      if (c == '\n') continue;
    }
    if (c == '\r') {
      pending_cr_ = true;  // wait: the LF of a CRLF may be in the next chunk
      continue;
    }
    if (c == '\n') {
      end_line(out);  // a bare LF
      continue;
    }
    if (column_ >= kMaxLine) {
      error_ = make_error_code(SmtpClientErrc::message_line_too_long);
      return fail(error_);
    }
    if (column_ == 0 && c == '.') {
      out += '.';
      ++column_;  // the limit is on the wire: a stuffed dot counts
    }
    if ((static_cast<unsigned char>(c) & 0x80U) != 0) eight_bit_ = true;
    out += c;
    ++column_;
  }
  return {};
}

Status SmtpDataEncoder::finish(std::string& out) {
  if (error_) return fail(error_);
  if (!finished_) {
    if (pending_cr_ || column_ > 0) end_line(out);
    pending_cr_ = false;
    out += ".\r\n";
    finished_ = true;
  }
  return {};
}

Result<std::string> smtp_encode_data(std::string_view message, std::size_t* bad_line) {
  SmtpDataEncoder encoder;
  std::string out;
  Status st = encoder.encode(message, out);
  if (st) st = encoder.finish(out);
  if (!st) {
    if (bad_line != nullptr) *bad_line = encoder.line();
    return fail(st.error());
  }
  return out;
}

bool has_eight_bit(std::string_view text) noexcept {
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0x80U) != 0) return true;
  }
  return false;
}

namespace {

int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string base64_encode(std::string_view bytes, std::size_t line_length) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4 + (line_length > 0 ? bytes.size() / line_length * 2 : 0));
  std::size_t column = 0;
  const auto put = [&](char c) {
    if (line_length > 0 && column == line_length) {
      out += "\r\n";
      column = 0;
    }
    out += c;
    ++column;
  };
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      v <<= 8;
      if (k < n) v |= static_cast<unsigned char>(bytes[i + k]);
    }
    put(kAlphabet[(v >> 18) & 63U]);
    put(kAlphabet[(v >> 12) & 63U]);
    put(n > 1 ? kAlphabet[(v >> 6) & 63U] : '=');
    put(n > 2 ? kAlphabet[v & 63U] : '=');
  }
  return out;
}

std::string smtp_date(std::time_t t) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 64> buf{};
  const int n = std::snprintf(buf.data(), buf.size(), "%s, %02d %s %04d %02d:%02d:%02d +0000",
                              kDays[static_cast<std::size_t>(tm.tm_wday) % 7], tm.tm_mday,
                              kMonths[static_cast<std::size_t>(tm.tm_mon) % 12], tm.tm_year + 1900,
                              tm.tm_hour, tm.tm_min, tm.tm_sec);
  return std::string(buf.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
}

std::string_view guess_content_type(std::string_view filename) noexcept {
  struct Entry {
    std::string_view ext, type;
  };
  static constexpr std::array<Entry, 14> kTypes = {{{"txt", "text/plain"},
                                                    {"html", "text/html"},
                                                    {"htm", "text/html"},
                                                    {"csv", "text/csv"},
                                                    {"json", "application/json"},
                                                    {"pdf", "application/pdf"},
                                                    {"zip", "application/zip"},
                                                    {"gz", "application/gzip"},
                                                    {"png", "image/png"},
                                                    {"jpg", "image/jpeg"},
                                                    {"jpeg", "image/jpeg"},
                                                    {"gif", "image/gif"},
                                                    {"svg", "image/svg+xml"},
                                                    {"eml", "message/rfc822"}}};
  const auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string ext(filename.substr(dot + 1));
  for (char& c : ext) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  for (const auto& e : kTypes) {
    if (e.ext == ext) return e.type;
  }
  return "application/octet-stream";
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + static_cast<std::size_t>(k)];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[k] = base64_value(c);
      if (v[k] < 0) return std::nullopt;
    }
    const unsigned n = (static_cast<unsigned>(v[0]) << 18) | (static_cast<unsigned>(v[1]) << 12) |
                       (static_cast<unsigned>(v[2]) << 6) | static_cast<unsigned>(v[3]);
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

}  // namespace sockit
