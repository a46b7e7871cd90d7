// Complete I/O on any stream descriptor (TCP/Unix socket, socketpair, pipe): the lecture's
// "send() and recv() may move fewer bytes than asked" problem, solved once.
//
// Every function here works on blocking and non-blocking descriptors alike:
//   - sockets are always driven with MSG_DONTWAIT (and MSG_NOSIGNAL on send), so a blocking
//     socket never blocks past the deadline: on EAGAIN we poll (wait_ready) until the Deadline;
//   - a non-socket (ENOTSOCK on the first send/recv) falls back to write()/read(); if it is
//     blocking and the deadline is finite we poll before each call and cap writes at PIPE_BUF,
//     so the call cannot block past the deadline either. SIGPIPE from write() on a pipe whose
//     reader is gone is blocked and swallowed, so the caller sees EPIPE and the process lives;
//   - EINTR is retried; a deadline that passes yields std::errc::timed_out;
//   - the deadline bounds the whole call, not each syscall: a peer trickling bytes cannot keep
//     send_all()/recv_exact()/recv_until() going forever.
//
// Thread rule: the functions are reentrant; one descriptor must not be read (or written) from
// two threads at once, and a Buffer passed in belongs to the calling thread for the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

class Buffer;

enum class IoOp : std::uint8_t { send, recv };

/// One underlying syscall, as seen by a trace hook.
struct IoEvent {
  IoOp op;
  const char* call;  ///< "send", "write", "recv", "read", "recvmsg" or "readv"
  int fd;
  std::size_t requested;  ///< bytes offered (send) or room given (recv)
  std::size_t returned;   ///< bytes moved; 0 on error, and 0 on recv means end of stream
  std::error_code error;  ///< empty on success; EAGAIN/EINTR/ENOTSOCK attempts are reported too
};

/// A non-owning, non-allocating reference to a trace callback (like C++26 std::function_ref).
/// Default-constructed = no tracing; the cost is then one predictable branch per syscall.
/// It refers to the callable, so the callable must outlive every call that uses the IoTrace
/// (passing a lambda directly as an argument is fine; storing an IoTrace made from a
/// temporary is not).
class IoTrace {
 public:
  constexpr IoTrace() noexcept = default;
  constexpr IoTrace(void (*fn)(void* context, const IoEvent& event), void* context) noexcept
      : fn_(fn), context_(context) {}
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, IoTrace> &&
           std::is_invocable_v<F&, const IoEvent&>) IoTrace(F&& callable)
  noexcept  // NOLINT(google-explicit-constructor): meant to convert
      : fn_([](void* context, const IoEvent& event) {
          (*static_cast<std::remove_reference_t<F>*>(context))(event);
        }),
        context_(const_cast<void*>(static_cast<const void*>(&callable))) {}

  explicit operator bool() const noexcept { return fn_ != nullptr; }
  void operator()(const IoEvent& event) const {
    if (fn_ != nullptr) fn_(context_, event);
  }

 private:
  void (*fn_)(void*, const IoEvent&) = nullptr;
  void* context_ = nullptr;
};

/// Sends every byte of `data`, or fails. `sent` (if given) receives the number of bytes handed
/// to the kernel, also on failure. A peer that closed gives std::errc::broken_pipe (EPIPE) or
/// connection_reset, never a SIGPIPE.
[[nodiscard]] Status send_all(int fd, std::span<const std::byte> data, Deadline deadline,
                              std::size_t* sent = nullptr, IoTrace trace = {});
[[nodiscard]] Status send_all(int fd, std::string_view data, Deadline deadline,
                              std::size_t* sent = nullptr, IoTrace trace = {});

/// Fills `out` completely, or fails. If the stream ends first: Errc::closed_early. `received`
/// (if given) receives the number of bytes stored in `out`, on success and on every failure
/// (closed_early, timed_out, ...), so a caller can tell "nothing" from "half a message".
[[nodiscard]] Status recv_exact(int fd, std::span<std::byte> out, Deadline deadline,
                                std::size_t* received = nullptr, IoTrace trace = {});

/// Reads until `delimiter` and returns the line WITHOUT the delimiter; the delimiter is
/// consumed, and any bytes after it stay in `buffer` for the next call (so keep one Buffer per
/// descriptor and pass it every time; bytes already buffered are used before reading).
/// `max` bounds the line without its delimiter: a line of exactly `max` bytes is returned, and
/// once max + delimiter.size() bytes are buffered with no delimiter in them the result is
/// Errc::line_too_long (the buffer is left as is; the stream is then out of sync).
/// End of stream before the delimiter: Errc::closed_early (partial bytes stay in `buffer`).
/// An empty delimiter is std::errc::invalid_argument.
[[nodiscard]] Result<std::string> recv_until(int fd, Buffer& buffer, std::string_view delimiter,
                                             std::size_t max, Deadline deadline,
                                             IoTrace trace = {});

// ---- Buffer-level single calls for event loops (never wait; cf. socket.hpp's read_some and
// write_some, which take a span and wait until the deadline) ----------------------------------

/// One read into `buffer`'s writable area plus a 64 KiB stack overflow area (readv/recvmsg),
/// EINTR retried. Returns the bytes added; 0 means end of stream. Would-block is reported as
/// std::errc::resource_unavailable_try_again (never blocks on sockets; other descriptors
/// follow their O_NONBLOCK flag). For event loops that own a Buffer per connection.
[[nodiscard]] Result<std::size_t> read_into(int fd, Buffer& buffer, IoTrace trace = {});

/// One send of `buffer`'s readable bytes (MSG_NOSIGNAL; write() for non-sockets); the bytes
/// sent are consumed from `buffer`. Would-block as in read_into().
[[nodiscard]] Result<std::size_t> write_from(int fd, Buffer& buffer, IoTrace trace = {});

}  // namespace sockit
