// The HTTP MessageCodec adapter: codec/http's request parser and body decoder behind the
// generic seam, so that the server drives HTTP like any other framing. Each complete request
// head becomes one message; bodies are read and discarded (within the body limit) before the
// request is handed on; a framing error becomes one kError message and ends decoding, so the
// session answers it (400, 413, 414, 431, 501, 505) and closes: the bytes after a bad request
// are never read as another request.
#include <string>
#include <vector>

#include "http_internal.hpp"
#include "sockit/services/http.hpp"

namespace sockit {

std::string_view http_close_reply(std::error_code why) noexcept {
  if (why == Errc::partial_timeout)
    return "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  if (why == Errc::idle_timeout) return {};  // a quiet keep-alive connection just ends
  return {};
}

namespace http_service {
namespace {

class HttpCodec final : public MessageCodec {
 public:
  explicit HttpCodec(const HttpLimits& limits) : parser_(limits), body_(limits) {}
  std::string_view name() const noexcept override { return "http"; }
  Status decode(std::string_view bytes, MessageSink& sink) override;
  Status finish(MessageSink&) override { return {}; }  // an unfinished request is dropped
  Result<Encoded> encode(std::string_view message) override { return Encoded{message, {}}; }
  bool partial() const noexcept override { return !rest_.empty() || in_body_; }
  std::optional<std::string_view> close_reply(std::error_code why) const noexcept override {
    return http_close_reply(why);
  }

 private:
  // Scans `data` for complete requests; returns the bytes used.
  std::size_t scan(std::string_view data);
  // Messages are copied into one batch buffer reused across reads: no allocation per request
  // once warm.
  void add(char tag, std::string_view bytes) {
    spans_.push_back({batch_.size(), bytes.size() + 1});
    batch_.push_back(tag);
    batch_.append(bytes);
  }
  void add_error(std::error_code e) {
    add(kError, std::to_string(e.value()));
    stopped_ = true;
  }

  HttpRequestParser parser_;
  HttpBodyDecoder body_;
  bool in_body_ = false;
  bool stopped_ = false;  // after an error or a closing session: input is dropped
  std::string rest_;      // an incomplete request (head or body) held across reads
  std::string head_;      // the head of the request whose body is being read
  struct Span {
    std::size_t at = 0, size = 0;
  };
  std::string batch_;  // this read's messages, back to back
  std::vector<Span> spans_;
};

std::size_t HttpCodec::scan(std::string_view data) {
  std::size_t pos = 0;
  while (!stopped_ && pos <= data.size()) {
    if (in_body_) {
      const HttpBodyStep step = body_.decode(data.substr(pos));
      pos += step.consumed;
      if (step.status == HttpBodyStatus::error) {
        add_error(step.error);
      } else if (step.status == HttpBodyStatus::done) {
        in_body_ = false;
        add(kMore, head_);
      } else if (step.status == HttpBodyStatus::need_more) {
        break;
      }
      continue;
    }
    if (pos == data.size()) break;
    const auto r = parser_.parse(data.substr(pos));
    if (r.status == HttpParseStatus::need_more) break;
    if (r.status == HttpParseStatus::error) {
      add_error(r.error);
      break;
    }
    const std::string_view head = data.substr(pos, r.consumed);
    pos += r.consumed;
    if (r.head.body.kind == HttpBodyKind::none ||
        (r.head.body.kind == HttpBodyKind::length && r.head.body.length == 0)) {
      add(kMore, head);
      continue;
    }
    // The client waits for 100 Continue before sending the body: answer now (nothing here
    // would use the body) rather than let it wait, and close, since the body stays unread.
    if (http_iequals(r.head.find("expect"), "100-continue") && r.head.version.minor == 1) {
      add(kUnread, head);
      stopped_ = true;
      break;
    }
    head_.assign(head);
    body_.reset(r.head.body);
    in_body_ = true;
  }
  return pos;
}

Status HttpCodec::decode(std::string_view bytes, MessageSink& sink) {
  if (stopped_) return {};
  std::string_view data = bytes;
  if (!rest_.empty()) {
    rest_.append(bytes);
    data = rest_;
  }
  batch_.clear();
  spans_.clear();
  const std::size_t used = scan(data);
  if (stopped_) {
    rest_.clear();
  } else if (data.data() == rest_.data()) {
    rest_.erase(0, used);
  } else {
    rest_.assign(data.substr(used));
  }
  if (!spans_.empty() && batch_[spans_.back().at] == kMore) batch_[spans_.back().at] = kLast;
  // (kUnread stays itself: it is always the last message, and the session flushes after it.)
  for (const Span& m : spans_) {
    if (!sink.on_message(std::string_view(batch_).substr(m.at, m.size))) {
      stopped_ = true;
      rest_.clear();
      break;
    }
  }
  return {};
}

}  // namespace

CodecPtr make_http_codec(const HttpLimits& limits) {
  return std::make_unique<HttpCodec>(limits);
}

}  // namespace http_service
}  // namespace sockit
