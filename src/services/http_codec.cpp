// The HTTP MessageCodec adapter: codec/http's request parser and body decoder behind the
// generic seam, so that the server drives HTTP like any other framing. Each complete request
// head becomes one message; bodies are read and discarded (within the body limit) before the
// request is handed on; a framing error becomes one kError message and ends decoding, so the
// session answers it (400, 413, 414, 431, 501, 505) and closes: the bytes after a bad request
// are never read as another request.
#include <memory>
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

// The decoding state of one request in progress: a head still incomplete, or the body being
// read (and dropped). It lives in the thread's scratch while a read holds only complete
// requests, and moves into the connection (HttpCodec::held_) only when a read ends inside one.
struct Progress {
  explicit Progress(const HttpLimits& limits) : parser(limits), body(limits) {}
  HttpRequestParser parser;
  HttpBodyDecoder body;
  bool in_body = false;
  std::string head;  // the head of the request whose body is being read
  std::string rest;  // the unconsumed bytes of the request in progress (held state only)
};

// True when every limit of `a` equals that of `b`.
bool same_limits(const HttpLimits& a, const HttpLimits& b) noexcept {
  return a.max_start_line == b.max_start_line && a.max_headers == b.max_headers &&
         a.max_header_bytes == b.max_header_bytes && a.max_body == b.max_body &&
         a.max_chunk_line == b.max_chunk_line && a.max_chunk_extension == b.max_chunk_extension &&
         a.max_trailers == b.max_trailers && a.max_trailer_bytes == b.max_trailer_bytes;
}

// Per-thread working memory for every HTTP connection the thread serves: a decode() runs to
// completion (scan, then every message delivered) before another connection's starts, so one
// parser and one batch buffer serve them all. Warm, it allocates nothing per request, and an
// idle connection holds none of it.
struct Scratch {
  struct Span {
    std::size_t at = 0, size = 0;
  };
  Progress progress{HttpLimits{}};
  std::string batch;  // this read's messages, back to back
  std::vector<Span> spans;

  // The scratch, its parser set to `limits` (a thread serving two servers with other limits
  // starts over when it switches, which no server does per request).
  static Scratch& get(const HttpLimits& limits) {
    thread_local Scratch scratch;
    if (!same_limits(scratch.progress.parser.limits(), limits)) scratch.progress = Progress(limits);
    return scratch;
  }
  void add(char tag, std::string_view bytes) {
    spans.push_back({batch.size(), bytes.size() + 1});
    batch.push_back(tag);
    batch.append(bytes);
  }
};

// Between reads an HTTP connection holds only this object (and, while a read ended inside a
// request, its Progress): 10,000 idle keep-alive connections are a design point (issue 12).
class HttpCodec final : public MessageCodec {
 public:
  explicit HttpCodec(const HttpLimits& limits) : limits_(&limits) {}
  std::string_view name() const noexcept override { return "http"; }
  Status decode(std::string_view bytes, MessageSink& sink) override;
  Status finish(MessageSink&) override { return {}; }  // an unfinished request is dropped
  Result<Encoded> encode(std::string_view message) override { return Encoded{message, {}}; }
  bool partial() const noexcept override { return held_ != nullptr; }
  std::optional<std::string_view> close_reply(std::error_code why) const noexcept override {
    return http_close_reply(why);
  }

 private:
  // Scans `data` for complete requests into `out`; returns the bytes used.
  std::size_t scan(Progress& p, Scratch& out, std::string_view data);
  void add_error(Scratch& out, std::error_code e) {
    out.add(kError, std::to_string(e.value()));
    stop();
  }
  // After a scan that used `used` bytes of `data` with `p`: keeps the request in progress, if
  // any, in held_ (moving the thread's state there), else frees held_ and readies the scratch.
  void keep_progress(Progress& p, Scratch& scratch, std::string_view data, std::size_t used);

  bool stopped() const noexcept { return limits_ == nullptr; }
  void stop() noexcept { limits_ = nullptr; }

  // The service's limits (it outlives its connections); null once decoding stopped (after an
  // error or a closing session: input is dropped). No separate flag: three words fit malloc's
  // 32-byte chunk, a bool more would take 48 (16 bytes per idle connection).
  const HttpLimits* limits_;
  std::unique_ptr<Progress> held_;  // null unless a request is in progress across reads
};

std::size_t HttpCodec::scan(Progress& p, Scratch& out, std::string_view data) {
  std::size_t pos = 0;
  while (!stopped() && pos <= data.size()) {
    if (p.in_body) {
      const HttpBodyStep step = p.body.decode(data.substr(pos));
      pos += step.consumed;
      if (step.status == HttpBodyStatus::error) {
        add_error(out, step.error);
      } else if (step.status == HttpBodyStatus::done) {
        p.in_body = false;
        out.add(kMore, p.head);
      } else if (step.status == HttpBodyStatus::need_more) {
        break;
      }
      continue;
    }
    if (pos == data.size()) break;
    const auto r = p.parser.parse(data.substr(pos));
    if (r.status == HttpParseStatus::need_more) break;
    if (r.status == HttpParseStatus::error) {
      add_error(out, r.error);
      break;
    }
    const std::string_view head = data.substr(pos, r.consumed);
    pos += r.consumed;
    if (r.head.body.kind == HttpBodyKind::none ||
        (r.head.body.kind == HttpBodyKind::length && r.head.body.length == 0)) {
      out.add(kMore, head);
      continue;
    }
    // The client waits for 100 Continue before sending the body: answer now (nothing here
    // would use the body) rather than let it wait, and close, since the body stays unread.
    if (http_iequals(r.head.find("expect"), "100-continue") && r.head.version.minor == 1) {
      out.add(kUnread, head);
      stop();
      break;
    }
    p.head.assign(head);
    p.body.reset(r.head.body);
    p.in_body = true;
  }
  return pos;
}

void HttpCodec::keep_progress(Progress& p, Scratch& scratch, std::string_view data,
                              std::size_t used) {
  if (stopped() || (used == data.size() && !p.in_body)) {
    held_.reset();
    scratch.progress.parser.reset();  // (after an error it stays failed until reset)
    scratch.progress.in_body = false;
    return;
  }
  if (!held_) {
    // The parser's offsets count from the start of the unfinished request, which is where
    // `rest` will start: the state moves as it is.
    held_ = std::make_unique<Progress>(std::move(p));
    scratch.progress = Progress(*limits_);
    held_->rest.assign(data.substr(used));
  } else if (data.data() == held_->rest.data()) {
    held_->rest.erase(0, used);
  } else {
    held_->rest.assign(data.substr(used));
  }
}

Status HttpCodec::decode(std::string_view bytes, MessageSink& sink) {
  if (stopped()) return {};
  Scratch& scratch = Scratch::get(*limits_);
  Progress& p = held_ ? *held_ : scratch.progress;
  std::string_view data = bytes;
  if (held_ && !held_->rest.empty()) {
    held_->rest.append(bytes);
    data = held_->rest;
  }
  scratch.batch.clear();
  scratch.spans.clear();
  keep_progress(p, scratch, data, scan(p, scratch, data));
  std::string& batch = scratch.batch;
  if (!scratch.spans.empty() && batch[scratch.spans.back().at] == kMore)
    batch[scratch.spans.back().at] = kLast;
  // (kUnread stays itself: it is always the last message, and the session flushes after it.)
  // Delivery calls no other connection's decode on this thread, so the scratch stays ours.
  for (const Scratch::Span& m : scratch.spans) {
    if (!sink.on_message(std::string_view(batch).substr(m.at, m.size))) {
      stop();
      held_.reset();
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
