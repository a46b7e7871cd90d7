#include "sockit/codec/smtp_reply.hpp"

#include <charconv>
#include <string>

namespace sockit {
namespace {

class SmtpClientCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "smtp"; }
  std::string message(int value) const override {
    switch (static_cast<SmtpClientErrc>(value)) {
      case SmtpClientErrc::ok:
        return "success";
      case SmtpClientErrc::reply_line_too_long:
        return "reply line too long";
      case SmtpClientErrc::too_many_reply_lines:
        return "reply has too many lines";
      case SmtpClientErrc::invalid_reply_code:
        return "reply does not start with a three-digit code";
      case SmtpClientErrc::invalid_reply_separator:
        return "reply code not followed by a space or '-'";
      case SmtpClientErrc::inconsistent_reply_code:
        return "lines of one reply carry different codes";
      case SmtpClientErrc::message_line_too_long:
        return "message line longer than 998 octets (RFC 5321 4.5.3.1.6)";
      case SmtpClientErrc::invalid_header:
        return "header name or value would break the header section";
      case SmtpClientErrc::unexpected_reply:
        return "unexpected reply code";
      case SmtpClientErrc::reply_too_early:
        return "server sent a reply before it was asked";
    }
    return "unknown SMTP error";
  }
};

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

char upper(char c) noexcept {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = upper(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (upper(a[i]) != upper(b[i])) return false;
  }
  return true;
}

// 1 to 3 digits at `pos`; advances pos. -1 when there are none or more than 3.
int take_number(std::string_view text, std::size_t& pos) noexcept {
  int value = 0;
  std::size_t digits = 0;
  while (pos < text.size() && is_digit(text[pos]) && digits < 4) {
    value = value * 10 + (text[pos] - '0');
    ++pos;
    ++digits;
  }
  return digits == 0 || digits > 3 ? -1 : value;
}

// Splits "word rest" at the first space or tab run.
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t'))
      ++pos;
    const std::size_t start = pos;
    while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t')
      ++pos;
    if (pos > start) out.push_back(line.substr(start, pos - start));
  }
  return out;
}

void add_auth(SmtpCapabilities& caps, std::string_view mechanism) {
  std::string name = to_upper(mechanism);
  for (const auto& known : caps.auth) {
    if (known == name) return;
  }
  caps.auth.push_back(std::move(name));
}

}  // namespace

const std::error_category& smtp_client_category() noexcept {
  static const SmtpClientCategory category;
  return category;
}

std::error_code make_error_code(SmtpClientErrc e) noexcept {
  return {static_cast<int>(e), smtp_client_category()};
}

std::string SmtpEnhancedCode::to_string() const {
  return std::to_string(klass) + "." + std::to_string(subject) + "." + std::to_string(detail);
}

std::string SmtpReply::text() const {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += " / ";
    out += line;
  }
  return out;
}

std::optional<SmtpEnhancedCode> parse_enhanced_code(std::string_view text) noexcept {
  if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.')
    return std::nullopt;
  std::size_t pos = 2;
  const int subject = take_number(text, pos);
  if (subject < 0 || pos >= text.size() || text[pos] != '.') return std::nullopt;
  ++pos;
  const int detail = take_number(text, pos);
  if (detail < 0 || (pos < text.size() && text[pos] != ' ')) return std::nullopt;
  return SmtpEnhancedCode{text[0] - '0', subject, detail};
}

SmtpReplyParser::SmtpReplyParser(SmtpReplyLimits limits)
    : limits_(limits), lines_(limits.max_line, LineMode::crlf_or_lf) {}

void SmtpReplyParser::feed(std::string_view bytes) {
  if (!error_) lines_.feed(bytes);
}

std::size_t SmtpReplyParser::buffered() const noexcept {
  return lines_.buffered() + partial_bytes_;
}

void SmtpReplyParser::reset() noexcept {
  lines_.reset();
  partial_ = {};
  partial_bytes_ = 0;
  error_ = {};
}

Status SmtpReplyParser::take_line(std::string_view line, bool& complete) {
  if (line.size() < 3 || line[0] < '2' || line[0] > '5' || !is_digit(line[1]) || !is_digit(line[2]))
    return fail(SmtpClientErrc::invalid_reply_code);
  bool last = line.size() == 3;
  if (!last) {
    if (line[3] != ' ' && line[3] != '-') return fail(SmtpClientErrc::invalid_reply_separator);
    last = line[3] == ' ';
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!partial_.lines.empty() && code != partial_.code)
    return fail(SmtpClientErrc::inconsistent_reply_code);
  if (partial_.lines.size() >= limits_.max_lines) return fail(SmtpClientErrc::too_many_reply_lines);
  partial_.code = code;
  partial_.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view{});
  complete = last;
  return {};
}

Result<std::optional<SmtpReply>> SmtpReplyParser::next() {
  if (error_) return fail(error_);
  for (;;) {
    const std::size_t before = lines_.buffered();
    const Decoded d = lines_.next();
    if (d.needs_more()) return std::optional<SmtpReply>{};
    if (d.failed()) {
      error_ = d.error == Errc::line_too_long ? make_error_code(SmtpClientErrc::reply_line_too_long)
                                              : d.error;
      return fail(error_);
    }
    bool complete = false;
    if (auto taken = take_line(d.frame, complete); !taken) {
      error_ = taken.error();
      return fail(error_);
    }
    partial_bytes_ += before - lines_.buffered();
    if (complete) {
      SmtpReply reply = std::move(partial_);
      partial_ = {};
      partial_bytes_ = 0;
      if (auto e = parse_enhanced_code(reply.lines.front()); e && e->klass == reply.klass())
        reply.enhanced = e;
      return std::optional<SmtpReply>(std::move(reply));
    }
  }
}

bool SmtpCapabilities::has_auth(std::string_view mechanism) const noexcept {
  for (const auto& m : auth) {
    if (iequals(m, mechanism)) return true;
  }
  return false;
}

SmtpCapabilities parse_ehlo(const SmtpReply& reply) {
  SmtpCapabilities caps;
  caps.esmtp = true;
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    const auto w = words(reply.lines[i]);
    if (w.empty()) continue;
    const std::string_view key = w[0];
    if (iequals(key, "PIPELINING")) {
      caps.pipelining = true;
    } else if (iequals(key, "STARTTLS")) {
      caps.starttls = true;
    } else if (iequals(key, "8BITMIME")) {
      caps.eightbitmime = true;
    } else if (iequals(key, "SMTPUTF8")) {
      caps.smtputf8 = true;
    } else if (iequals(key, "ENHANCEDSTATUSCODES")) {
      caps.enhanced_status_codes = true;
    } else if (iequals(key, "SIZE")) {
      caps.size = true;
      std::uint64_t limit = 0;
      if (w.size() > 1) {
        const auto p = w[1];
        const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), limit);
        if (ec != std::errc{} || end != p.data() + p.size()) limit = 0;
      }
      caps.max_size = limit;
    } else if (iequals(key, "AUTH")) {
      for (std::size_t k = 1; k < w.size(); ++k)
        add_auth(caps, w[k]);
    } else if (key.size() > 5 && iequals(key.substr(0, 5), "AUTH=")) {
      // The pre-standard form some servers still add: "AUTH=LOGIN PLAIN".
      add_auth(caps, key.substr(5));
      for (std::size_t k = 1; k < w.size(); ++k)
        add_auth(caps, w[k]);
    }
  }
  return caps;
}

}  // namespace sockit
