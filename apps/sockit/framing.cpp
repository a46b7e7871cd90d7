#include "framing.hpp"

namespace sockit::cli {

std::string FrameEncoder::raw(std::string_view chunk) {
  if (!crlf_) return std::string(chunk);
  std::string out;
  out.reserve(chunk.size() + chunk.size() / 16);
  for (char c : chunk) {
    if (c == '\n' && !after_cr_) out += '\r';  // input that already ends lines in CRLF stays as is
    out += c;
    after_cr_ = c == '\r';
  }
  return out;
}

Status FrameEncoder::encode_one(std::string& out, std::string_view line) const {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (frame_ == Frame::line) {
    return encode_line(out, line, crlf_ ? LineMode::crlf : LineMode::lf, kMaxFrameLine);
  }
  return encode_frame(out, line, kMaxFramePayload);
}

Result<std::string> FrameEncoder::encode(std::string_view chunk, bool eof) {
  if (frame_ == Frame::raw) return raw(chunk);
  partial_.append(chunk);
  std::string out;
  std::size_t start = 0;
  for (std::size_t nl = partial_.find('\n'); nl != std::string::npos;
       nl = partial_.find('\n', start)) {
    if (auto st = encode_one(out, std::string_view(partial_).substr(start, nl - start)); !st)
      return fail(st.error());
    start = nl + 1;
  }
  partial_.erase(0, start);
  if (eof && !partial_.empty()) {
    if (auto st = encode_one(out, partial_); !st) return fail(st.error());
    partial_.clear();
  }
  // A line that is still growing past the maximum will never be sendable: say so now.
  const std::size_t limit = frame_ == Frame::line ? kMaxFrameLine : kMaxFramePayload;
  if (partial_.size() > limit + 1) {
    return fail(frame_ == Frame::line ? Errc::line_too_long : Errc::frame_too_long);
  }
  return out;
}

FrameDecoder::FrameDecoder(Frame frame) : frame_(frame) {
  if (frame == Frame::line) lines_.emplace(kMaxFrameLine, LineMode::crlf_or_lf);
  if (frame == Frame::len32) frames_.emplace(kMaxFramePayload);
}

Result<std::string> FrameDecoder::decode(std::string_view bytes) {
  if (frame_ == Frame::raw) return std::string(bytes);
  std::string out;
  auto drain = [&out](auto& decoder) -> Status {
    for (Decoded d = decoder.next(); !d.needs_more(); d = decoder.next()) {
      if (d.failed()) return fail(d.error);
      out.append(d.frame);
      out += '\n';
    }
    return {};
  };
  Status st;
  if (lines_) {
    lines_->feed(bytes);
    st = drain(*lines_);
  } else {
    frames_->feed(bytes);
    st = drain(*frames_);
  }
  if (!st) return fail(st.error());
  return out;
}

Status FrameDecoder::finish() const {
  const std::size_t left = lines_ ? lines_->buffered() : frames_ ? frames_->buffered() : 0;
  if (left != 0) return fail(Errc::closed_early);
  return {};
}

}  // namespace sockit::cli
