// FTP failures as error codes in their own category, "ftp". A reply the client cannot go on
// from is classified here; the reply itself (code and text) stays available from
// ftp::Client::last_reply() for the message shown to people.
#pragma once

#include <system_error>

namespace sockit::ftp {

enum class FtpErrc {
  ok = 0,
  login_denied = 1,   ///< 530 (or 332/532): wrong user or password, or login refused
  file_unavailable,   ///< 550/450/553/552: no such file, or no permission
  cannot_open_data,   ///< 425: the server could not open the data connection
  transfer_aborted,   ///< 426/451: the server ended the transfer
  short_transfer,     ///< fewer bytes arrived than SIZE announced
  command_failed,     ///< another 4xx/5xx answer
  unexpected_reply,   ///< a reply code the command does not allow at that point
  not_an_ftp_server,  ///< the greeting is not 220 (or 120 then 220)
  tls_refused,        ///< AUTH TLS (or PBSZ/PROT) refused while TLS is required
};

const std::error_category& ftp_category() noexcept;
std::error_code make_error_code(FtpErrc e) noexcept;

/// The class of failure a final negative reply code means for the command that got it.
FtpErrc classify_reply(int code) noexcept;

}  // namespace sockit::ftp

template <>
struct std::is_error_code_enum<sockit::ftp::FtpErrc> : std::true_type {};
