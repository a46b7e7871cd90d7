#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "exit_codes.hpp"
#include "ftp_cli.hpp"
#include "output.hpp"
#include "sockit/ftp/error.hpp"

namespace sockit::cli {
namespace {

char type_letter(FtpEntryType t) {
  switch (t) {
    case FtpEntryType::file:
      return '-';
    case FtpEntryType::directory:
      return 'd';
    case FtpEntryType::link:
      return 'l';
    case FtpEntryType::other:
      return '?';
    case FtpEntryType::unknown:
      break;
  }
  return ' ';
}

std::string format_time(const std::optional<FtpTime>& t) {
  if (!t) return "";
  std::string out = t->year != 0 ? fmt::format("{:04}-{:02}-{:02}", t->year, t->month, t->day)
                                 : fmt::format("{:02}-{:02}", t->month, t->day);
  if (t->has_time) out += fmt::format(" {:02}:{:02}", t->hour, t->minute);
  if (t->has_time && t->second != 0) out += fmt::format(":{:02}", t->second);
  return out;
}

// What a reply code means for someone at the terminal.
std::string_view reply_cause(int code) {
  switch (code) {
    case 530:
      return "wrong user name or password, or this user may not log in";
    case 550:
      return "no such file or directory, or no permission";
    case 553:
      return "the file name is not allowed, or no permission to write it";
    case 552:
      return "the server's storage is full or the file exceeds its limit";
    case 450:
      return "the file is busy or temporarily unavailable";
    case 425:
      return "the server could not open the data connection: a firewall or NAT in between; try "
             "the other mode (passive by default, -P - for active)";
    case 426:
      return "the data connection closed during the transfer: a firewall, or the server "
             "ended it";
    case 421:
      return "the server is closing the session (too many users, or idle too long)";
    default:
      return "";
  }
}

int exit_code_for_ftp(std::error_code ec) {
  if (ec.category() != ftp::ftp_category()) return exit_code_for(ec);
  switch (static_cast<ftp::FtpErrc>(ec.value())) {
    case ftp::FtpErrc::login_denied:
      return kExitLoginDenied;
    case ftp::FtpErrc::file_unavailable:
      return kExitRemoteFile;
    case ftp::FtpErrc::short_transfer:
      return kExitPartial;
    case ftp::FtpErrc::tls_refused:
      return kExitTls;
    default:
      return kExitNetwork;
  }
}

}  // namespace

std::string format_reply_lines(const FtpReply& r) {
  std::string out;
  for (std::size_t i = 0; i < r.lines.size(); ++i) {
    const bool first = i == 0, last = i + 1 == r.lines.size();
    if (first || last) {
      out += fmt::format("< {}{}{}\n", r.code, last ? ' ' : '-', r.lines[i]);
    } else {
      out += "< " + r.lines[i] + "\n";
    }
  }
  return out;
}

std::string format_listing(const std::vector<FtpEntry>& entries) {
  std::string out;
  for (const auto& e : entries) {
    if (!e.parsed) {
      out += one_line(e.raw) + "\n";
      continue;
    }
    out += fmt::format("{} {:>12} {:<16} {}", type_letter(e.type),
                       e.size ? std::to_string(*e.size) : std::string("-"), format_time(e.time),
                       one_line(e.name));
    if (!e.link_target.empty()) out += " -> " + one_line(e.link_target);
    out += "\n";
  }
  return out;
}

nlohmann::json listing_json(const std::vector<FtpEntry>& entries) {
  auto list = nlohmann::json::array();
  for (const auto& e : entries) {
    nlohmann::json j{{"parsed", e.parsed}, {"raw", e.raw}};
    if (e.parsed) {
      j["name"] = e.name;
      j["type"] = std::string(to_string(e.type));
      if (e.size) j["size"] = *e.size;
      if (e.time) j["time"] = format_time(e.time);
      if (e.time && to_unix_seconds(*e.time)) j["unix_time"] = *to_unix_seconds(*e.time);
      if (!e.link_target.empty()) j["target"] = e.link_target;
      if (!e.facts.empty()) {
        nlohmann::json facts = nlohmann::json::object();
        for (const auto& [k, v] : e.facts)
          facts[k] = v;
        j["facts"] = facts;
      }
    }
    list.push_back(std::move(j));
  }
  return list;
}

int report_ftp_error(std::error_code ec, std::string_view what, const ftp::Client* client,
                     int port) {
  const int code = exit_code_for_ftp(ec);
  if (ec == Errc::malformed_frame || ec == Errc::line_too_long || ec == Errc::frame_too_long) {
    return report_failure(
        fmt::format("{}: the server's answer is not an FTP reply ({})", what, ec.message()), code);
  }
  if (ec.category() != ftp::ftp_category()) {
    // report_error picks the code from the class; keep it (it equals exit_code_for_ftp).
    return report_error(ec, what, port);
  }
  std::string line;
  const FtpReply* r = client != nullptr ? &client->last_reply() : nullptr;
  if (ec == ftp::FtpErrc::short_transfer && client != nullptr && client->expected()) {
    line = fmt::format(
        "{}: the transfer ended short: {} of {} bytes arrived, though the server "
        "answered {}",
        what, client->transferred(), *client->expected(), client->last_reply().code);
  } else if (r != nullptr && r->code != 0) {
    line = fmt::format("{}: the server answered {} {}", what, r->code,
                       r->lines.empty() ? std::string() : r->lines.back());
    if (auto cause = reply_cause(r->code); !cause.empty()) line += fmt::format(" ({})", cause);
  } else {
    line = fmt::format("{}: {}", what, ec.message());
  }
  return report_failure(line, code);
}

FtpProgress::FtpProgress(bool enabled) : enabled_(enabled && ::isatty(2) == 1) {}

void FtpProgress::update(std::uint64_t bytes, std::optional<std::uint64_t> total) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (!started_) {  // the rate counts from the first data, not from the login
    started_ = true;
    start_ = now;
  } else if (now - last_ < std::chrono::milliseconds(250)) {
    return;
  }
  draw(bytes, total, now);
}

void FtpProgress::done(std::uint64_t bytes, std::optional<std::uint64_t> total) {
  if (!enabled_) return;
  const auto now = Clock::now();
  if (!started_) start_ = now;
  draw(bytes, total, now);
  std::fputs("\n", stderr);
}

void FtpProgress::draw(std::uint64_t bytes, std::optional<std::uint64_t> total,
                       Clock::time_point now) {
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double mb = static_cast<double>(bytes) / 1e6;
  std::string line = fmt::format("\r{:10.1f} MB", mb);
  if (total && *total > 0)
    line += fmt::format(" of {:.1f} MB {:3.0f}%", static_cast<double>(*total) / 1e6,
                        100.0 * static_cast<double>(bytes) / static_cast<double>(*total));
  if (secs > 0) line += fmt::format("  {:8.1f} MB/s ", mb / secs);
  std::fputs(line.c_str(), stderr);
}

}  // namespace sockit::cli
