// The HTTP/1.1 static file service behind `sockit serve http`: GET and HEAD of the files under
// one root directory, on every server model, through the generic Service/MessageCodec seam
// (the codec adapter turns codec/http's parser into messages; nothing in server/ knows HTTP).
//
// Safety rules (docs/servers.md has the reasons): the target is percent-decoded once; a NUL,
// an encoded slash (%2F) or a ".." segment is refused with 400; files are opened with
// openat2(RESOLVE_BENEATH) below the root, so a symlink that leads out of it is 403 (unless
// follow_symlinks); names starting with '.' are 404 (unless show_hidden).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "sockit/codec/http.hpp"
#include "sockit/core/error.hpp"
#include "sockit/server/service.hpp"

namespace sockit {

enum class HttpLogFormat : std::uint8_t { none, common, json };

struct HttpServiceOptions {
  std::string root = ".";  ///< the directory served
  bool plaintext = true;   ///< the built-in GET /plaintext route ("Hello, World!")
  bool follow_symlinks = false;
  bool show_hidden = false;  ///< serve and list names that start with '.'
  HttpLimits limits;         ///< request-line, header and body limits (max_body: discarded bodies)
  std::size_t max_requests = 1000;  ///< per connection; the last answer says Connection: close
  /// Bodies up to this size are read (pread) into the response, which then goes out with the
  /// other answers of the same read in one write; bigger ones are sent with sendfile(2)
  /// (Peer::send_file), never read into memory.
  std::uint64_t inline_file_bytes = 32 * 1024;
  HttpLogFormat log_format = HttpLogFormat::common;
  /// Receives one access-log line per answered request (no newline), from any serving thread,
  /// one call at a time per connection: must be thread-safe.
  std::function<void(std::string_view line)> log;
};

/// The service, or an error when the root is not a directory that can be opened.
[[nodiscard]] Result<std::unique_ptr<Service>> make_http_service(HttpServiceOptions options);

/// What the HTTP codec adapter sends to a client before closing for `why`: a 408 for a request
/// that stayed incomplete too long, nothing for an idle keep-alive connection.
std::string_view http_close_reply(std::error_code why) noexcept;

}  // namespace sockit
