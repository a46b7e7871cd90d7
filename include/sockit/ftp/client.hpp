// ftp::Client: a blocking FTP/FTPS client over one control connection, opening one data
// connection per transfer (RFC 959, RFC 2428 EPSV/EPRT, RFC 3659 SIZE/MDTM/MLSD/REST,
// RFC 4217 FTPS).
//
//   auto c = ftp::Client::connect("127.0.0.1", "21", options);
//   if (auto in = c->login("anonymous", "guest"); !in) ...       // c->last_reply() says why
//   auto got = c->retrieve("pub/file", sink);                      // checked against SIZE and 226
//
// Data connections are passive by default: EPSV, then PASV if the server does not know EPSV.
// The address a PASV reply names is ignored unless options.trust_pasv_address: the data
// connection goes to the control connection's peer (a hostile server cannot make the client
// connect elsewhere, CVE-2020-8284). Active mode (options.active_address) listens, announces
// the address with EPRT (then PORT), and accepts only a connection from the server's address.
//
// Deadlines: connect_timeout for each TCP connect, reply_timeout for each control reply,
// data_timeout for inactivity on a data connection (no byte for that long). Zero = none.
// Errors: system and TLS codes as the streams report them, codec codes for a malformed reply,
// and FtpErrc (ftp/error.hpp) for replies; last_reply() holds the reply that ended a command.
//
// Thread rule: one thread at a time. Move-only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/codec/ftp_list.hpp"
#include "sockit/codec/ftp_reply.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/ftp/error.hpp"
#include "sockit/tls/context.hpp"

namespace sockit::ftp {

enum class TlsMode : std::uint8_t {
  none,
  explicit_try,       ///< AUTH TLS if the server accepts it, else plain (curl --ssl)
  explicit_required,  ///< AUTH TLS or fail (curl --ssl-reqd)
  implicit,           ///< TLS from the first byte (ftps://, usually port 990)
};

struct ClientOptions {
  Millis connect_timeout{30'000};
  Millis reply_timeout{60'000};
  Millis data_timeout{60'000};  ///< inactivity on a data connection
  bool trust_pasv_address = false;
  /// Non-empty: active mode; the local address to listen on ("" passive). The special value
  /// "-" means the control connection's own local address.
  std::string active_address;
  /// TYPE A instead of TYPE I. Lines end in CRLF on the wire: uploads turn each LF without a
  /// CR before it into CRLF, downloads turn CRLF into LF (see ftp/ascii.hpp).
  bool ascii = false;
  /// How store_file() sends a plain (not TLS) upload in TYPE I: false (the default) reads the
  /// file into a 256 KiB buffer and sends it from there, as TLS and TYPE A do; true hands it to
  /// sendfile(2) (no copy of ours, about a quarter of the client CPU). Over loopback a server
  /// receiving from sendfile copies out of cold page-cache pages: vsftpd spent 0.76-0.78 s of
  /// CPU per GB behind sendfile against 0.65-0.68 behind the copy, and went that much slower,
  /// its core being the limit (bench/ftp.sh, docs/cli.md).
  bool sendfile = false;
  TlsMode tls = TlsMode::none;
  std::shared_ptr<const TlsClientContext> tls_context;  ///< required when tls != none
  std::string tls_host;                                 ///< the name to verify
  /// Observers for -v: every command sent (PASS masked) and every reply received.
  std::function<void(std::string_view)> on_command;
  std::function<void(const FtpReply&)> on_reply;
  /// Things worth telling a person (an ignored PASV address, a fallback to PASV).
  std::function<void(std::string_view)> on_note;
  /// Called as a transfer moves data (after each chunk), with transferred() and expected().
  std::function<void(std::uint64_t, std::optional<std::uint64_t>)> on_progress;
};

/// Where retrieved bytes go / where stored bytes come from (a file, a pipe, memory).
using Sink = std::function<Status(std::span<const std::byte>)>;
/// Fills the span; 0 = the end of the data.
using Source = std::function<Result<std::size_t>(std::span<std::byte>)>;

struct TransferResult {
  std::uint64_t bytes = 0;                ///< moved on the data connection
  std::optional<std::uint64_t> expected;  ///< from SIZE (minus the resume offset)
};

class Client {
 public:
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  /// Connects, reads the greeting, and with TLS runs AUTH TLS (or the implicit handshake).
  [[nodiscard]] static Result<Client> connect(std::string_view host, std::string_view port,
                                              ClientOptions options);

  /// USER, PASS if asked, then (with TLS) PBSZ 0 and PROT P, then TYPE.
  [[nodiscard]] Status login(std::string_view user, std::string_view password);

  /// Sends one command line and returns its final reply whatever its code (for -Q).
  [[nodiscard]] Result<FtpReply> command(std::string_view line);

  /// MLSD, or LIST when the server does not know MLSD. Lines that do not parse are kept
  /// (FtpEntry::parsed == false).
  [[nodiscard]] Result<std::vector<FtpEntry>> list(std::string_view path);
  /// NLST: names only.
  [[nodiscard]] Result<std::vector<std::string>> name_list(std::string_view path);

  /// SIZE / MDTM; std::nullopt when the server does not answer them.
  [[nodiscard]] Result<std::optional<std::uint64_t>> size(std::string_view path);
  [[nodiscard]] Result<std::optional<FtpTime>> modification_time(std::string_view path);
  /// MKD for each directory of `dir` in turn ("a/b/c" -> a, a/b, a/b/c); existing ones are fine.
  [[nodiscard]] Status make_dirs(std::string_view dir);

  /// RETR (after REST when offset > 0). The byte count is checked against SIZE and the final
  /// reply: a short transfer is FtpErrc::short_transfer (bytes already given to `sink` stay).
  [[nodiscard]] Result<TransferResult> retrieve(std::string_view path, const Sink& sink,
                                                std::uint64_t offset = 0);
  /// STOR, or APPE when `append`.
  [[nodiscard]] Result<TransferResult> store(std::string_view path, const Source& source,
                                             bool append = false);
  /// STOR (APPE when `append`) of the regular file `fd` from `offset` to its end (the
  /// descriptor's own position is neither used nor moved). On a plain data connection in TYPE I
  /// the file is read in 256 KiB chunks, or sent by the kernel with options.sendfile
  /// (sendfile(2)); with PROT P or TYPE A it is always read in chunks.
  /// expected() is the file's size minus `offset` (TYPE I). Not a regular file: EINVAL.
  [[nodiscard]] Result<TransferResult> store_file(std::string_view path, int fd,
                                                  std::uint64_t offset = 0, bool append = false);

  /// QUIT, then closes the control connection.
  Status quit();

  const FtpReply& last_reply() const noexcept;
  /// Bytes moved so far by the transfer in progress or the last one (also after a failure).
  std::uint64_t transferred() const noexcept;
  /// What SIZE announced for that transfer (minus the resume offset), when it did.
  std::optional<std::uint64_t> expected() const noexcept;
  /// Whether the control connection is protected by TLS, and its summary.
  bool secure() const noexcept;
  std::string tls_protocol() const;

  struct State;

 private:
  explicit Client(std::unique_ptr<State> state) noexcept;
  std::unique_ptr<State> s_;
};

}  // namespace sockit::ftp
