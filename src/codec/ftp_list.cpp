#include "sockit/codec/ftp_list.hpp"

#include <array>
#include <cctype>
#include <charconv>

namespace sockit {

namespace {

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

template <class T>
bool number(std::string_view s, T& out) noexcept {
  if (!all_digits(s)) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

struct Token {
  std::string_view text;
  std::size_t end = 0;  // offset just past the token in the line
};

// Splits on runs of spaces, up to `max` tokens; remembers where each ended.
std::vector<Token> tokens(std::string_view line, std::size_t max) {
  std::vector<Token> out;
  std::size_t at = 0;
  while (out.size() < max) {
    while (at < line.size() && line[at] == ' ')
      ++at;
    if (at >= line.size()) break;
    std::size_t end = line.find(' ', at);
    if (end == std::string_view::npos) end = line.size();
    out.push_back({line.substr(at, end - at), end});
    at = end;
  }
  return out;
}

int month_of(std::string_view s) noexcept {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (s.size() != 3) return 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    bool same = true;
    for (std::size_t j = 0; j < 3; ++j)
      same = same && std::tolower(static_cast<unsigned char>(s[j])) == kMonths[i][j];
    if (same) return static_cast<int>(i) + 1;
  }
  return 0;
}

bool hh_mm(std::string_view s, int& h, int& m) noexcept {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  return number(s.substr(0, colon), h) && number(s.substr(colon + 1), m) && h < 24 && m < 60 &&
         s.size() - colon - 1 == 2;
}

// The name begins one space after the time token (more spaces are part of the name).
std::string_view name_after(std::string_view line, std::size_t end) {
  return end + 1 <= line.size() ? line.substr(end + 1) : std::string_view{};
}

bool parse_unix(std::string_view line, FtpEntry& e) {
  if (line.size() < 10) return false;
  switch (line[0]) {
    case '-':
      e.type = FtpEntryType::file;
      break;
    case 'd':
      e.type = FtpEntryType::directory;
      break;
    case 'l':
      e.type = FtpEntryType::link;
      break;
    case 'b':
    case 'c':
    case 'p':
    case 's':
      e.type = FtpEntryType::other;
      break;
    default:
      return false;
  }
  const auto t = tokens(line, 9);
  // Find "<size> <Mon> <day> <HH:MM|YYYY>" after the permissions and link count.
  for (std::size_t i = 3; i + 3 < t.size() + 1 && i + 2 < t.size(); ++i) {
    const int month = month_of(t[i].text);
    if (month == 0) continue;
    std::uint64_t size = 0;
    int day = 0;
    if (!number(t[i - 1].text, size) || !number(t[i + 1].text, day) || day < 1 || day > 31)
      continue;
    FtpTime time;
    time.month = month;
    time.day = day;
    const auto last = t[i + 2].text;
    if (hh_mm(last, time.hour, time.minute)) {
      time.has_time = true;
    } else if (!(last.size() == 4 && number(last, time.year))) {
      continue;
    }
    std::string_view name = name_after(line, t[i + 2].end);
    if (name.empty()) return false;
    if (e.type == FtpEntryType::link) {
      const auto arrow = name.find(" -> ");
      if (arrow != std::string_view::npos) {
        e.link_target = std::string(name.substr(arrow + 4));
        name = name.substr(0, arrow);
      }
    }
    e.name = std::string(name);
    e.size = size;
    e.time = time;
    return true;
  }
  return false;
}

bool parse_dos(std::string_view line, FtpEntry& e) {
  const auto t = tokens(line, 3);
  if (t.size() < 3) return false;
  // Date: MM-DD-YY or MM-DD-YYYY.
  const auto date = t[0].text;
  if (date.size() != 8 && date.size() != 10) return false;
  FtpTime time;
  if (date[2] != '-' || date[5] != '-' || !number(date.substr(0, 2), time.month) ||
      !number(date.substr(3, 2), time.day) || !number(date.substr(6), time.year))
    return false;
  if (time.month < 1 || time.month > 12 || time.day < 1 || time.day > 31) return false;
  if (date.size() == 8) time.year += time.year < 70 ? 2000 : 1900;
  auto clock = t[1].text;  // "12:00PM" or "12:00"
  bool pm = false, am = false;
  if (clock.size() > 2) {
    const auto suffix = clock.substr(clock.size() - 2);
    pm = suffix == "PM" || suffix == "pm";
    am = suffix == "AM" || suffix == "am";
    if (pm || am) clock.remove_suffix(2);
  }
  if (!hh_mm(clock, time.hour, time.minute)) return false;
  if ((pm || am) && (time.hour < 1 || time.hour > 12)) return false;
  if (pm && time.hour != 12) time.hour += 12;
  if (am && time.hour == 12) time.hour = 0;
  time.has_time = true;
  const auto what = t[2].text;
  std::uint64_t size = 0;
  if (what == "<DIR>") {
    e.type = FtpEntryType::directory;
  } else if (number(what, size)) {
    e.type = FtpEntryType::file;
    e.size = size;
  } else {
    return false;
  }
  std::size_t at = t[2].end;
  while (at < line.size() && line[at] == ' ')
    ++at;
  if (at >= line.size()) return false;
  e.name = std::string(line.substr(at));
  e.time = time;
  return true;
}

}  // namespace

std::string_view to_string(FtpEntryType t) noexcept {
  switch (t) {
    case FtpEntryType::file:
      return "file";
    case FtpEntryType::directory:
      return "directory";
    case FtpEntryType::link:
      return "link";
    case FtpEntryType::other:
      return "other";
    case FtpEntryType::unknown:
      break;
  }
  return "unknown";
}

FtpEntry parse_list_line(std::string_view line) {
  FtpEntry e;
  e.raw = std::string(line);
  if (parse_unix(line, e) || parse_dos(line, e)) {
    e.parsed = true;
    return e;
  }
  FtpEntry unparsed;
  unparsed.raw = std::string(line);
  return unparsed;
}

std::optional<FtpTime> parse_ftp_timeval(std::string_view s) noexcept {
  if (s.size() > 14 && s[14] == '.' && s.size() > 15 && all_digits(s.substr(15)))
    s = s.substr(0, 14);
  if (s.size() != 14 || !all_digits(s)) return std::nullopt;
  FtpTime t;
  (void)number(s.substr(0, 4), t.year);
  (void)number(s.substr(4, 2), t.month);
  (void)number(s.substr(6, 2), t.day);
  (void)number(s.substr(8, 2), t.hour);
  (void)number(s.substr(10, 2), t.minute);
  (void)number(s.substr(12, 2), t.second);
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31 || t.hour > 23 || t.minute > 59 ||
      t.second > 60 || t.year == 0)
    return std::nullopt;
  t.has_time = true;
  return t;
}

std::optional<std::int64_t> to_unix_seconds(const FtpTime& t) noexcept {
  if (t.year == 0 || t.month < 1 || t.month > 12) return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm, proleptic Gregorian).
  const std::int64_t y = t.year - (t.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (t.month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + t.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}

Result<FtpEntry> parse_mlsx_line(std::string_view line) {
  // RFC 3659: facts, each "name=value;", then one space, then the name.
  const auto sep = line.find(' ');
  if (sep == std::string_view::npos || sep + 1 >= line.size()) return fail(Errc::malformed_frame);
  FtpEntry e;
  e.raw = std::string(line);
  e.name = std::string(line.substr(sep + 1));
  std::string_view facts = line.substr(0, sep);
  while (!facts.empty()) {
    const auto semi = facts.find(';');
    if (semi == std::string_view::npos) return fail(Errc::malformed_frame);
    const auto fact = facts.substr(0, semi);
    facts.remove_prefix(semi + 1);
    const auto eq = fact.find('=');
    if (eq == std::string_view::npos || eq == 0) return fail(Errc::malformed_frame);
    std::string name(fact.substr(0, eq));
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto value = fact.substr(eq + 1);
    std::string lower(value);
    for (auto& c : lower)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "type") {
      if (lower == "file")
        e.type = FtpEntryType::file;
      else if (lower == "dir" || lower == "cdir" || lower == "pdir")
        e.type = FtpEntryType::directory;
      else if (lower.starts_with("os.unix=symlink") || lower.starts_with("os.unix=slink"))
        e.type = FtpEntryType::link;
      else
        e.type = FtpEntryType::other;
    } else if (name == "size") {
      std::uint64_t size = 0;
      if (number(value, size)) e.size = size;
    } else if (name == "modify") {
      e.time = parse_ftp_timeval(value);
    }
    e.facts.emplace_back(std::move(name), std::string(value));
  }
  e.parsed = true;
  return e;
}

}  // namespace sockit
