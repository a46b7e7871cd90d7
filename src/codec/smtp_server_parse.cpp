// The server side's parsing of one SMTP command (verb, MAIL FROM / RCPT TO with ESMTP
// parameters), its error category and the reply serializer.
#include <array>
#include <string>

#include "sockit/codec/smtp_server.hpp"

namespace sockit {
namespace {

// RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its angle brackets.
constexpr std::size_t kMaxPath = 256;

struct ErrorInfo {
  const char* message;
  const char* reply;
};

ErrorInfo info(SmtpServerErrc e) noexcept {
  switch (e) {
    case SmtpServerErrc::ok:
      return {"success", ""};
    case SmtpServerErrc::command_too_long:
      return {"SMTP command line too long", "500 5.5.6 Command line too long (limit 512 octets)"};
    case SmtpServerErrc::bare_newline:
      return {"bare CR or LF in SMTP input",
              "500 5.5.2 Bare CR or LF in a command line (lines end with CRLF)"};
    case SmtpServerErrc::data_line_too_long:
      return {"message line too long",
              "550 5.5.6 Message refused: a line over 1000 octets (RFC 5321 4.5.3.1.6)"};
    case SmtpServerErrc::message_too_big:
      return {"message too big", "552 5.3.4 Message size exceeds fixed maximum message size"};
    case SmtpServerErrc::bad_path:
      return {"malformed SMTP path", "501 5.5.4 Syntax: MAIL FROM:<address> / RCPT TO:<address>"};
    case SmtpServerErrc::bad_parameter:
      return {"malformed SMTP parameter", "501 5.5.4 Malformed or repeated parameter"};
    case SmtpServerErrc::unknown_parameter:
      return {"unknown SMTP parameter", "555 5.5.4 Unsupported parameter"};
    case SmtpServerErrc::needs_smtputf8:
      return {"non-ASCII address without SMTPUTF8",
              "553 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter"};
  }
  return {"unknown SMTP server error", "500 5.5.0 Error"};
}

class SmtpServerCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "smtp-server"; }
  std::string message(int value) const override {
    return info(static_cast<SmtpServerErrc>(value)).message;
  }
};

char upper(char c) noexcept {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
}

bool starts_with_nocase(std::string_view s, std::string_view upper_prefix) noexcept {
  return s.size() >= upper_prefix.size() &&
         smtp_verb_is(s.substr(0, upper_prefix.size()), upper_prefix);
}

bool parse_u64(std::string_view s, std::uint64_t& out) noexcept {
  if (s.empty() || s.size() > 19) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

// "<address>" at the front of `s` (after the prefix and optional spaces); the rest (parameters)
// is left in `s`.
Result<SmtpPath> take_path(std::string_view& s, bool allow_empty) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  if (s.empty() || s.front() != '<') return fail(SmtpServerErrc::bad_path);
  const auto close = s.find('>');
  if (close == std::string_view::npos || close + 1 > kMaxPath)
    return fail(SmtpServerErrc::bad_path);
  std::string_view address = s.substr(1, close - 1);
  s.remove_prefix(close + 1);
  if (!s.empty() && s.front() != ' ') return fail(SmtpServerErrc::bad_path);
  // A source route ("@relay,@relay:user@host") is ignored, as RFC 5321 §3.3 asks.
  if (address.starts_with('@')) {
    const auto colon = address.find(':');
    if (colon == std::string_view::npos) return fail(SmtpServerErrc::bad_path);
    address.remove_prefix(colon + 1);
  }
  SmtpPath path;
  for (char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f || c == '<' || c == '>') return fail(SmtpServerErrc::bad_path);
    if (u > 0x7f) path.non_ascii = true;
  }
  if (address.empty() && !allow_empty) return fail(SmtpServerErrc::bad_path);
  path.address = address;
  return path;
}

// The ESMTP parameters of MAIL: SIZE=n, BODY=7BIT|8BITMIME, SMTPUTF8; each at most once.
Status parse_mail_parameters(std::string_view s, SmtpPath& path) {
  bool seen_body = false;
  while (!s.empty()) {
    if (s.front() == ' ') {
      s.remove_prefix(1);
      continue;
    }
    const auto space = s.find(' ');
    const std::string_view param = s.substr(0, space);
    s.remove_prefix(space == std::string_view::npos ? s.size() : space);
    const auto eq = param.find('=');
    const std::string_view key = param.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    const bool has_value = eq != std::string_view::npos;
    if (smtp_verb_is(key, "SIZE")) {
      std::uint64_t n = 0;
      if (path.size || !parse_u64(value, n)) return fail(SmtpServerErrc::bad_parameter);
      path.size = n;
    } else if (smtp_verb_is(key, "BODY")) {
      if (seen_body) return fail(SmtpServerErrc::bad_parameter);
      seen_body = true;
      if (smtp_verb_is(value, "7BIT")) {
        path.body = SmtpBody::seven_bit;
      } else if (smtp_verb_is(value, "8BITMIME")) {
        path.body = SmtpBody::eight_bit_mime;
      } else {
        return fail(SmtpServerErrc::bad_parameter);
      }
    } else if (smtp_verb_is(key, "SMTPUTF8")) {
      if (path.smtputf8 || has_value) return fail(SmtpServerErrc::bad_parameter);
      path.smtputf8 = true;
    } else if (key.empty()) {
      return fail(SmtpServerErrc::bad_parameter);
    } else {
      return fail(SmtpServerErrc::unknown_parameter);
    }
  }
  return {};
}

}  // namespace

const std::error_category& smtp_server_category() noexcept {
  static const SmtpServerCategory category;
  return category;
}

std::error_code make_error_code(SmtpServerErrc e) noexcept {
  return {static_cast<int>(e), smtp_server_category()};
}

std::string_view smtp_error_reply(std::error_code ec, bool in_data) noexcept {
  if (ec.category() != smtp_server_category()) return "451 4.3.0 Local error in processing";
  const auto e = static_cast<SmtpServerErrc>(ec.value());
  if (e == SmtpServerErrc::bare_newline && in_data)
    return "550 5.5.2 Message refused: bare CR or LF in the message (lines end with CRLF)";
  return info(e).reply;
}

SmtpCommand split_smtp_command(std::string_view line) noexcept {
  SmtpCommand c;
  const auto space = line.find(' ');
  c.verb = line.substr(0, space);
  if (space == std::string_view::npos) return c;
  c.argument = line.substr(space + 1);
  while (!c.argument.empty() && c.argument.back() == ' ')
    c.argument.remove_suffix(1);
  return c;
}

bool smtp_verb_is(std::string_view verb, std::string_view upper_verb) noexcept {
  if (verb.size() != upper_verb.size()) return false;
  for (std::size_t i = 0; i < verb.size(); ++i) {
    if (upper(verb[i]) != upper_verb[i]) return false;
  }
  return true;
}

Result<SmtpPath> parse_mail_from(std::string_view argument) {
  if (!starts_with_nocase(argument, "FROM:")) return fail(SmtpServerErrc::bad_path);
  argument.remove_prefix(5);
  auto path = take_path(argument, /*allow_empty=*/true);
  if (!path) return path;
  if (auto st = parse_mail_parameters(argument, *path); !st) return fail(st.error());
  if (path->non_ascii && !path->smtputf8) return fail(SmtpServerErrc::needs_smtputf8);
  return path;
}

Result<SmtpPath> parse_rcpt_to(std::string_view argument) {
  if (!starts_with_nocase(argument, "TO:")) return fail(SmtpServerErrc::bad_path);
  argument.remove_prefix(3);
  auto path = take_path(argument, /*allow_empty=*/false);
  if (!path) return path;
  while (!argument.empty() && argument.front() == ' ')
    argument.remove_prefix(1);
  if (!argument.empty()) return fail(SmtpServerErrc::unknown_parameter);
  return path;
}

namespace {

void append_line(std::string& out, int code, char separator, std::string_view text) {
  const std::array<char, 3> digits{static_cast<char>('0' + (code / 100) % 10),
                                   static_cast<char>('0' + (code / 10) % 10),
                                   static_cast<char>('0' + code % 10)};
  out.append(digits.data(), digits.size());
  if (text.empty() && separator == ' ') {
    out.append("\r\n");
    return;
  }
  out.push_back(separator);
  const std::size_t at = out.size();
  out.append(text);
  for (std::size_t i = at; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  }
  out.append("\r\n");
}

}  // namespace

void append_smtp_reply(std::string& out, int code, std::string_view text) {
  append_line(out, code, ' ', text);
}

void append_smtp_reply(std::string& out, int code, std::span<const std::string_view> lines) {
  if (lines.empty()) {
    append_line(out, code, ' ', {});
    return;
  }
  for (std::size_t i = 0; i < lines.size(); ++i)
    append_line(out, code, i + 1 == lines.size() ? ' ' : '-', lines[i]);
}

}  // namespace sockit
