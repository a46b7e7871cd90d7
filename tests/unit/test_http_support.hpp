// Shared by the tests/unit/test_http_*.cpp files: a driver that plays a whole connection's bytes
// through the codec the way a server (or client) does, with the caller's buffer growing by
// pieces, and a split-point check that every two-piece split and byte-by-byte feeding give the
// same messages and the same error as feeding in one piece.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "sockit/codec/http.hpp"

namespace sockit::test {

using Fields = std::vector<std::pair<std::string, std::string>>;

inline Fields copy_fields(std::span<const HttpHeader> fields) {
  Fields out;
  for (const auto& h : fields)
    out.emplace_back(h.name, h.value);
  return out;
}

/// One message as the driver saw it, copied out of the buffer.
struct Message {
  std::string method;  // requests
  std::string target;
  int status = 0;  // responses
  std::string reason;
  HttpVersion version;
  Fields headers;
  HttpBody framing;
  bool keep_alive = false;
  std::string body;
  Fields trailers;
  friend bool operator==(const Message&, const Message&) = default;
};

struct Outcome {
  std::vector<Message> messages;
  std::error_code error;
  bool in_body = false;  // stopped inside a body
  std::size_t left = 0;  // bytes buffered and not consumed at the end
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

inline void fill(Message& m, const HttpRequest& r) {
  m.method = r.method;
  m.target = r.target;
  m.version = r.version;
  m.headers = copy_fields(r.headers);
  m.framing = r.body;
  m.keep_alive = r.keep_alive;
}

inline void fill(Message& m, const HttpResponse& r) {
  m.status = r.status;
  m.reason = r.reason;
  m.version = r.version;
  m.headers = copy_fields(r.headers);
  m.framing = r.body;
  m.keep_alive = r.keep_alive;
}

/// Plays `pieces` through a parser and body decoders. Requests when `methods` is empty;
/// otherwise responses, the i-th answering a request with methods[i] (the last one repeats).
/// `eof`: the peer closes after the last piece (ends a close-delimited body). After an error
/// the parser must keep failing with the same error even when a valid message follows.
class Driver {
 public:
  explicit Driver(HttpLimits limits = {}, std::vector<std::string> methods = {})
      : limits_(limits), methods_(std::move(methods)), requests_(limits), responses_(limits) {}

  Outcome run(const std::vector<std::string_view>& pieces, bool eof = false) {
    for (const auto piece : pieces) {
      buf_ += piece;
      if (!step()) return finish_error();
    }
    if (eof && body_) {
      const HttpBodyStep s = body_->finish();
      if (s.status == HttpBodyStatus::error) {
        out_.error = s.error;
        return finish_error();
      }
      end_message(s);
    }
    out_.in_body = body_.has_value();
    out_.left = buf_.size();
    return out_;
  }

 private:
  bool is_response() const { return !methods_.empty(); }

  std::string method_for(std::size_t i) const {
    return i < methods_.size() ? methods_[i] : methods_.back();
  }

  // Takes everything the buffer holds; false on an error (recorded in out_).
  bool step() {
    for (int guard = 0; guard < 1'000'000; ++guard) {
      if (!body_) {
        if (!head()) return !out_.error;
        continue;
      }
      const HttpBodyStep s = body_->decode(buf_);
      if (s.status == HttpBodyStatus::error) {
        out_.error = s.error;
        return false;
      }
      if (s.status == HttpBodyStatus::data) current_.body.append(s.data);
      if (s.status == HttpBodyStatus::done) end_message(s);
      buf_.erase(0, s.consumed);
      if (s.status == HttpBodyStatus::need_more) return true;
    }
    ADD_FAILURE() << "driver did not settle";
    return false;
  }

  // Parses a head; true when one was taken (the body decoder is then set up).
  bool head() {
    if (is_response()) {
      const auto r = responses_.parse(buf_, method_for(out_.messages.size()));
      return take(r);
    }
    return take(requests_.parse(buf_));
  }

  template <class Head>
  bool take(const HttpParsed<Head>& r) {
    if (r.status == HttpParseStatus::need_more) return false;
    if (r.status == HttpParseStatus::error) {
      out_.error = r.error;
      return false;
    }
    current_ = Message{};
    fill(current_, r.head);
    body_.emplace(r.head.body, limits_);
    buf_.erase(0, r.consumed);
    return true;
  }

  void end_message(const HttpBodyStep& s) {
    current_.trailers = copy_fields(s.trailers);
    out_.messages.push_back(current_);
    body_.reset();
  }

  // Errors are sticky: whatever follows, the same error comes back.
  Outcome finish_error() {
    const std::string more = buf_ + "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    if (body_) {
      const HttpBodyStep again = body_->decode(more);
      EXPECT_EQ(again.status, HttpBodyStatus::error);
      EXPECT_EQ(again.error, out_.error);
    } else if (is_response()) {
      EXPECT_EQ(responses_.parse(more).error, out_.error);
    } else {
      EXPECT_EQ(requests_.parse(more).error, out_.error);
    }
    out_.in_body = body_.has_value();
    out_.left = 0;  // after an error what is buffered is not meaningful
    return out_;
  }

  HttpLimits limits_;
  std::vector<std::string> methods_;
  HttpRequestParser requests_;
  HttpResponseParser responses_;
  std::optional<HttpBodyDecoder> body_;
  std::string buf_;
  Message current_;
  Outcome out_;
};

inline Outcome run_requests(std::string_view bytes, HttpLimits limits = {}) {
  return Driver(limits).run({bytes});
}

inline Outcome run_responses(std::string_view bytes, std::vector<std::string> methods = {"GET"},
                             bool eof = false, HttpLimits limits = {}) {
  return Driver(limits, std::move(methods)).run({bytes}, eof);
}

/// The split-point property: one piece, every two-piece split (sampled for long inputs) and
/// byte-by-byte feeding all give the same outcome. Returns the one-piece outcome.
inline Outcome expect_split_invariant(std::string_view bytes, HttpLimits limits = {},
                                      std::vector<std::string> methods = {}, bool eof = false) {
  const Outcome whole = Driver(limits, methods).run({bytes}, eof);
  const std::size_t stride = bytes.size() > 2048 ? 61 : 1;
  for (std::size_t cut = 1; cut < bytes.size(); cut += stride) {
    const Outcome split =
        Driver(limits, methods).run({bytes.substr(0, cut), bytes.substr(cut)}, eof);
    EXPECT_EQ(split, whole) << "split at " << cut << " of " << bytes.size();
    if (split != whole) break;
  }
  std::vector<std::string_view> bytewise;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytewise.push_back(bytes.substr(i, 1));
  EXPECT_EQ(Driver(limits, methods).run(bytewise, eof), whole) << "byte by byte";
  return whole;
}

inline std::error_code err(HttpErrc e) {
  return make_error_code(e);
}

}  // namespace sockit::test
