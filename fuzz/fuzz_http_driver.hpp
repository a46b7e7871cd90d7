// Shared by fuzz_http_request and fuzz_http_response: plays a byte stream through the HTTP
// codec the way a server or client does (the caller's buffer grows piece by piece; heads are
// parsed, then bodies decoded), records the messages copied out, and checks the invariants
// every feeding must keep. Input layout: byte 0 = options (bit 0: tiny limits, bit 1: the
// peer closes at the end, bits 2-3: request method for responses), bytes 1-2 = a split point
// (big-endian, taken modulo the stream size + 1), then the stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "sockit/codec/http.hpp"

namespace sockit::fuzz {

struct HttpMessage {
  std::string start;  // method + target, or status + reason
  HttpVersion version;
  std::vector<std::pair<std::string, std::string>> fields;
  HttpBody framing;
  bool keep_alive = false;
  std::string body;
  std::vector<std::pair<std::string, std::string>> trailers;
  friend bool operator==(const HttpMessage&, const HttpMessage&) = default;
};

struct HttpOutcome {
  std::vector<HttpMessage> messages;
  std::error_code error;
  bool in_body = false;
  std::size_t left = 0;
  friend bool operator==(const HttpOutcome&, const HttpOutcome&) = default;
};

struct HttpInput {
  HttpLimits limits;
  bool eof = false;
  std::string_view method = "GET";
  std::string_view bytes;
  std::size_t cut = 0;
};

inline HttpInput make_http_input(const std::uint8_t* data, std::size_t size) {
  HttpInput in;
  if (size < 3) return in;
  if ((data[0] & 1) != 0) {
    in.limits = HttpLimits{64, 4, 96, 64, 12, 6, 2, 32};
  }
  in.eof = (data[0] & 2) != 0;
  constexpr std::string_view kMethods[] = {"GET", "HEAD", "CONNECT", "POST"};
  in.method = kMethods[(data[0] >> 2) & 3];
  in.bytes = as_text(data + 3, size - 3);
  in.cut = ((std::size_t{data[1]} << 8) | data[2]) % (in.bytes.size() + 1);
  return in;
}

inline std::vector<std::pair<std::string, std::string>> copy_fields(
    std::span<const HttpHeader> fields, std::string_view buffer) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& h : fields) {
    // Views, not copies: every one lies inside the caller's buffer.
    SOCKIT_FUZZ_CHECK(h.name.data() >= buffer.data() &&
                      h.value.data() + h.value.size() <= buffer.data() + buffer.size());
    SOCKIT_FUZZ_CHECK(!h.name.empty());
    out.emplace_back(h.name, h.value);
  }
  return out;
}

class HttpDriver {
 public:
  HttpDriver(const HttpInput& in, bool responses)
      : in_(in), responses_(responses), req_(in.limits), resp_(in.limits) {}

  HttpOutcome run(const std::vector<std::string_view>& pieces) {
    for (const auto piece : pieces) {
      buf_ += piece;
      if (!step()) return failed();
    }
    if (in_.eof && body_) {
      const HttpBodyStep s = body_->finish();
      if (s.status == HttpBodyStatus::error) {
        out_.error = s.error;
        return failed();
      }
      SOCKIT_FUZZ_CHECK(s.status == HttpBodyStatus::done);
      end_message(s);
    }
    out_.in_body = body_.has_value();
    out_.left = buf_.size();
    return out_;
  }

 private:
  bool step() {
    // Bounded: every turn consumes bytes, ends a message (whose head consumed bytes) or returns.
    const std::size_t turns = 4 * buf_.size() + 16;
    for (std::size_t guard = 0; guard <= turns; ++guard) {
      if (!body_) {
        if (!head()) return !out_.error;
        continue;
      }
      const HttpBodyStep s = body_->decode(buf_);
      SOCKIT_FUZZ_CHECK(s.consumed <= buf_.size());
      if (s.status == HttpBodyStatus::error) {
        out_.error = s.error;
        return false;
      }
      if (s.status == HttpBodyStatus::data) {
        SOCKIT_FUZZ_CHECK(!s.data.empty());
        current_.body.append(s.data);
        SOCKIT_FUZZ_CHECK(current_.body.size() <= in_.limits.max_body);
      }
      if (s.status == HttpBodyStatus::done) end_message(s);
      buf_.erase(0, s.consumed);
      if (s.status == HttpBodyStatus::need_more) return true;
    }
    SOCKIT_FUZZ_CHECK(false);
    return false;
  }

  bool head() {
    if (responses_) {
      const auto r = resp_.parse(buf_, in_.method);
      if (r.status == HttpParseStatus::done) {
        SOCKIT_FUZZ_CHECK(r.head.status >= 100 && r.head.status <= 599);
        current_.start = std::to_string(r.head.status) + " " + std::string(r.head.reason);
      }
      return take(r);
    }
    const auto r = req_.parse(buf_);
    if (r.status == HttpParseStatus::done) {
      SOCKIT_FUZZ_CHECK(!r.head.method.empty() && !r.head.target.empty());
      current_.start = std::string(r.head.method) + " " + std::string(r.head.target);
    }
    return take(r);
  }

  template <class Head>
  bool take(const HttpParsed<Head>& r) {
    if (r.status == HttpParseStatus::need_more) return false;
    if (r.status == HttpParseStatus::error) {
      SOCKIT_FUZZ_CHECK(r.error.category() == http_category());
      out_.error = r.error;
      return false;
    }
    SOCKIT_FUZZ_CHECK(r.consumed > 0 && r.consumed <= buf_.size());
    SOCKIT_FUZZ_CHECK(r.head.headers.size() <= in_.limits.max_headers);
    current_.version = r.head.version;
    current_.fields = copy_fields(r.head.headers, buf_);
    current_.framing = r.head.body;
    current_.keep_alive = r.head.keep_alive;
    if (r.head.body.kind == HttpBodyKind::length)
      SOCKIT_FUZZ_CHECK(r.head.body.length <= in_.limits.max_body);
    body_.emplace(r.head.body, in_.limits);
    buf_.erase(0, r.consumed);
    return true;
  }

  void end_message(const HttpBodyStep& s) {
    current_.trailers = copy_fields(s.trailers, buf_);
    out_.messages.push_back(std::move(current_));
    current_ = HttpMessage{};
    body_.reset();
  }

  // The error is sticky, and maps to one of the documented statuses.
  HttpOutcome failed() {
    SOCKIT_FUZZ_CHECK(out_.error && out_.error.category() == http_category());
    const int status = http_status(out_.error);
    SOCKIT_FUZZ_CHECK(status == 400 || status == 413 || status == 414 || status == 431 ||
                      status == 501 || status == 502 || status == 505);
    const std::string more = buf_ + "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    if (body_) {
      SOCKIT_FUZZ_CHECK(body_->decode(more).error == out_.error);
    } else if (responses_) {
      SOCKIT_FUZZ_CHECK(resp_.parse(more, in_.method).error == out_.error);
    } else {
      SOCKIT_FUZZ_CHECK(req_.parse(more).error == out_.error);
    }
    out_.in_body = body_.has_value();
    out_.left = 0;
    return out_;
  }

  const HttpInput& in_;
  bool responses_;
  HttpRequestParser req_;
  HttpResponseParser resp_;
  std::optional<HttpBodyDecoder> body_;
  std::string buf_;
  HttpMessage current_;
  HttpOutcome out_;
};

/// One piece, the fuzzer-chosen two-piece split and byte-by-byte must agree exactly.
inline HttpOutcome check_split_property(const HttpInput& in, bool responses) {
  const HttpOutcome whole = HttpDriver(in, responses).run({in.bytes});
  const HttpOutcome split =
      HttpDriver(in, responses).run({in.bytes.substr(0, in.cut), in.bytes.substr(in.cut)});
  SOCKIT_FUZZ_CHECK(split == whole);
  std::vector<std::string_view> bytewise;
  for (std::size_t i = 0; i < in.bytes.size(); ++i)
    bytewise.push_back(in.bytes.substr(i, 1));
  SOCKIT_FUZZ_CHECK(HttpDriver(in, responses).run(bytewise) == whole);
  return whole;
}

}  // namespace sockit::fuzz
