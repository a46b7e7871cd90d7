// The client's state behind ftp::Client (private): the control connection, its reply decoder,
// what the server has shown it does not support, and the helpers every command uses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ftp/channel.hpp"
#include "sockit/codec/ftp_reply.hpp"
#include "sockit/ftp/client.hpp"
#include "sockit/stream/tcp.hpp"

namespace sockit::ftp {

struct Client::State {
  ClientOptions options;
  std::string host;
  Channel control;
  FtpReplyDecoder decoder;
  std::array<std::byte, 4096> rx{};
  FtpReply last;
  std::uint64_t transferred = 0;
  std::optional<std::uint64_t> expected;
  bool no_epsv = false;       // EPSV refused once: PASV from then on
  bool no_eprt = false;       // EPRT refused once: PORT from then on
  bool protect_data = false;  // PROT P accepted: data connections run TLS
  char type = 0;              // the TYPE last accepted ('I' or 'A'), 0 before any

  Deadline reply_deadline() const { return Deadline::after_or_never(options.reply_timeout); }
  Deadline data_deadline() const { return Deadline::after_or_never(options.data_timeout); }
  void note(std::string_view text) const {
    if (options.on_note) options.on_note(text);
  }
  void progress() const {
    if (options.on_progress) options.on_progress(transferred, expected);
  }

  /// Sends "line\r\n" (CR/LF inside the line is refused: it would smuggle a command).
  Status send(std::string_view line);
  /// The next reply (preliminary ones included), under the reply deadline.
  Result<FtpReply> read_reply();
  /// The next reply that is not 1xx.
  Result<FtpReply> read_final();
  /// send() then read_reply().
  Result<FtpReply> exchange(std::string_view line);
  /// Remembers `r` as the last reply and returns the error its code means.
  std::error_code refuse(const FtpReply& r);
  /// TYPE I (or A) unless already in that type.
  Status set_type();
};

/// A data connection being set up: connected (passive) or a listener waiting for the server
/// (active, accepted only from `server`).
struct PendingData {
  Channel connected;
  TcpListener listener;
  IpAddress server;
  bool active = false;
};

/// EPSV/PASV (connects) or EPRT/PORT (listens), per the options.
Result<PendingData> prepare_data(Client::State& s);
/// Sends `command` and, on its 1xx reply, completes the data connection (accepts in active
/// mode, TLS handshake when PROT P is on). Any other reply is its error.
Result<Channel> open_data(Client::State& s, PendingData pending, std::string_view command);

/// The end of a transfer whose data connection is done (`pumped` says how it went): the final
/// reply (226) decides; after a failed pump it is not waited for.
Status finish_transfer(Client::State& s, Status pumped);

}  // namespace sockit::ftp
