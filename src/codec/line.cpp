#include "sockit/codec/line.hpp"

#include <cerrno>
#include <limits>

namespace sockit {

LineDecoder::LineDecoder(std::size_t max_line, LineMode mode)
    : buffer_(0), max_line_(max_line), mode_(mode) {}

void LineDecoder::feed(std::span<const std::byte> bytes) {
  if (error_) return;
  // Drop the frame handed out last time first, so the append can reuse its space.
  buffer_.consume(consumed_on_next_);
  consumed_on_next_ = 0;
  buffer_.append(bytes);
}

Decoded LineDecoder::fail_with(Errc e) {
  error_ = make_error_code(e);
  // The buffered bytes can never be decoded now; free the memory they hold.
  buffer_.consume_all();
  consumed_on_next_ = 0;
  scanned_ = 0;
  return Decoded::failure(error_);
}

Decoded LineDecoder::next() {
  if (error_) return Decoded::failure(error_);
  buffer_.consume(consumed_on_next_);
  consumed_on_next_ = 0;
  std::string_view data = buffer_.view();
  std::size_t nl = buffer_.find_byte('\n', scanned_);
  if (nl == Buffer::npos) {
    scanned_ = data.size();
    std::size_t content = data.size();
    // A trailing '\r' may be the first half of "\r\n": not content until proven otherwise.
    if (mode_ != LineMode::lf && content != 0 && data.back() == '\r') --content;
    if (content > max_line_) return fail_with(Errc::line_too_long);
    return Decoded::more();
  }
  const bool has_cr = mode_ != LineMode::lf && nl != 0 && data[nl - 1] == '\r';
  const std::size_t end = has_cr ? nl - 1 : nl;
  // Length first: fed byte by byte, the content before this '\n' would already have failed
  // with line_too_long before the '\n' arrived, so that is the error of the earliest
  // offending byte whatever the chunking. Only then can a bare '\n' be the first fault.
  if (end > max_line_) return fail_with(Errc::line_too_long);
  if (!has_cr && mode_ == LineMode::crlf) return fail_with(Errc::malformed_frame);
  consumed_on_next_ = nl + 1;
  scanned_ = 0;
  return Decoded::of(data.substr(0, end));
}

void LineDecoder::reset() noexcept {
  buffer_.consume_all();
  scanned_ = 0;
  consumed_on_next_ = 0;
  error_.clear();
}

Decoded split_delimited(std::string_view data, std::string_view delimiter, std::size_t max,
                        std::size_t& scanned) noexcept {
  if (delimiter.empty()) return Decoded::failure(sys_error(EINVAL));
  constexpr std::size_t kMaxSize = std::numeric_limits<std::size_t>::max();
  // Once `limit` bytes are held without a delimiter, the line cannot fit in `max`.
  const std::size_t limit = max > kMaxSize - delimiter.size() ? kMaxSize : max + delimiter.size();
  const std::string_view window = data.substr(0, limit);
  // A delimiter may straddle the end of the previous search: rescan its last size()-1 bytes.
  const std::size_t overlap = delimiter.size() - 1;
  const std::size_t from = scanned > overlap ? scanned - overlap : 0;
  const std::size_t pos = window.find(delimiter, from);
  if (pos != std::string_view::npos) {
    scanned = 0;
    return Decoded::of(window.substr(0, pos));
  }
  if (window.size() >= limit) return Decoded::failure(make_error_code(Errc::line_too_long));
  scanned = window.size();
  return Decoded::more();
}

namespace {

Status check_line(std::string_view line, std::size_t max_line) {
  if (line.find('\n') != std::string_view::npos) return fail(Errc::malformed_frame);
  if (line.size() > max_line) return fail(Errc::line_too_long);
  return {};
}

std::string_view ending(LineMode mode) {
  return mode == LineMode::lf ? "\n" : "\r\n";
}

}  // namespace

Status encode_line(Buffer& out, std::string_view line, LineMode mode, std::size_t max_line) {
  if (auto ok = check_line(line, max_line); !ok) return ok;
  out.ensure_writable(line.size() + 2);
  out.append(line);
  out.append(ending(mode));
  return {};
}

Status encode_line(std::string& out, std::string_view line, LineMode mode, std::size_t max_line) {
  if (auto ok = check_line(line, max_line); !ok) return ok;
  out.append(line);
  out.append(ending(mode));
  return {};
}

}  // namespace sockit
