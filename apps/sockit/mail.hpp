// `sockit mail`: the pieces shared by mail.cpp (options, checks), mail_message.cpp (the message
// from -T, stdin or --subject/--body/--attach) and mail_session.cpp (the SMTP dialogue).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sockit/core/error.hpp"

namespace sockit::cli {

struct MailArgs {
  std::string url;
  // Filled from url by check_mail_args().
  bool implicit_tls = false;  // smtps://
  std::string host, port, helo;

  std::string from;
  std::vector<std::string> rcpt;
  bool rcpt_allowfails = false;
  std::string mail_auth;      // --mail-auth: MAIL FROM's AUTH= identity
  std::string user;           // -u USER:PASS
  std::string login_options;  // --login-options AUTH=CRAM-MD5|PLAIN|LOGIN|*
  std::string upload;         // -T FILE ("-": stdin)
  bool ssl = false, ssl_reqd = false, insecure = false;
  std::string cacert;
  double connect_timeout_s = 60.0;
  double max_time_s = 0.0;
  bool verbose = false;

  std::string subject, body, body_file;
  std::vector<std::string> headers, attach;

  bool builds_message() const {
    return !subject.empty() || !body.empty() || !body_file.empty() || !headers.empty() ||
           !attach.empty();
  }
  bool wants_tls() const { return implicit_tls || ssl || ssl_reqd; }
};

/// The message ready for DATA, and what the envelope needs to know about it.
struct MailPayload {
  std::string wire;        // dot-stuffed, CRLF, ending with ".\r\n"
  std::uint64_t size = 0;  // octets for SIZE= (the message as sent, less the final ".")
  bool eight_bit = false;
};

/// Reads or builds the message and encodes it for DATA. A failure is a usage message (an
/// unreadable file, a bad --header, a line over 998 octets) in `usage`.
Result<MailPayload> make_mail_payload(const MailArgs& a, std::string& usage);

/// The dialogue with the server, from connecting to QUIT; returns the exit code (every failure
/// already reported on stderr).
int run_mail_session(const MailArgs& a, const MailPayload& payload);

}  // namespace sockit::cli
