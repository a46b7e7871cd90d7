// Private parts of the HTTP file service (src/services/http_*.cpp): the MessageCodec adapter,
// target decoding, the file lookup below the root, content types and the directory listing.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/codec/http.hpp"
#include "sockit/codec/message_codec.hpp"
#include "sockit/core/unique_fd.hpp"

namespace sockit::http_service {

// The adapter's messages. The first byte says what follows: a complete request head that is
// the last one complete in this read (kLast) or not (kMore), so that the session can answer a
// read's worth of pipelined requests with one send; or a framing error (kError, followed by the
// HttpErrc number), after which nothing more is decoded. kUnread: a request head sent with
// "Expect: 100-continue" whose body was not read (this server takes no bodies, so it answers at
// once instead of sending 100 Continue, RFC 9110 §10.1.1); the session answers it with
// Connection: close, and nothing more is decoded.
inline constexpr char kMore = 'M';
inline constexpr char kLast = 'L';
inline constexpr char kError = 'E';
inline constexpr char kUnread = 'U';

/// The request-head adapter; `limits` must outlive the codec (the service's own: a service
/// outlives its connections).
CodecPtr make_http_codec(const HttpLimits& limits);

/// The decoded path of an origin-form target ("/a%20b/?q" -> "/a b/"), or the status to answer
/// (400 for bad percent-encoding, NUL, %2F, "..", a target that is not a path).
struct DecodedPath {
  std::string path;
  std::string query;  ///< with its '?', for a 301's Location
  std::string raw;    ///< the path as sent (still encoded), for a 301's Location
  int status = 0;
};
DecodedPath decode_target(std::string_view target);

/// True when one segment of `path` starts with '.' (a dotfile or dot-directory).
bool has_hidden_segment(std::string_view path) noexcept;

/// An opened file or directory below the root, or the status to answer (403, 404).
struct Opened {
  UniqueFd fd;
  struct stat st {};
  int status = 0;
};
/// Opens `relative` ("" for the root itself, no leading slash) below `root`: with
/// RESOLVE_BENEATH unless `follow_symlinks`.
Opened open_below(int root, const std::string& relative, bool follow_symlinks);

/// The Content-Type for a file name: /etc/mime.types when readable, else a built-in table;
/// application/octet-stream when unknown.
std::string_view content_type(std::string_view name);

/// An HTML page listing the directory `dir` (its URL path `url_path`, ending in '/'): names
/// escaped, sizes of regular files (a symlink's only when links are followed).
std::string directory_listing(int dir, std::string_view url_path, bool show_hidden,
                              bool follow_symlinks);

/// `s` with & < > " ' replaced by entities.
std::string html_escape(std::string_view s);

/// Seconds since the epoch from an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT").
std::optional<std::time_t> parse_http_date(std::string_view text);

}  // namespace sockit::http_service
