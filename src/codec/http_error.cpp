#include "sockit/codec/http_error.hpp"

#include <string>

namespace sockit {
namespace {

struct ErrorInfo {
  const char* message;
  int status;
};

ErrorInfo info(HttpErrc e) noexcept {
  switch (e) {
    case HttpErrc::ok:
      return {"success", 0};
    case HttpErrc::bad_request_line:
      return {"malformed request line", 400};
    case HttpErrc::invalid_method:
      return {"invalid character in the method", 400};
    case HttpErrc::invalid_target:
      return {"invalid request target", 400};
    case HttpErrc::invalid_version:
      return {"malformed HTTP version", 400};
    case HttpErrc::version_not_supported:
      return {"HTTP version not supported", 505};
    case HttpErrc::start_line_too_long:
      return {"request line too long", 414};
    case HttpErrc::invalid_status_line:
      return {"malformed status line", 502};
    case HttpErrc::header_section_too_large:
      return {"header section too large", 431};
    case HttpErrc::too_many_headers:
      return {"too many header fields", 431};
    case HttpErrc::invalid_field_name:
      return {"invalid header field name", 400};
    case HttpErrc::space_before_colon:
      return {"whitespace between a header field name and its colon", 400};
    case HttpErrc::invalid_field_value:
      return {"invalid character in a header field value", 400};
    case HttpErrc::obs_fold:
      return {"folded header line (obs-fold)", 400};
    case HttpErrc::bare_cr:
      return {"CR not followed by LF", 400};
    case HttpErrc::bare_lf:
      return {"line ended by LF without CR", 400};
    case HttpErrc::missing_host:
      return {"HTTP/1.1 request without Host", 400};
    case HttpErrc::duplicate_host:
      return {"more than one Host", 400};
    case HttpErrc::invalid_host:
      return {"invalid Host value", 400};
    case HttpErrc::invalid_content_length:
      return {"invalid Content-Length", 400};
    case HttpErrc::duplicate_content_length:
      return {"more than one Content-Length", 400};
    case HttpErrc::content_length_and_chunked:
      return {"Content-Length together with Transfer-Encoding", 400};
    case HttpErrc::transfer_encoding_in_http10:
      return {"Transfer-Encoding in an HTTP/1.0 message", 400};
    case HttpErrc::chunked_not_final:
      return {"Transfer-Encoding does not end with chunked", 400};
    case HttpErrc::chunked_twice:
      return {"chunked applied more than once", 400};
    case HttpErrc::invalid_transfer_encoding:
      return {"malformed Transfer-Encoding", 400};
    case HttpErrc::unsupported_transfer_coding:
      return {"transfer coding not implemented", 501};
    case HttpErrc::body_too_large:
      return {"body too large", 413};
    case HttpErrc::invalid_chunk_size:
      return {"invalid chunk size", 400};
    case HttpErrc::chunk_size_overflow:
      return {"chunk size overflows 64 bits", 400};
    case HttpErrc::chunk_line_too_long:
      return {"chunk-size line too long", 400};
    case HttpErrc::invalid_chunk_extension:
      return {"malformed chunk extension", 400};
    case HttpErrc::chunk_extension_too_long:
      return {"chunk extensions too long", 400};
    case HttpErrc::invalid_chunk_end:
      return {"chunk data not followed by CRLF", 400};
    case HttpErrc::trailer_section_too_large:
      return {"trailer section too large", 431};
    case HttpErrc::truncated_body:
      return {"connection closed before the body was complete", 400};
  }
  return {"unknown HTTP error", 400};
}

class HttpCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "http"; }
  std::string message(int value) const override {
    return info(static_cast<HttpErrc>(value)).message;
  }
};

}  // namespace

const std::error_category& http_category() noexcept {
  static const HttpCategory category;
  return category;
}

std::error_code make_error_code(HttpErrc e) noexcept {
  return {static_cast<int>(e), http_category()};
}

int http_status(std::error_code ec) noexcept {
  if (!ec) return 0;
  if (ec.category() != http_category()) return 500;
  return info(static_cast<HttpErrc>(ec.value())).status;
}

}  // namespace sockit
