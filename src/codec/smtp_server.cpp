// SmtpServerCodec: the server's framing of an SMTP client's bytes (rules in
// sockit/codec/smtp_server.hpp). Command lines are found by searching for CRLF within the
// command-line limit; a body goes through a byte state machine (line start, dot, dot-CR, middle
// of a line, CR) that unstuffs dots and recognises CRLF.CRLF only, so the result is the same
// however the stream is cut into reads.
#include <cstring>
#include <string>

#include "sockit/codec/smtp_server.hpp"

namespace sockit {
namespace {

// Message tags: kind, then whether more complete messages follow in the same read.
constexpr char kCommand = 'C';
constexpr char kBody = 'D';
constexpr char kError = 'E';
constexpr char kRefused = 'R';
constexpr char kMore = 'M';
constexpr char kLast = 'L';

// A body buffer over this capacity is released after its message (one big message must not
// pin its memory on an idle connection).
constexpr std::size_t kKeepBody = 256 * 1024;

}  // namespace

SmtpEvent decode_smtp_event(std::string_view m) noexcept {
  SmtpEvent e;
  if (m.size() < 2 || (m[1] != kMore && m[1] != kLast)) return e;
  e.last = m[1] == kLast;
  e.text = m.substr(2);
  switch (m[0]) {
    case kCommand:
      e.kind = SmtpEvent::Kind::command;
      break;
    case kBody:
      e.kind = SmtpEvent::Kind::body;
      break;
    case kError:
    case kRefused: {
      int code = 0;
      for (char c : e.text) {
        if (c < '0' || c > '9' || code > 100) return SmtpEvent{};
        code = code * 10 + (c - '0');
      }
      e.kind = m[0] == kError ? SmtpEvent::Kind::error : SmtpEvent::Kind::refused;
      e.error = make_error_code(static_cast<SmtpServerErrc>(code));
      e.text = {};
      break;
    }
    default:
      return SmtpEvent{};
  }
  return e;
}

std::optional<std::string_view> SmtpServerCodec::close_reply(std::error_code why) const noexcept {
  if (why == Errc::idle_timeout) return "421 4.4.2 Idle too long, closing connection\r\n";
  if (why == Errc::partial_timeout)
    return in_data_ ? "421 4.4.2 Message not completed in time, closing connection\r\n"
                    : "421 4.4.2 Command not completed in time, closing connection\r\n";
  if (why == Errc::server_full) return "421 4.3.2 Too many connections, try again later\r\n";
  if (!why) return std::nullopt;
  return "421 4.3.0 Closing connection\r\n";
}

void SmtpServerCodec::begin_data() noexcept {
  in_data_ = true;
  state_ = DataState::line_start;
  line_octets_ = 0;
  data_error_ = SmtpServerErrc::ok;
  if (body_.capacity() > kKeepBody) std::string().swap(body_);
  body_.assign({kBody, kLast});
}

void SmtpServerCodec::discard_input() noexcept {
  discard_ = true;
  rest_.clear();
  skipping_ = false;
  skip_cr_ = false;
}

// Whether the bytes after a message already complete another one (in command mode, which is
// where the codec is after any message: a session that switches to DATA sends its replies at
// once). Skipping a too-long line ends at its CRLF; a line over the limit is an error message.
bool SmtpServerCodec::complete_ahead(std::string_view rest) const noexcept {
  if (skipping_) {
    // The skipped line ends at its CRLF; a bare LF inside it does not end it.
    bool cr = skip_cr_;
    std::size_t i = 0;
    for (; i < rest.size() && !(cr && rest[i] == '\n'); ++i)
      cr = rest[i] == '\r';
    if (i == rest.size()) return false;
    rest.remove_prefix(i + 1);
  }
  return rest.find("\r\n") != std::string_view::npos || rest.size() >= limits_.max_command_line;
}

bool SmtpServerCodec::emit(MessageSink& sink, char kind, std::string_view rest,
                           std::string_view payload) {
  event_.assign({kind, complete_ahead(rest) ? kMore : kLast});
  event_.append(payload);
  return sink.on_message(event_);
}

// Discards a too-long command line up to and including its CRLF; returns the bytes used.
std::size_t SmtpServerCodec::skip_line(std::string_view data) noexcept {
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\n' && skip_cr_) {
      skipping_ = false;
      skip_cr_ = false;
      return i + 1;
    }
    skip_cr_ = data[i] == '\r';
  }
  return data.size();
}

// One command line (or its error) from the front of `data`; returns the bytes used, 0 when the
// line is not complete yet.
std::size_t SmtpServerCodec::scan_command(std::string_view data, MessageSink& sink, bool& stop) {
  if (skipping_) return skip_line(data);
  const std::size_t limit = limits_.max_command_line;
  const auto end = data.substr(0, limit).find("\r\n");
  if (end == std::string_view::npos) {
    if (data.size() < limit) return 0;
    skipping_ = true;
    // The limit's last octet may be the CR of the CRLF that follows it.
    skip_cr_ = data[limit - 1] == '\r';
    const std::size_t used = limit;
    const auto code = std::to_string(static_cast<int>(SmtpServerErrc::command_too_long));
    stop = !emit(sink, kError, data.substr(used), code);
    return used;
  }
  const std::string_view line = data.substr(0, end);
  const std::size_t used = end + 2;
  if (line.find_first_of("\r\n") != std::string_view::npos) {
    const auto code = std::to_string(static_cast<int>(SmtpServerErrc::bare_newline));
    stop = !emit(sink, kError, data.substr(used), code);
  } else {
    stop = !emit(sink, kCommand, data.substr(used), line);
  }
  return used;
}

void SmtpServerCodec::flag(SmtpServerErrc e) noexcept {
  // The first problem is the one reported; storing stops (the message will be refused).
  if (data_error_ == SmtpServerErrc::ok) data_error_ = e;
}

void SmtpServerCodec::body_append(std::string_view bytes) noexcept {
  if (data_error_ != SmtpServerErrc::ok) return;
  if (body_.size() - 2 + bytes.size() > limits_.max_message) {
    flag(SmtpServerErrc::message_too_big);
    return;
  }
  body_.append(bytes);
}

// One body octet through the state machine (everything but the runs of ordinary octets in the
// middle of a line, which scan_data copies in bulk).
void SmtpServerCodec::data_byte(char c) noexcept {
  switch (state_) {
    case DataState::line_start:
      if (c == '.') {
        ++line_octets_;
        state_ = DataState::dot;
        return;
      }
      break;
    case DataState::dot:
      if (c == '\r') {
        state_ = DataState::dot_cr;
        return;
      }
      break;  // a stuffed dot: dropped, the octet after it starts the text
    case DataState::dot_cr:
      if (c == '\n') return;  // the caller sees the end (it checks dot_cr + LF first)
      flag(SmtpServerErrc::bare_newline);
      break;
    case DataState::cr:
      if (c == '\n') {
        body_append("\r\n");
        state_ = DataState::line_start;
        line_octets_ = 0;
        return;
      }
      flag(SmtpServerErrc::bare_newline);  // a CR not followed by LF
      body_append("\r");
      ++line_octets_;
      break;
    case DataState::mid:
      break;
  }
  state_ = DataState::mid;
  if (c == '\r') {
    state_ = DataState::cr;
    return;
  }
  if (c == '\n') flag(SmtpServerErrc::bare_newline);  // a line end the body does not accept
  ++line_octets_;
  if (line_octets_ + 2 > limits_.max_text_line) flag(SmtpServerErrc::data_line_too_long);
  body_append(std::string_view(&c, 1));
}

// Feeds body octets until CRLF.CRLF; returns the bytes used (all of `data` when the body goes
// on). At the end emits the body or, when a rule was broken, the refusal.
std::size_t SmtpServerCodec::scan_data(std::string_view data, MessageSink& sink, bool& stop) {
  std::size_t i = 0;
  while (i < data.size()) {
    if (state_ == DataState::dot_cr && data[i] == '\n') {
      ++i;
      in_data_ = false;
      state_ = DataState::line_start;
      if (data_error_ != SmtpServerErrc::ok) {
        stop = !emit(sink, kRefused, data.substr(i), std::to_string(static_cast<int>(data_error_)));
      } else {
        body_[1] = complete_ahead(data.substr(i)) ? kMore : kLast;
        stop = !sink.on_message(body_);
      }
      if (body_.capacity() > kKeepBody) std::string().swap(body_);
      return i;
    }
    if (state_ == DataState::mid) {
      // The common case: copy the run of ordinary octets up to the next CR or LF at once.
      std::size_t j = i;
      while (j < data.size() && data[j] != '\r' && data[j] != '\n')
        ++j;
      if (j > i && data_error_ == SmtpServerErrc::ok &&
          (line_octets_ + (j - i) + 2 > limits_.max_text_line ||
           body_.size() - 2 + (j - i) > limits_.max_message)) {
        // A limit breaks inside this run: octet by octet, so that the limit reported is the one
        // broken first, as with any other split of the input (found by fuzz_smtp_command).
        for (; i < j; ++i)
          data_byte(data[i]);
        continue;
      }
      if (j > i) {
        line_octets_ += j - i;
        if (line_octets_ + 2 > limits_.max_text_line) flag(SmtpServerErrc::data_line_too_long);
        body_append(data.substr(i, j - i));
        i = j;
        continue;
      }
    }
    data_byte(data[i]);
    ++i;
  }
  return i;
}

Status SmtpServerCodec::decode(std::string_view bytes, MessageSink& sink) {
  discard_ = false;
  std::string_view data = bytes;
  const bool held = !rest_.empty();
  if (held) {
    rest_.append(bytes);
    data = rest_;
  }
  std::size_t pos = 0;
  bool stop = false;
  while (pos < data.size() && !stop && !discard_) {
    std::size_t used = 0;
    if (in_data_) {
      used = scan_data(data.substr(pos), sink, stop);
    } else {
      used = scan_command(data.substr(pos), sink, stop);
      if (used == 0) break;  // an incomplete command line
    }
    pos += used;
  }
  if (stop || discard_) {
    rest_.clear();
    if (stop) in_data_ = false;
    return {};
  }
  // In a body every byte is consumed; only a command line's start is held (under the limit).
  if (held) {
    rest_.erase(0, pos);
  } else {
    rest_.assign(data.substr(pos));
  }
  return {};
}

Status SmtpServerCodec::finish(MessageSink&) {
  rest_.clear();
  in_data_ = false;
  skipping_ = false;
  return {};
}

}  // namespace sockit
