// The sans-I/O half of an exchange, shared by the blocking and the coroutine clients: the
// request head as bytes, and a ResponseReader that takes what has arrived and reports the
// response through the Events (heads, 1xx skipped, body pieces, trailers). The drivers only
// read, write and feed.
#pragma once

#include <string>

#include "sockit/core/buffer.hpp"
#include "sockit/http/client.hpp"

namespace sockit::http {

/// The request head for `request` (Host added from the URL unless given) and, in `body`, the
/// framing of its body: Request::body's length, or the size of Request::body_file (`file_fd`
/// then holds the opened file, else -1).
[[nodiscard]] Result<std::string> request_head(const Request& request, HttpBody& body,
                                               int& file_fd);

class ResponseReader {
 public:
  ResponseReader(const Request& request, const Events& events, Response& response,
                 const HttpLimits& limits, Phase& phase);

  /// Consumes from `in` what it can: true once the response is complete (bytes past it stay
  /// in `in`), false when more bytes are needed.
  [[nodiscard]] Result<bool> feed(Buffer& in);
  /// The peer closed: true when that ends the response (a close-delimited body), else the
  /// error (Errc::end_of_stream before any byte, closed_early in a head, truncated_body).
  [[nodiscard]] Result<bool> eof(const Buffer& in);

 private:
  Result<bool> head(Buffer& in);
  Result<bool> body(Buffer& in);
  Status deliver(const HttpBodyStep& step);

  const Request& request_;
  const Events& events_;
  Response& r_;
  Phase& phase_;
  HttpResponseParser parser_;
  HttpBodyDecoder decoder_;
  bool in_body_ = false;
};

}  // namespace sockit::http
