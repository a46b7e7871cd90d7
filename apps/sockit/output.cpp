#include "output.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "sockit/services/services.hpp"

namespace sockit::cli {

namespace {

// Where to cut `text` near `limit` without splitting a UTF-8 sequence (continuation bytes are
// 10xxxxxx).
std::size_t cut_point(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text.size();
  std::size_t at = limit;
  while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xc0U) == 0x80U)
    --at;
  return at;
}

}  // namespace

std::string quote_arg(std::string_view text) {
  const std::size_t keep = cut_point(text, kEchoLimit);
  std::string out = "'" + visible_text(text.substr(0, keep));
  if (keep == text.size()) return out + "'";
  return out + fmt::format("...' ({} bytes)", text.size());
}

std::string show_arg(std::string_view text) {
  const bool plain = !text.empty() && text.size() <= kEchoLimit &&
                     std::all_of(text.begin(), text.end(), [](char c) {
                       return c > ' ' && c < 0x7f && c != '\'' && c != '"' && c != '\\';
                     });
  return plain ? std::string(text) : quote_arg(text);
}

std::string one_line(std::string_view message) {
  const std::size_t keep = cut_point(message, kLineLimit);
  std::string out = visible_text(message.substr(0, keep));
  if (keep != message.size()) out += "...";
  return out;
}

void print_json(const nlohmann::json& doc) {
  print(doc.dump(2) + "\n");
}

void print(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

Status write_all_fd(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(sys_error());
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::string format_duration(std::chrono::nanoseconds d) {
  const double us = static_cast<double>(d.count()) / 1000.0;
  if (us < 1000.0) return fmt::format("{:.0f} us", us);
  if (us < 1000.0 * 1000.0) return fmt::format("{:.1f} ms", us / 1000.0);
  return fmt::format("{:.2f} s", us / 1e6);
}

std::string HexDump::rows(std::string_view data) {
  constexpr std::size_t kRow = 16;
  std::string out;
  for (std::size_t start = 0; start < data.size(); start += kRow) {
    const std::string_view row = data.substr(start, kRow);
    std::string hex, text;
    for (std::size_t i = 0; i < kRow; ++i) {
      if (i < row.size()) {
        const auto byte = static_cast<unsigned char>(row[i]);
        hex += fmt::format("{:02x} ", byte);
        text += (byte >= 0x20 && byte < 0x7f) ? static_cast<char>(byte) : '.';
      } else {
        hex += "   ";
      }
      if (i == 7) hex += ' ';
    }
    out += fmt::format("{} {:08x}  {} |{}|\n", marker_, offset_ + start, hex, text);
  }
  offset_ += data.size();
  return out;
}

}  // namespace sockit::cli
