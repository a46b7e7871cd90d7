// HTTP/1.1 codec (sans-I/O, RFC 9110/9112): request and response heads, body framing, and a
// body decoder for Content-Length, chunked and close-delimited bodies. Never touches a socket.
//
// The caller owns the bytes. It keeps everything received since the start of the current
// message in one contiguous buffer and passes all of it to parse() each time more arrives:
//
//   for (;;) {
//     auto r = parser.parse(buffer.view());
//     if (r.status == HttpParseStatus::need_more) { read more; continue; }
//     if (r.status == HttpParseStatus::error) { answer http_status(r.error); close; }
//     use r.head (views into buffer.view(), valid until the buffer changes);
//     buffer.consume(r.consumed);   // then the body: HttpBodyDecoder(r.head.body, limits)
//   }
//
// The buffer may move between calls (it may grow): the parser keeps offsets, never pointers,
// and hands out views only in a finished result. Each call scans only the lines that were not
// complete before (the parser remembers where the unfinished line began and how far it searched
// for its LF), so a head fed byte by byte is still scanned once: O(head) in total.
//
// Any split of the input gives the same result: lines are judged only once they are complete,
// and an unfinished line can only fail on a length limit, which is checked first for complete
// lines too. After an error the parser stays failed (the same error from every parse()) until
// reset(): bytes after a bad message are never read as another message.
//
// Strictness (smuggling defences, RFC 9112 §6.3 and §11.2), each a distinct HttpErrc: CRLF
// only (a bare LF or a bare CR anywhere in the head is an error), no obs-fold, no whitespace
// before a colon, token-only methods and field names, visible-ASCII targets, exactly one Host
// in HTTP/1.1, at most one Content-Length value (identical duplicates too), no Content-Length
// with Transfer-Encoding, Transfer-Encoding only in HTTP/1.1 and only as a single final
// "chunked". Empty lines before a request line are skipped (RFC 9112 §2.2), counted in the
// start-line limit.
//
// Thread rule: a parser or decoder has a single owner and is not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/codec/http_error.hpp"

namespace sockit {

/// Limits, each with a default in line with nginx and HAProxy.
struct HttpLimits {
  std::size_t max_start_line = 8 * 1024;     ///< request/status line without CRLF (414)
  std::size_t max_headers = 100;             ///< field lines in the header section (431)
  std::size_t max_header_bytes = 16 * 1024;  ///< header section with CRLFs and final CRLF (431)
  std::uint64_t max_body = 1024 * 1024;      ///< decoded body bytes (413)
  std::size_t max_chunk_line = 1024;         ///< chunk-size line without CRLF
  std::size_t max_chunk_extension = 256;     ///< extension bytes on one chunk-size line
  std::size_t max_trailers = 32;             ///< trailer field lines
  std::size_t max_trailer_bytes = 4 * 1024;  ///< trailer section with CRLFs
};

struct HttpVersion {
  std::uint8_t major = 1;
  std::uint8_t minor = 1;
  friend bool operator==(const HttpVersion&, const HttpVersion&) = default;
};

/// One field line. Both views point into the caller's buffer; the value has no leading or
/// trailing whitespace.
struct HttpHeader {
  std::string_view name;
  std::string_view value;
  friend bool operator==(const HttpHeader&, const HttpHeader&) = default;
};

/// How the body that follows a head is delimited.
enum class HttpBodyKind : std::uint8_t {
  none,         ///< no body (no length given in a request; HEAD, 1xx, 204, 304 responses)
  length,       ///< exactly `length` bytes (Content-Length)
  chunked,      ///< Transfer-Encoding: chunked
  until_close,  ///< a response body that ends when the server closes
};

struct HttpBody {
  HttpBodyKind kind = HttpBodyKind::none;
  std::uint64_t length = 0;  ///< for kind == length
  friend bool operator==(const HttpBody&, const HttpBody&) = default;
};

/// ASCII case-insensitive comparison, as field names and codings compare.
bool http_iequals(std::string_view a, std::string_view b) noexcept;

/// Finds the first field named `name` (case-insensitive); empty view when absent.
std::string_view http_find(std::span<const HttpHeader> headers, std::string_view name) noexcept;

struct HttpRequest {
  std::string_view method;  ///< case-sensitive token, e.g. "GET"
  std::string_view target;  ///< origin-, absolute-, authority- (CONNECT) or asterisk-form
  HttpVersion version;
  std::span<const HttpHeader> headers;  ///< in arrival order
  std::string_view host;                ///< the Host value (may be empty in HTTP/1.0)
  HttpBody body;
  bool keep_alive = true;  ///< HTTP/1.1 unless "Connection: close"; HTTP/1.0 only if keep-alive
  std::string_view find(std::string_view name) const noexcept { return http_find(headers, name); }
};

struct HttpResponse {
  HttpVersion version;
  int status = 0;           ///< 100..599
  std::string_view reason;  ///< may be empty
  std::span<const HttpHeader> headers;
  HttpBody body;
  bool keep_alive = true;  ///< false when the body ends at close or "Connection: close"
  /// A 1xx other than 101: another response follows for the same request.
  bool interim() const noexcept { return status >= 100 && status < 200 && status != 101; }
  std::string_view find(std::string_view name) const noexcept { return http_find(headers, name); }
};

enum class HttpParseStatus : std::uint8_t { need_more, done, error };

template <class Head>
struct HttpParsed {
  HttpParseStatus status = HttpParseStatus::need_more;
  Head head;                 ///< when done: views into the data passed to that parse()
  std::size_t consumed = 0;  ///< when done: bytes of the head (the body starts here)
  std::error_code error;     ///< when error
};

namespace http_detail {
/// Offsets of one field line, relative to the start of the data being parsed.
struct FieldPos {
  std::size_t name_at = 0;
  std::size_t name_len = 0;
  std::size_t value_at = 0;
  std::size_t value_len = 0;
};

/// The field-section scanner shared by requests, responses and trailers: validates each field
/// line once, when it is complete, and remembers where it stopped.
class FieldScanner {
 public:
  void start(std::size_t at, std::size_t max_bytes, std::size_t max_count, HttpErrc too_large,
             HttpErrc too_many) noexcept;
  /// need_more, done (the empty line ending the section was read) or error (in `error`).
  HttpParseStatus scan(std::string_view data, HttpErrc& error);
  std::size_t end() const noexcept { return line_at_; }  ///< after the empty line, once done
  /// The fields as views into `data` (the same bytes scan() saw), into `out`.
  void views(std::string_view data, std::vector<HttpHeader>& out) const;

 private:
  std::vector<FieldPos> fields_;
  std::size_t section_at_ = 0;
  std::size_t line_at_ = 0;   // start of the first line not judged yet
  std::size_t searched_ = 0;  // no LF in [line_at_, searched_)
  std::size_t max_bytes_ = 0;
  std::size_t max_count_ = 0;
  HttpErrc too_large_ = HttpErrc::header_section_too_large;
  HttpErrc too_many_ = HttpErrc::too_many_headers;
};
}  // namespace http_detail

/// Parses request heads, one message after another (it starts over after each done).
class HttpRequestParser {
 public:
  explicit HttpRequestParser(HttpLimits limits = {}) : limits_(limits) {}

  /// `data`: every byte since the start of this message (the bytes of the previous call, which
  /// must be unchanged, plus any new ones). The head in a done result stays valid until the
  /// next parse() or reset() and while `data`'s bytes stay where they are.
  HttpParsed<HttpRequest> parse(std::string_view data);
  /// Forgets the message in progress and any error.
  void reset() noexcept;
  const HttpLimits& limits() const noexcept { return limits_; }

 private:
  HttpParsed<HttpRequest> fail(HttpErrc e);
  HttpParsed<HttpRequest> finish(std::string_view data);

  HttpLimits limits_;
  http_detail::FieldScanner fields_;
  std::vector<HttpHeader> headers_;
  std::size_t line_at_ = 0;     // start of the request line (after skipped empty lines)
  std::size_t searched_ = 0;    // LF search position for the start line
  std::size_t start_end_ = 0;   // end of the request line (after CRLF), 0 while unknown
  std::size_t method_len_ = 0;  // the request line's parts, as offsets (the buffer may move)
  std::size_t target_at_ = 0;
  std::size_t target_len_ = 0;
  HttpVersion version_;
  std::error_code error_;
};

/// Parses response heads. The request method decides a body's presence (HEAD, CONNECT 2xx).
class HttpResponseParser {
 public:
  explicit HttpResponseParser(HttpLimits limits = {}) : limits_(limits) {}

  /// As HttpRequestParser::parse; `request_method` is the method of the request this response
  /// answers (the same on every call for one response).
  HttpParsed<HttpResponse> parse(std::string_view data, std::string_view request_method = "GET");
  void reset() noexcept;
  const HttpLimits& limits() const noexcept { return limits_; }

 private:
  HttpParsed<HttpResponse> fail(HttpErrc e);
  HttpParsed<HttpResponse> finish(std::string_view data, std::string_view request_method);

  HttpLimits limits_;
  http_detail::FieldScanner fields_;
  std::vector<HttpHeader> headers_;
  std::size_t searched_ = 0;
  std::size_t start_end_ = 0;
  std::error_code error_;
};

enum class HttpBodyStatus : std::uint8_t { need_more, data, done, error };

struct HttpBodyStep {
  HttpBodyStatus status = HttpBodyStatus::need_more;
  std::string_view data;     ///< a piece of the body, when status == data
  std::size_t consumed = 0;  ///< drop this many bytes from the front, whatever the status
  std::span<const HttpHeader> trailers;  ///< chunked only, when done: valid until the next call
  std::error_code error;
};

/// Decodes one body. The same contract as the parsers: `data` starts at the first byte not
/// consumed yet and holds at least the bytes of the previous call. Pieces are views into
/// `data`; concatenated, they are the body whatever the split. A chunk-size line or the
/// trailer section is consumed only once complete; the decoder remembers how far it searched.
class HttpBodyDecoder {
 public:
  HttpBodyDecoder(HttpBody body, const HttpLimits& limits);
  explicit HttpBodyDecoder(const HttpLimits& limits) : HttpBodyDecoder(HttpBody{}, limits) {}

  /// Starts over for the next body, keeping the memory (trailer arrays): one decoder per
  /// connection then allocates nothing per message once warm.
  void reset(HttpBody body) noexcept;

  HttpBodyStep decode(std::string_view data);
  /// The peer closed: done for an until_close body, else truncated_body (unless already done).
  HttpBodyStep finish();
  bool done() const noexcept { return state_ == State::done; }
  std::uint64_t received() const noexcept { return received_; }  ///< body bytes so far

 private:
  enum class State : std::uint8_t { size_line, data, data_crlf, trailers, done, failed };
  HttpBodyStep fail(HttpErrc e);
  HttpBodyStep more(std::size_t pos);
  HttpBodyStep chunked(std::string_view data);
  HttpBodyStep size_line(std::string_view data, std::size_t& pos);
  HttpBodyStep trailers(std::string_view data, std::size_t pos);

  HttpBody body_;
  HttpLimits limits_;
  State state_ = State::data;
  std::uint64_t remaining_ = 0;  // of the Content-Length or the current chunk
  std::uint64_t received_ = 0;
  std::size_t searched_ = 0;  // size line: no LF in [0, searched_) of the unconsumed data
  http_detail::FieldScanner trailer_scan_;
  std::vector<HttpHeader> trailers_;
  std::error_code error_;
};

}  // namespace sockit
