// AsyncTlsStream: TLS over an AsyncStream for coroutines, modelling AsyncByteStream
// (stream/stream.hpp), with AsyncStream's send_all / recv_exact / recv_until (same names,
// results and limits; written once in async/async_io.hpp).
//
//   Task<void> serve(AsyncStream s, const TlsServerContext& ctx) {
//     auto tls = co_await tls_accept(std::move(s), ctx, Deadline::after(10s));
//     if (!tls) co_return;  // deadline_passed for a client that said nothing, or the TLS error
//     auto line = co_await tls->recv_until("\n", 4096, Deadline::after(30s));
//     ...
//   }
//
// The loop never blocks inside OpenSSL: the engine is a sans-I/O TlsSession, and when it needs
// the peer's bytes (want_input) or has records to send, the operation co_awaits the underlying
// AsyncStream's read_some / send_all, under the caller's Deadline. Results and errors are the
// blocking TlsStream's (tls/stream.hpp): read_some gives 0 only after close_notify, an EOF
// without it is TlsErrc::truncated, shutdown(write) sends close_notify and then FIN and
// reading goes on; errors of the AsyncStream pass through unchanged.
//
// Allocation: each operation is a coroutine (one frame), plus OpenSSL's own; the stream's
// state is one allocation, so the stream may be moved while operations are pending.
// Thread rule: AsyncStream's (loop thread only). At most one reading and one writing operation
// at a time (a reader and a writer task may run side by side once the handshake is done).
#pragma once

#include <coroutine>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "sockit/async/async.hpp"
#include "sockit/async/task.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/tls/context.hpp"
#include "sockit/tls/session.hpp"

namespace sockit {

/// The awaitable the operations below return: owns the coroutine doing the work, so that
/// `s.read_some(...).await_resume()` has the shape AsyncByteStream asks for. Destroying it
/// (with the task awaiting it) cancels the work and the AsyncStream operation it waits for.
template <class T>
class [[nodiscard]] TlsOp {
 public:
  explicit TlsOp(Task<T> task) noexcept
      : task_(std::move(task)), awaiter_(std::move(task_).operator co_await()) {}
  TlsOp(TlsOp&&) noexcept = default;
  TlsOp& operator=(TlsOp&&) = delete;

  bool await_ready() const noexcept { return awaiter_.await_ready(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return awaiter_.await_suspend(h); }
  T await_resume() noexcept { return awaiter_.await_resume(); }

 private:
  Task<T> task_;
  typename Task<T>::Awaiter awaiter_;
};

class AsyncTlsStream {
 public:
  /// Empty (also what a move leaves): a target for move-assignment; its operations fail with
  /// EBADF, as an empty AsyncStream's do.
  AsyncTlsStream() noexcept;
  /// Wraps a connected stream and a fresh session; tls_connect / tls_accept below do this and
  /// run the handshake.
  AsyncTlsStream(AsyncStream stream, TlsSession session);
  AsyncTlsStream(AsyncTlsStream&&) noexcept;
  AsyncTlsStream& operator=(AsyncTlsStream&&) noexcept;
  ~AsyncTlsStream();

  TlsOp<Status> handshake(Deadline deadline = {});

  /// Plaintext bytes (buffered ones first, see recv_until); 0 only after close_notify.
  TlsOp<Result<std::size_t>> read_some(std::span<std::byte> buffer, Deadline deadline = {});
  /// Encrypts a prefix of `data`; its records are sent before the operation completes.
  TlsOp<Result<std::size_t>> write_some(std::span<const std::byte> data, Deadline deadline = {});
  /// write / both: close_notify, then the AsyncStream's shutdown; read: the AsyncStream's only.
  TlsOp<Status> shutdown(ShutdownHow how, Deadline deadline = {});

  TlsOp<Status> send_all(std::span<const std::byte> data, Deadline deadline = {},
                         std::size_t* sent = nullptr);
  TlsOp<Status> send_all(std::string_view text, Deadline deadline = {},
                         std::size_t* sent = nullptr) {
    return send_all(std::as_bytes(std::span(text)), deadline, sent);
  }
  TlsOp<Status> recv_exact(std::span<std::byte> buffer, Deadline deadline = {},
                           std::size_t* received = nullptr);
  /// The next line without its delimiter, a view into the stream's plaintext buffer valid
  /// until the next read. `delimiter` must stay alive until the operation completes.
  TlsOp<Result<std::string_view>> recv_until(std::string_view delimiter, std::size_t max,
                                             Deadline deadline = {});

  /// Closes the transport now (no close_notify); pending operations complete with
  /// Errc::cancelled.
  void close() noexcept;
  bool valid() const noexcept;
  /// Plaintext decrypted but not yet handed out (recv_until reads ahead).
  std::size_t buffered() const noexcept;

  std::string protocol() const;
  std::string cipher() const;
  std::string alpn() const;
  bool resumed() const noexcept;
  std::string peer_fingerprint() const;
  bool peer_closed() const noexcept;

  /// The transport and the engine of a non-empty stream (moving bytes through them directly
  /// would desynchronise the TLS records).
  AsyncStream& next_layer() noexcept;
  const TlsSession& session() const noexcept;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

/// `co_await tls_connect(std::move(stream), context, host, deadline)`: the client handshake
/// (see TlsSession::client for `host` and `cache_key`), or its error.
TlsOp<Result<AsyncTlsStream>> tls_connect(AsyncStream stream, const TlsClientContext& context,
                                          std::string_view host, Deadline deadline = {},
                                          std::string_view cache_key = {});
/// `co_await tls_accept(std::move(stream), context, deadline)`: the server handshake, or its
/// error (Errc::deadline_passed for a client that connects and says nothing).
TlsOp<Result<AsyncTlsStream>> tls_accept(AsyncStream stream, const TlsServerContext& context,
                                         Deadline deadline = {});

}  // namespace sockit
