// The words for reply codes, and the checks on what goes into a command line.
#include <string>

#include "sockit/mail/client.hpp"

namespace sockit::mail {

std::string_view reply_meaning(int code) noexcept {
  switch (code) {
    case 421:
      return "service not available: the server is closing the connection";
    case 450:
      return "mailbox busy or temporarily unavailable: try again later";
    case 451:
      return "local error at the server: try again later";
    case 452:
      return "the server is out of storage or takes no more recipients now";
    case 454:
      return "TLS or authentication temporarily unavailable";
    case 455:
      return "the server cannot take these parameters now";
    case 500:
      return "command not recognised";
    case 501:
      return "syntax error in the parameters or arguments";
    case 502:
      return "command not implemented";
    case 503:
      return "bad sequence of commands";
    case 504:
      return "parameter not implemented";
    case 521:
    case 556:
      return "the domain does not accept mail";
    case 523:
      return "the message is larger than the server accepts";
    case 530:
      return "authentication or STARTTLS required first";
    case 534:
      return "authentication mechanism too weak";
    case 535:
      return "authentication failed: wrong user name or password";
    case 538:
      return "encryption required for this authentication mechanism";
    case 550:
      return "mailbox unavailable: no such user, or refused by policy";
    case 551:
      return "user not local";
    case 552:
      return "message too large, or storage exceeded";
    case 553:
      return "mailbox name not allowed";
    case 554:
      return "transaction failed: message or sender refused";
    case 555:
      return "MAIL FROM/RCPT TO parameters not recognised";
    default:
      break;
  }
  if (code >= 400 && code < 500) return "temporary failure: try again later";
  if (code >= 500 && code < 600) return "permanent failure";
  return "";
}

bool valid_address(std::string_view address) noexcept {
  if (address.size() > 256) return false;
  for (const char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '<' || c == '>') return false;
  }
  return true;
}

std::string xtext(std::string_view value) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == '+' || c == '=') {
      out += '+';
      out += kHex[u >> 4];
      out += kHex[u & 15U];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace sockit::mail
