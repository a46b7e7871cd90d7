// The SMTP mailbox's storage side: unique ids, the Received: header, the Maildir writer (tmp/,
// then an atomic rename into new/, so a reader never sees half a message), log lines, base64.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "smtp_internal.hpp"

namespace sockit::smtp_service {
namespace {

std::atomic<std::uint64_t> g_sequence{0};

// The host part of a Maildir name: '/' and ':' are not allowed in it (the Maildir convention
// writes them as \057 and \072).
std::string maildir_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  std::string out;
  for (const char* p = name; *p != '\0'; ++p) {
    if (*p == '/') {
      out += "\\057";
    } else if (*p == ':') {
      out += "\\072";
    } else {
      out += *p;
    }
  }
  return out.empty() ? "localhost" : out;
}

// A client-chosen name as a Received: header may carry it: printable ASCII without spaces,
// parentheses or backslashes (which would end its comment early).
std::string header_safe(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x21 || u > 0x7e || c == '(' || c == ')' || c == '\\') ? '?' : c;
  }
  return out.empty() ? "unknown" : out;
}

Status make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return fail(sys_error());
    if (!S_ISDIR(st.st_mode)) return fail(std::make_error_code(std::errc::not_a_directory));
    return {};
  }
  return fail(sys_error());
}

void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", u);
      out += esc;
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

std::string new_id() {
  static const std::string host = maildir_host();
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  const auto seq = g_sequence.fetch_add(1, std::memory_order_relaxed);
  char head[96];
  std::snprintf(head, sizeof head, "%lld.M%06lldP%ldQ%llu.", static_cast<long long>(us / 1000000),
                static_cast<long long>(us % 1000000), static_cast<long>(::getpid()),
                static_cast<unsigned long long>(seq));
  return head + host;
}

std::string received_header(const Envelope& e, std::string_view hostname) {
  std::string type = e.esmtp ? "ESMTP" : "SMTP";
  if (e.esmtp && e.tls) type += 'S';
  if (e.esmtp && !e.auth_user.empty()) type += 'A';
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string h = "Received: from " + header_safe(e.helo) + " (" + header_safe(e.remote) +
                  ")\r\n\tby " + std::string(hostname) + " (sockit) with " + type + " id " + e.id;
  // "for" names a single recipient only: a list would tell each one who else got the message.
  if (e.to.size() == 1) h += "\r\n\tfor <" + header_safe(e.to.front()) + ">";
  h += "; ";
  h += date;
  h += "\r\n";
  return h;
}

Status prepare_maildir(const std::string& dir) {
  for (const std::string& d : {dir, dir + "/tmp", dir + "/new", dir + "/cur"}) {
    if (auto st = make_dir(d); !st) return st;
  }
  return {};
}

Result<std::string> store_in_maildir(const std::string& dir, const std::string& id,
                                     std::string_view header, std::string_view body) {
  const std::string tmp = dir + "/tmp/" + id;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(sys_error());
  std::error_code failed;
  for (std::string_view part : {header, body}) {
    while (!part.empty() && !failed) {
      const ssize_t n = ::write(fd, part.data(), part.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed = n < 0 ? sys_error() : std::make_error_code(std::errc::io_error);
        break;
      }
      part.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  if (::close(fd) != 0 && !failed) failed = sys_error();
  const std::string final_path = dir + "/new/" + id;
  if (!failed && ::rename(tmp.c_str(), final_path.c_str()) != 0) failed = sys_error();
  if (failed) {
    ::unlink(tmp.c_str());
    return fail(failed);
  }
  return final_path;
}

std::string log_line(const Envelope& e, std::size_t size, std::string_view stored,
                     SmtpLogFormat format) {
  std::string out;
  if (format == SmtpLogFormat::json) {
    out = "{\"id\":";
    json_string(out, e.id);
    out += ",\"remote\":";
    json_string(out, e.remote);
    out += ",\"helo\":";
    json_string(out, e.helo);
    out += ",\"from\":";
    json_string(out, e.from);
    out += ",\"to\":[";
    for (std::size_t i = 0; i < e.to.size(); ++i) {
      if (i > 0) out += ',';
      json_string(out, e.to[i]);
    }
    out += "],\"size\":" + std::to_string(size) + ",\"tls\":" + (e.tls ? "true" : "false");
    out += ",\"auth\":";
    if (e.auth_user.empty()) {
      out += "null";
    } else {
      json_string(out, e.auth_user);
    }
    out += ",\"stored\":";
    if (stored.empty()) {
      out += "null";
    } else {
      json_string(out, stored);
    }
    out += '}';
    return out;
  }
  out = e.remote + " from=<" + e.from + "> to=";
  for (std::size_t i = 0; i < e.to.size(); ++i)
    out += (i > 0 ? ",<" : "<") + e.to[i] + ">";
  out += " size=" + std::to_string(size);
  if (e.tls) out += " tls";
  if (!e.auth_user.empty()) out += " auth=" + e.auth_user;
  out += " id=" + e.id;
  if (!stored.empty()) out += " stored=" + std::string(stored);
  return out;
}

}  // namespace sockit::smtp_service
