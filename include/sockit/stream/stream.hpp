// What sockit calls a byte stream: the one concept the complete-I/O operations (io.hpp:
// send_all, recv_exact, recv_until) are written against. TcpStream and UnixStream model
// ByteStream; AsyncStream (async/async.hpp) models AsyncByteStream. A listening socket, a UDP
// socket or a bare int does not: the types say where a stream is wanted.
//
//   Blocking form (ByteStream):
//     s.read_some(std::span<std::byte>, Deadline)        -> Result<std::size_t>  (0 = end)
//     s.write_some(std::span<const std::byte>, Deadline) -> Result<std::size_t>  (>= 1 byte)
//     s.shutdown(ShutdownHow)                            -> Status
//   Coroutine form (AsyncByteStream): the same two calls return awaitables whose co_await
//   yields those results, and `co_await s.shutdown(ShutdownHow, Deadline)` yields a Status.
//
// Rules every model keeps: a call waits at most until its Deadline (then Errc::deadline_passed,
// which compares equal to std::errc::timed_out); read_some returns 0 only at end of stream (or
// for an empty span); a closed peer is an error (EPIPE, ECONNRESET), never a signal.
//
// A TLS stream over another stream (the tls/ layer) models both concepts without changing them:
// would-block may then be in either direction (reading may first need to send a handshake or
// key-update record, writing may first need to read the peer's handshake), and that stays
// inside the model. Its blocking read_some drives its engine with the underlying stream's
// read_some/write_some, both with the caller's Deadline, until application bytes or an error
// come out; its coroutine read_some co_awaits the underlying AsyncStream's send_all/read_some
// the same way. shutdown(write) sends close_notify (hence the awaitable, deadline-bounded
// shutdown in the coroutine form). Callers and send_all/recv_exact/recv_until never learn the
// direction. Event loops that must know it (readiness-driven code on a bare descriptor) use
// sys/io.hpp on sockets only; a TLS version of that would report the direction it waits for.
#pragma once

#include <concepts>
#include <cstddef>
#include <span>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {

template <class S>
concept ByteStream = requires(S& s, std::span<std::byte> in, std::span<const std::byte> out,
                              Deadline d) {
  { s.read_some(in, d) } -> std::same_as<Result<std::size_t>>;
  { s.write_some(out, d) } -> std::same_as<Result<std::size_t>>;
  { s.shutdown(ShutdownHow::write) } -> std::same_as<Status>;
};

/// The awaitables' await_resume() is what `co_await` yields.
template <class S>
concept AsyncByteStream = requires(S& s, std::span<std::byte> in, std::span<const std::byte> out,
                                   Deadline d) {
  { s.read_some(in, d).await_resume() } -> std::same_as<Result<std::size_t>>;
  { s.write_some(out, d).await_resume() } -> std::same_as<Result<std::size_t>>;
  { s.shutdown(ShutdownHow::write, d).await_resume() } -> std::same_as<Status>;
};

}  // namespace sockit
