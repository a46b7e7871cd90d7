// The byte-moving system calls for stream descriptors: the one place sockit calls send(),
// recv(), recvmsg(), write(), read() and readv() on a connection (stream/, server/, async/ and
// the tool call these; see docs/architecture.md, "Where bytes meet the kernel"). Datagrams are
// socket.hpp's, accept4 is accept.hpp's, sendfile is sendfile.hpp's.
//
// The calls here never wait. Waiting forms (poll until a Deadline) are socket.hpp's read_some
// and write_some, which are built on these. Every call:
//   - drives sockets with MSG_DONTWAIT (and MSG_NOSIGNAL on send), so a socket whose O_NONBLOCK
//     was cleared still never blocks;
//   - falls back to read()/write()/readv() when the descriptor is not a socket (ENOTSOCK: a pipe
//     or file, e.g. stdin); SIGPIPE from write() on a pipe whose reader is gone is blocked and
//     swallowed, so the caller sees EPIPE and the process lives. (A non-socket follows its own
//     O_NONBLOCK flag: a blocking pipe blocks here; socket.hpp's waiting forms poll first.)
//   - retries EINTR, and reports "would block" as std::errc::resource_unavailable_try_again
//     (test it cheaply with would_block()).
//
// Thread rule: reentrant; one descriptor must not be read (or written) from two threads at once.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <type_traits>

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

/// True for the "would block" result of the calls below (and of socket.hpp's). Compares the
/// value and category directly: no virtual call, as the hot paths of the loops need.
inline bool would_block(const std::error_code& ec) noexcept {
  return (ec.value() == EAGAIN || ec.value() == EWOULDBLOCK) &&
         ec.category() == std::system_category();
}

/// One receive into `out` (recv with MSG_DONTWAIT; read() for a non-socket). Returns the bytes
/// read; 0 means end of stream (or an empty `out`, which makes no call).
[[nodiscard]] Result<std::size_t> try_read(int fd, std::span<std::byte> out, IoTrace trace = {});

/// One send of `data` (send with MSG_NOSIGNAL | MSG_DONTWAIT; write() without SIGPIPE for a
/// non-socket). Returns the bytes the kernel took, possibly fewer than data.size(); an empty
/// `data` makes no call.
[[nodiscard]] Result<std::size_t> try_write(int fd, std::span<const std::byte> data,
                                            IoTrace trace = {});

/// One receive with MSG_PEEK | MSG_DONTWAIT: copies up to out.size() queued bytes into `out`
/// and leaves them queued, so the next read returns them again. 0 means end of stream (or an
/// empty `out`, which makes no call). Sockets only (a pipe gives ENOTSOCK); never traced.
[[nodiscard]] Result<std::size_t> try_peek(int fd, std::span<std::byte> out);

/// One read into `buffer`'s writable area plus a 64 KiB stack overflow area (recvmsg; readv
/// for a non-socket), so one call drains up to 64 KiB without growing the Buffer first. Returns
/// the bytes added; 0 means end of stream. For event loops that own a Buffer per connection.
[[nodiscard]] Result<std::size_t> read_into(int fd, Buffer& buffer, IoTrace trace = {});

/// One send of `buffer`'s readable bytes, as try_write(); the bytes sent are consumed.
[[nodiscard]] Result<std::size_t> write_from(int fd, Buffer& buffer, IoTrace trace = {});

}  // namespace sockit
