#include "sockit/ftp/error.hpp"

#include <string>

namespace sockit::ftp {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "ftp"; }
  std::string message(int value) const override {
    switch (static_cast<FtpErrc>(value)) {
      case FtpErrc::ok:
        return "success";
      case FtpErrc::login_denied:
        return "login denied";
      case FtpErrc::file_unavailable:
        return "file unavailable";
      case FtpErrc::cannot_open_data:
        return "the server cannot open the data connection";
      case FtpErrc::transfer_aborted:
        return "the server aborted the transfer";
      case FtpErrc::short_transfer:
        return "the transfer ended short";
      case FtpErrc::command_failed:
        return "command failed";
      case FtpErrc::unexpected_reply:
        return "unexpected reply";
      case FtpErrc::not_an_ftp_server:
        return "not an FTP server";
      case FtpErrc::tls_refused:
        return "the server refused TLS";
    }
    return "unknown FTP error";
  }
};

}  // namespace

const std::error_category& ftp_category() noexcept {
  static const Category category;
  return category;
}

std::error_code make_error_code(FtpErrc e) noexcept {
  return {static_cast<int>(e), ftp_category()};
}

FtpErrc classify_reply(int code) noexcept {
  switch (code) {
    case 530:
    case 532:
    case 332:
      return FtpErrc::login_denied;
    case 450:
    case 550:
    case 552:
    case 553:
      return FtpErrc::file_unavailable;
    case 425:
      return FtpErrc::cannot_open_data;
    case 426:
    case 451:
      return FtpErrc::transfer_aborted;
    default:
      break;
  }
  return code >= 400 ? FtpErrc::command_failed : FtpErrc::unexpected_reply;
}

}  // namespace sockit::ftp
