// Complete I/O over any AsyncByteStream (stream/stream.hpp), written once as coroutines: the
// rules, names and results of stream/io.hpp's blocking forms and of AsyncStream's members
// (send_all, recv_exact, recv_until), for streams that are not AsyncStream itself, such as
// AsyncTlsStream. AsyncStream keeps its own members: they are hand-made awaiters that allocate
// nothing, where each call here costs one coroutine frame.
//
// They belong to the async layer, beside Task and AsyncStream: async/ uses stream/ for the
// concept, so TLS (AsyncTlsStream), the clients and any other coroutine stream share them.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "sockit/async/task.hpp"
#include "sockit/codec/line.hpp"
#include "sockit/core/buffer.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/stream/stream.hpp"

namespace sockit {

/// Every byte, or an error; `sent` (if given) = bytes handed over, also on failure.
template <AsyncByteStream S>
Task<Status> async_send_all(S& stream, std::span<const std::byte> data, Deadline deadline = {},
                            std::size_t* sent = nullptr) {
  std::size_t done = 0;
  Status st;
  while (done < data.size()) {
    if (done != 0 && deadline.expired()) {  // a slow reader cannot stretch the call
      st = fail(Errc::deadline_passed);
      break;
    }
    auto n = co_await stream.write_some(data.subspan(done), deadline);
    if (!n) {
      st = fail(n.error());
      break;
    }
    done += *n;
  }
  if (sent != nullptr) *sent = done;
  co_return st;
}

/// Fills `out`, or an error: end of stream before the first byte is Errc::end_of_stream, after
/// some Errc::closed_early; `received` (if given) = bytes stored, also on failure.
template <AsyncByteStream S>
Task<Status> async_recv_exact(S& stream, std::span<std::byte> out, Deadline deadline = {},
                              std::size_t* received = nullptr) {
  std::size_t done = 0;
  Status st;
  while (done < out.size()) {
    if (done != 0 && deadline.expired()) {  // a trickling peer cannot stretch the call
      st = fail(Errc::deadline_passed);
      break;
    }
    auto n = co_await stream.read_some(out.subspan(done), deadline);
    if (!n) {
      st = fail(n.error());
      break;
    }
    if (*n == 0) {
      st = fail(done == 0 ? Errc::end_of_stream : Errc::closed_early);
      break;
    }
    done += *n;
  }
  if (received != nullptr) *received = done;
  co_return st;
}

/// The next line WITHOUT its delimiter, as a view into `in` (valid until the next read into
/// it); the delimiter is consumed, bytes past it stay in `in`. `max` bounds the line without
/// its delimiter. End of stream with nothing buffered: Errc::end_of_stream; in a line:
/// Errc::closed_early; too long: Errc::line_too_long. `delimiter` must outlive the call.
template <AsyncByteStream S>
Task<Result<std::string_view>> async_recv_until(S& stream, Buffer& in, std::string_view delimiter,
                                                std::size_t max, Deadline deadline = {}) {
  constexpr std::size_t kReadChunk = 4096;
  std::size_t scanned = 0;
  for (bool first = true;; first = false) {
    const Decoded d = split_delimited(in.view(), delimiter, max, scanned);
    if (d.is_frame()) {
      in.consume(d.frame.size() + delimiter.size());  // consume() keeps the bytes in place
      co_return d.frame;
    }
    if (d.failed()) co_return fail(d.error);
    if (!first && deadline.expired()) co_return fail(Errc::deadline_passed);
    in.ensure_writable(kReadChunk);
    auto n = co_await stream.read_some(in.writable(), deadline);
    if (!n) co_return fail(n.error());
    if (*n == 0) co_return fail(in.empty() ? Errc::end_of_stream : Errc::closed_early);
    in.commit(*n);
  }
}

}  // namespace sockit
