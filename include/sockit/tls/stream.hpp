// TlsStream<S>: TLS over any blocking ByteStream (TcpStream, UnixStream), itself a ByteStream,
// so stream/io.hpp's send_all / recv_exact / recv_until, and every codec, work over it
// unchanged.
//
//   auto tcp = TcpStream::connect("example.org", "443", {.deadline = deadline});
//   auto tls = tls_connect(std::move(*tcp), client_context, "example.org", deadline);
//   if (!tls) return explain(tls.error(), "TLS handshake");  // says which check failed
//   auto line = recv_until(*tls, buffer, "\n", 4096, deadline);
//
// The engine is a sans-I/O TlsSession (session.hpp); this template is its driver: every call
// runs the session until it produces what the caller asked for, sending the ciphertext it
// queues with the underlying stream's write_some and feeding it what that stream's read_some
// returns, both with the caller's Deadline. So a read may first write (a handshake message, a
// key-update answer) and a write may first read; the caller never learns the direction.
//
//   read_some   plaintext bytes, or 0 only after the peer's close_notify. An EOF of the
//               transport without close_notify is TlsErrc::truncated (during the handshake
//               TlsErrc::handshake_eof): a cut connection never looks like a clean end.
//   write_some  encrypts a prefix of the data and has sent its records before returning.
//   shutdown    write: sends close_notify, then shuts the transport's write side; reading goes
//               on (half-close: the peer may keep sending until its own close_notify).
//               read: the transport's read side. both: the two.
// Errors of the underlying stream come back unchanged (EPIPE, ECONNRESET, ...); a Deadline
// that passes is Errc::deadline_passed; TLS failures are tls_category() codes (error.hpp).
// After a TLS error the stream only offers shutdown of the transport and destruction.
//
// The destructor does not send close_notify (it would have to block): call
// shutdown(ShutdownHow::write, deadline) for a clean end. Move-only (as S is); one thread at a
// time, like every stream.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "sockit/core/buffer.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/stream/stream.hpp"
#include "sockit/tls/context.hpp"
#include "sockit/tls/error.hpp"
#include "sockit/tls/session.hpp"

namespace sockit {

template <ByteStream S>
class TlsStream {
 public:
  /// Wraps a connected stream and a fresh session; nothing is sent until handshake() or the
  /// first read/write. tls_connect / tls_accept below do both and run the handshake.
  TlsStream(S stream, TlsSession session)
      : stream_(std::move(stream)), session_(std::move(session)), in_(0) {}

  /// Runs the handshake to its end: certificate and name checks included (client side).
  [[nodiscard]] Status handshake(Deadline deadline = {}) {
    for (;;) {
      auto progress = session_.handshake();
      if (auto sent = flush(deadline); !sent && progress) return sent;
      if (!progress) return fail(progress.error());
      if (*progress == TlsProgress::done) return {};
      if (*progress == TlsProgress::want_input) {
        if (auto got = fill(deadline); !got) return got;
      }
    }
  }

  [[nodiscard]] Result<std::size_t> read_some(std::span<std::byte> out, Deadline deadline = {}) {
    if (out.empty() || session_.peer_closed()) return 0;
    for (;;) {
      auto io = session_.read(out);
      // Reading may have queued records (handshake, key update, the alert of a failure).
      if (auto sent = flush(deadline); !sent && io) return fail(sent.error());
      if (!io) return fail(io.error());
      if (io->bytes > 0 || io->progress == TlsProgress::closed) return io->bytes;
      if (io->progress == TlsProgress::want_input) {
        if (auto got = fill(deadline); !got) return fail(got.error());
      }
    }
  }

  [[nodiscard]] Result<std::size_t> write_some(std::span<const std::byte> data,
                                               Deadline deadline = {}) {
    if (data.empty()) return 0;
    for (;;) {
      auto io = session_.write(data);
      if (auto sent = flush(deadline); !sent && io) return fail(sent.error());
      if (!io) return fail(io.error());
      if (io->bytes > 0) return io->bytes;
      if (io->progress == TlsProgress::want_input) {  // the handshake needs the peer first
        if (auto got = fill(deadline); !got) return fail(got.error());
      }
    }
  }

  [[nodiscard]] Status shutdown(ShutdownHow how, Deadline deadline = {}) {
    if (how != ShutdownHow::read) {
      if (auto closed = session_.close(); !closed) return closed;
      if (auto sent = flush(deadline); !sent) return sent;
    }
    return stream_.shutdown(how);
  }

  /// After the handshake: "TLSv1.3", the cipher suite, the agreed ALPN protocol, whether the
  /// session was resumed, the peer certificate's SHA-256 fingerprint (see TlsSession).
  std::string protocol() const { return session_.protocol(); }
  std::string cipher() const { return session_.cipher(); }
  std::string alpn() const { return session_.alpn(); }
  bool resumed() const noexcept { return session_.resumed(); }
  std::string peer_fingerprint() const { return session_.peer_fingerprint(); }
  bool peer_closed() const noexcept { return session_.peer_closed(); }

  /// The transport and the engine, for options and descriptors (moving bytes through them
  /// directly would desynchronise the TLS records).
  S& next_layer() noexcept { return stream_; }
  const S& next_layer() const noexcept { return stream_; }
  const TlsSession& session() const noexcept { return session_; }

 private:
  // Every queued record goes out before a call returns, so a reported write is on the wire.
  Status flush(Deadline deadline) {
    std::array<std::byte, 16 * 1024> chunk;
    while (session_.pending_output() > 0) {
      const std::size_t n = session_.take_output(chunk);
      for (std::size_t sent = 0; sent < n;) {
        auto w = stream_.write_some(std::span(chunk).subspan(sent, n - sent), deadline);
        if (!w) return fail(w.error());
        sent += *w;
      }
    }
    return {};
  }

  // One read of ciphertext into the session. Bytes the session had no room for (it holds at
  // most kMaxBufferedInput unread) wait in in_ and go first next time.
  Status fill(Deadline deadline) {
    constexpr std::size_t kReadChunk = 16 * 1024 + 512;  // one full record and its overhead
    if (in_.empty()) {
      in_.ensure_writable(kReadChunk);
      auto n = stream_.read_some(in_.writable().first(kReadChunk), deadline);
      if (!n) return fail(n.error());
      if (*n == 0) {
        session_.feed_eof();  // the session turns it into truncated / handshake_eof
        return {};
      }
      in_.commit(*n);
    }
    in_.consume(session_.feed(in_.readable()));
    return {};
  }

  S stream_;
  TlsSession session_;
  Buffer in_;
};

/// Connects TLS over `stream` as a client of `host` (see TlsSession::client for how a name or
/// an IP literal is checked, and for `cache_key`) and runs the handshake under `deadline`.
template <ByteStream S>
[[nodiscard]] Result<TlsStream<S>> tls_connect(S stream, const TlsClientContext& context,
                                               std::string_view host, Deadline deadline = {},
                                               std::string_view cache_key = {}) {
  auto session = TlsSession::client(context, host, cache_key);
  if (!session) return fail(session.error());
  TlsStream<S> tls(std::move(stream), std::move(*session));
  if (auto shaken = tls.handshake(deadline); !shaken) return fail(shaken.error());
  return tls;
}

/// Serves TLS over an accepted `stream` and runs the handshake under `deadline`: a client that
/// connects and says nothing costs at most that long (then Errc::deadline_passed).
template <ByteStream S>
[[nodiscard]] Result<TlsStream<S>> tls_accept(S stream, const TlsServerContext& context,
                                              Deadline deadline = {}) {
  auto session = TlsSession::server(context);
  if (!session) return fail(session.error());
  TlsStream<S> tls(std::move(stream), std::move(*session));
  if (auto shaken = tls.handshake(deadline); !shaken) return fail(shaken.error());
  return tls;
}

}  // namespace sockit
