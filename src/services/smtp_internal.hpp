// Private parts of the SMTP mailbox service (src/services/smtp_*.cpp): what a stored message
// carries, the Maildir writer, the Received: header and the log line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/core/error.hpp"
#include "sockit/services/smtp.hpp"

namespace sockit::smtp_service {

/// One accepted message and what the session knows about it.
struct Envelope {
  std::string id;  ///< unique within the host (also the Maildir file name)
  std::string remote, helo, from, auth_user;
  std::vector<std::string> to;
  bool esmtp = false, tls = false;
};

/// A new unique id: "SECONDS.MMICROSPPIDQSEQ.HOST", as the Maildir convention names files; the
/// microseconds have six digits, so that names sort by delivery time.
std::string new_id();

/// The Received: header for `e` (RFC 5321 §4.4; with type ESMTP, ESMTPS, ESMTPA or ESMTPSA as
/// RFC 3848 names them), ending in CRLF.
std::string received_header(const Envelope& e, std::string_view hostname);

/// Creates DIR, DIR/tmp, DIR/new, DIR/cur when missing.
[[nodiscard]] Status prepare_maildir(const std::string& dir);
/// Writes `header` + `body` to DIR/tmp/ID, then renames it to DIR/new/ID. Returns that path.
[[nodiscard]] Result<std::string> store_in_maildir(const std::string& dir, const std::string& id,
                                                   std::string_view header, std::string_view body);

/// One log line for a stored message.
std::string log_line(const Envelope& e, std::size_t size, std::string_view stored,
                     SmtpLogFormat format);

}  // namespace sockit::smtp_service
