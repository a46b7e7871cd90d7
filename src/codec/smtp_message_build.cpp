// The message builder of smtp_message.hpp: headers, MIME parts, encoded words.
#include <string>

#include "sockit/codec/smtp_message.hpp"

namespace sockit {
namespace {

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool valid_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (const char c : name) {
    if (c < 33 || c > 126 || c == ':') return false;
  }
  return true;
}

bool valid_value(std::string_view value) noexcept {
  return value.find_first_of("\r\n") == std::string_view::npos;
}

// Every line ending as CRLF (bare LF and bare CR too), so the builder's output is exactly what
// the DATA encoder sends (less dot-stuffing).
std::string crlf_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (text[i] == '\n') {
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  return out;
}

bool has_long_line(std::string_view text) noexcept {
  std::size_t column = 0;
  for (const char c : text) {
    column = (c == '\r' || c == '\n') ? 0 : column + 1;
    if (column > SmtpDataEncoder::kMaxLine - 1) return true;  // -1: room for a stuffed dot
  }
  return false;
}

// RFC 2047 encoded words for a non-ASCII header value, folded so no line grows past 78:
// pieces of at most 45 bytes, never splitting a UTF-8 sequence (60 base64 characters each).
std::string encoded_words(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t n = std::min<std::size_t>(45, text.size() - pos);
    while (pos + n < text.size() && n > 1 &&
           (static_cast<unsigned char>(text[pos + n]) & 0xC0U) == 0x80U)
      --n;  // the next byte continues a sequence: stop before the sequence's start
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64_encode(text.substr(pos, n)) + "?=";
    pos += n;
  }
  return out;
}

std::string header_value(std::string_view value) {
  return has_eight_bit(value) ? encoded_words(value) : std::string(value);
}

// filename="a b.txt", or RFC 2231 filename*=UTF-8''%C3%A9.txt for a name that is not ASCII.
std::string filename_param(std::string_view name) {
  if (has_eight_bit(name)) {
    static constexpr std::string_view kHex = "0123456789ABCDEF";
    std::string out = "filename*=UTF-8''";
    for (const char c : name) {
      const auto u = static_cast<unsigned char>(c);
      const bool plain = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') ||
                         (u >= 'A' && u <= 'Z') || c == '.' || c == '-' || c == '_';
      if (plain) {
        out += c;
      } else {
        out += '%';
        out += kHex[u >> 4];
        out += kHex[u & 15U];
      }
    }
    return out;
  }
  std::string out = "filename=\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool overridden(const SmtpMessageSpec& spec, std::string_view name) {
  for (const auto& [n, v] : spec.headers) {
    if (iequals(n, name)) return true;
  }
  return false;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// The text part's own headers and its bytes: 7bit/8bit text, or base64 when a line is too long
// for SMTP (or the text holds the multipart boundary).
std::string text_part(const std::string& body, std::string_view boundary) {
  const std::string text = crlf_lines(body);
  std::string out = "Content-Type: text/plain; charset=utf-8\r\n";
  const bool base64 =
      has_long_line(text) || (!boundary.empty() && text.find(boundary) != std::string::npos);
  if (base64) {
    out += "Content-Transfer-Encoding: base64\r\n\r\n" + base64_encode(body, 76) + "\r\n";
    return out;
  }
  out += std::string("Content-Transfer-Encoding: ") + (has_eight_bit(text) ? "8bit" : "7bit");
  out += "\r\n\r\n" + text;
  if (!text.empty() && !text.ends_with("\r\n")) out += "\r\n";
  return out;
}

}  // namespace

Result<std::string> build_smtp_message(const SmtpMessageSpec& spec) {
  for (const auto& [name, value] : spec.headers) {
    if (!valid_name(name) || !valid_value(value)) return fail(SmtpClientErrc::invalid_header);
  }
  for (const auto& v : spec.to) {
    if (!valid_value(v)) return fail(SmtpClientErrc::invalid_header);
  }
  if (!valid_value(spec.from) || !valid_value(spec.subject) || !valid_value(spec.unique) ||
      !valid_value(spec.message_id_domain))
    return fail(SmtpClientErrc::invalid_header);
  for (const auto& a : spec.attachments) {
    if (!valid_value(a.filename) || !valid_value(a.content_type))
      return fail(SmtpClientErrc::invalid_header);
  }

  std::string out;
  const auto add = [&](std::string_view name, const std::string& value) {
    if (!overridden(spec, name)) out += std::string(name) + ": " + value + "\r\n";
  };
  add("Date", smtp_date(spec.date));
  if (!spec.from.empty()) add("From", spec.from);
  if (!spec.to.empty()) add("To", join(spec.to));
  if (!spec.subject.empty()) add("Subject", header_value(spec.subject));
  add("Message-ID", "<" + spec.unique + "@" + spec.message_id_domain + ">");
  add("MIME-Version", "1.0");
  for (const auto& [name, value] : spec.headers)
    out += name + ": " + header_value(value) + "\r\n";

  if (spec.attachments.empty()) return out + text_part(spec.body, {});

  const std::string boundary = "=_sockit_" + spec.unique;
  out += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "This is a MIME message.\r\n";
  out += "--" + boundary + "\r\n" + text_part(spec.body, boundary);
  for (const auto& a : spec.attachments) {
    const std::string_view type =
        a.content_type.empty() ? guess_content_type(a.filename) : std::string_view(a.content_type);
    out += "--" + boundary + "\r\n";
    out += "Content-Type: " + std::string(type) + "\r\n";
    out += "Content-Disposition: attachment; " + filename_param(a.filename) + "\r\n";
    out += "Content-Transfer-Encoding: base64\r\n\r\n";
    out += base64_encode(a.data, 76);
    if (!a.data.empty()) out += "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace sockit
