// TlsSession: a sans-I/O TLS engine. Ciphertext from the peer goes in with feed(), plaintext
// comes out of read(); plaintext goes in with write(), ciphertext to send comes out of
// take_output(). It never blocks and never touches a descriptor: whoever drives it (a blocking
// stream, an event loop, a test) moves the bytes. OpenSSL sits between two memory BIOs; see
// docs/decisions.md for why.
//
// Driving it: after every call, send what take_output() gives; when a call answers
// TlsProgress::want_input, read from the transport, feed() the bytes (or feed_eof() at EOF) and
// call again. Buffers are bounded: feed() accepts at most kMaxBufferedInput unread ciphertext
// bytes, and write() answers want_output while more than kMaxBufferedOutput ciphertext bytes wait.
//
// Errors are error codes in tls_category() (see sockit/tls/error.hpp): a failed certificate
// check names its reason, an alert from the peer names the alert, and an EOF without
// close_notify is TlsErrc::truncated, never a clean close. After an error the session only
// offers take_output() (it may hold the alert we send the peer); other calls fail with the same
// error. One session, one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/core/error.hpp"
#include "sockit/tls/context.hpp"
#include "sockit/tls/error.hpp"

namespace sockit {

enum class TlsProgress : std::uint8_t {
  done,         ///< the call did its work (bytes moved, handshake finished, close queued)
  want_input,   ///< it needs ciphertext from the peer first: feed() some and call again
  want_output,  ///< too much ciphertext waits: send take_output() first, then call again
  closed,       ///< the peer's close_notify arrived: no more plaintext will come (read only)
};

/// The peer's certificate as people read it (the tool's `connect --ssl -v`).
struct TlsCertificateInfo {
  std::string subject;            ///< RFC 2253 one-line form, e.g. "CN=localhost,O=Example"
  std::string issuer;             ///< the same form
  std::vector<std::string> sans;  ///< "DNS:name" and "IP:address", in certificate order
  std::int64_t not_before = 0;    ///< validity, seconds since the Unix epoch (UTC)
  std::int64_t not_after = 0;
};

struct TlsIo {
  std::size_t bytes = 0;  ///< plaintext bytes read or accepted
  TlsProgress progress = TlsProgress::done;
};

class TlsSession {
 public:
  static constexpr std::size_t kMaxBufferedInput = 64 * 1024;
  static constexpr std::size_t kMaxBufferedOutput = 64 * 1024;

  /// A client session for `host`: a DNS name (sent as SNI and matched against the certificate's
  /// DNS SANs) or an IP literal (matched against its IP SANs only, and never sent as SNI, RFC 6066
  /// §3). `cache_key` names the server for session resumption ("host:port" is a good key); empty:
  /// no resumption. A session is offered again only to the same host and key, once (TLS 1.3
  /// tickets are single use), and only if its connection ended with close() (OpenSSL drops
  /// sessions of connections that were cut). TlsErrc::no_host_name if verification is on and host
  /// is empty.
  [[nodiscard]] static Result<TlsSession> client(const TlsClientContext& context,
                                                 std::string_view host,
                                                 std::string_view cache_key = {});
  /// A client session for `host` that offers to resume `previous`'s TLS session (the latest
  /// one it holds: with TLS 1.3 the ticket that arrived after its handshake). FTPS servers
  /// require this on every data connection (it proves the data connection comes from the
  /// client that owns the control connection). Resumption not possible: a full handshake.
  [[nodiscard]] static Result<TlsSession> client_resuming(const TlsClientContext& context,
                                                          std::string_view host,
                                                          const TlsSession& previous);
  [[nodiscard]] static Result<TlsSession> server(const TlsServerContext& context);

  TlsSession(TlsSession&&) noexcept;
  TlsSession& operator=(TlsSession&&) noexcept;
  ~TlsSession();

  /// Ciphertext received from the peer. Returns how many bytes were taken (fewer than given
  /// when kMaxBufferedInput unread bytes are buffered: read() to make room).
  std::size_t feed(std::span<const std::byte> ciphertext);
  /// The transport reached EOF: what is buffered is all that will come.
  void feed_eof() noexcept;

  /// Runs the handshake as far as the input allows: done once it is complete.
  [[nodiscard]] Result<TlsProgress> handshake();
  /// Decrypted bytes into `out` (handshaking first if needed). bytes > 0 with done; 0 with
  /// want_input or closed.
  [[nodiscard]] Result<TlsIo> read(std::span<std::byte> out);
  /// Encrypts a prefix of `data` (handshaking first if needed) and reports how much it took.
  [[nodiscard]] Result<TlsIo> write(std::span<const std::byte> data);
  /// Queues our close_notify (a clean end of our direction). Send take_output() afterwards.
  [[nodiscard]] Status close();

  /// Ciphertext waiting to be sent.
  std::size_t pending_output() const noexcept;
  /// Moves up to out.size() bytes of waiting ciphertext into `out`; returns how many.
  std::size_t take_output(std::span<std::byte> out) noexcept;

  bool is_client() const noexcept;
  bool handshake_done() const noexcept;
  /// The peer's close_notify has been read.
  bool peer_closed() const noexcept;
  /// The first error the session hit, or empty.
  std::error_code error() const noexcept;

  /// After the handshake: "TLSv1.3", the cipher suite, the agreed ALPN protocol ("" if none),
  /// whether the session was resumed, and the peer certificate's fingerprint ("" if it sent none).
  std::string protocol() const;
  std::string cipher() const;
  std::string alpn() const;
  bool resumed() const noexcept;
  std::string peer_fingerprint() const;
  /// The peer's leaf certificate, once received (also after a failed verification); nullopt if
  /// it sent none.
  std::optional<TlsCertificateInfo> peer_certificate() const;
  /// On a server: the name the client asked for by SNI ("" if none, as for an IP literal).
  std::string server_name() const;

  struct Impl;

 private:
  explicit TlsSession(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sockit
