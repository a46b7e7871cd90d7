#include "sockit/codec/ftp_reply.hpp"

#include <utility>

namespace sockit {

std::string FtpReply::text() const {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i != 0) out += '\n';
    out += lines[i];
  }
  return out;
}

std::optional<FtpReplyStart> parse_reply_start(std::string_view line) noexcept {
  if (line.size() < 3) return std::nullopt;
  if (line[0] < '1' || line[0] > '5') return std::nullopt;
  if (line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9') return std::nullopt;
  FtpReplyStart start;
  start.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (line.size() == 3) return start;
  if (line[3] != ' ' && line[3] != '-') return std::nullopt;
  start.continues = line[3] == '-';
  start.text = line.substr(4);
  return start;
}

bool ftp_command_safe(std::string_view text) noexcept {
  return text.find_first_of("\r\n") == std::string_view::npos;
}

FtpReplyDecoder::FtpReplyDecoder(std::size_t max_line, std::size_t max_lines)
    : lines_(max_line, LineMode::crlf_or_lf), max_lines_(max_lines == 0 ? 1 : max_lines) {}

void FtpReplyDecoder::reset() noexcept {
  lines_.reset();
  partial_ = {};
  pending_bytes_ = 0;
  error_ = {};
}

Result<std::optional<FtpReply>> FtpReplyDecoder::next() {
  if (error_) return fail(error_);
  for (;;) {
    const std::size_t before = lines_.buffered();
    Decoded d = lines_.next();
    if (d.needs_more()) return std::optional<FtpReply>{};
    if (d.failed()) {
      error_ = d.error;
      return fail(error_);
    }
    const std::string_view line = d.frame;
    const std::size_t used = before - lines_.buffered();  // the line and its delimiter
    if (partial_.code == 0) {
      auto start = parse_reply_start(line);
      if (!start) {
        error_ = make_error_code(Errc::malformed_frame);
        return fail(error_);
      }
      FtpReply reply;
      reply.code = start->code;
      reply.lines.emplace_back(start->text);
      if (!start->continues) return std::optional<FtpReply>(std::move(reply));
      partial_ = std::move(reply);
      pending_bytes_ = used;
      continue;
    }
    // Inside a multi-line reply: only "ddd " (or a bare "ddd") with the same code ends it.
    auto start = parse_reply_start(line);
    const bool same = start && start->code == partial_.code;
    if (partial_.lines.size() >= max_lines_) {
      error_ = make_error_code(Errc::frame_too_long);
      return fail(error_);
    }
    if (same && !start->continues) {
      partial_.lines.emplace_back(start->text);
      FtpReply done = std::move(partial_);
      partial_ = {};
      pending_bytes_ = 0;
      return std::optional<FtpReply>(std::move(done));
    }
    partial_.lines.emplace_back(same ? start->text : line);
    pending_bytes_ += used;
  }
}

}  // namespace sockit
