// TLS for the load engine: one TlsSession per connection, driven over the connection's
// non-blocking socket with calls shaped like sys/stream_io.hpp's (bytes, or minus the errno
// value), so that the echo and bulk loops treat a TLS and a plain connection alike. The handshakes
// run in the connect phase (handshake_all), before the clock starts.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <system_error>
#include <vector>

#include "sockit/sys/fd.hpp"
#include "sockit/tls/session.hpp"
#include "sockit/tools/bench.hpp"

namespace sockit::bench::detail {

class TlsLink {
 public:
  /// `scratch`: the thread's buffer for ciphertext between socket and session (shared by its
  /// links: one record's worth).
  TlsLink(TlsSession session, std::vector<std::byte>* scratch);

  /// Like stream_io::transmit: plaintext bytes taken, or -errno (-EAGAIN: the socket is full;
  /// -EIO: a TLS error, see error()). Ciphertext that did not fit in the socket waits in the link.
  ssize_t send(int fd, const std::byte* data, std::size_t n);
  /// Like stream_io::receive: plaintext bytes, 0 at the end of the stream, or -errno. Fills `out`
  /// as far as the socket allows: a short count means the socket had no more for now, so a
  /// caller on a level-triggered poller must call again only when it returned out.size().
  ssize_t recv(int fd, std::byte* out, std::size_t n);
  /// Sends waiting ciphertext as far as the socket takes it: 0, or -errno on a socket error.
  int flush(int fd);
  /// Ciphertext waits for the socket: keep the connection registered for writing.
  bool has_output() const noexcept;
  /// One step of the client handshake: true when it is complete; an error when it failed.
  /// Waiting for the server: false (call again when the socket is readable).
  Result<bool> handshake(int fd);
  std::error_code error() const noexcept { return error_; }

 private:
  ssize_t fill(int fd, bool& eof);

  std::optional<TlsSession> session_;
  std::vector<std::byte>* scratch_;
  std::vector<std::byte> out_;  // ciphertext the socket refused, sent from out_begin_ on
  std::size_t out_begin_ = 0;
  std::error_code error_;
};

/// Runs the TLS handshake on every connection in `fds` until `deadline_ns`. Those that finish
/// stay in `fds` with their link in `links` (same index); the rest are closed and counted in
/// errors.connect, the first reason in `first_error` (a TLS error: the certificate check, an
/// alert, ...).
void handshake_all(const Options& options, std::vector<UniqueFd>& fds, std::vector<TlsLink>& links,
                   std::vector<std::byte>* scratch, std::uint64_t deadline_ns, ErrorCounts& errors,
                   std::error_code& first_error);

}  // namespace sockit::bench::detail
