// Complete I/O over any ByteStream (stream.hpp: TcpStream, UnixStream, later a TLS stream): the
// lecture's "send() and recv() may move fewer bytes than asked" problem, solved once. The
// coroutine forms (AsyncStream::send_all, recv_exact, recv_until) have the same names, the same
// results and the same limits:
//
//   send_all     every byte, or an error; `sent` (if given) = bytes handed over, also on failure.
//   recv_exact   fills `out`, or an error; `received` (if given) = bytes stored, also on failure.
//                End of stream before the first byte: Errc::end_of_stream (a clean end at a
//                message boundary); after some bytes: Errc::closed_early (a message cut off).
//   recv_until   the next line WITHOUT its delimiter, as a view into `in` that stays valid
//                until the next call that reads into `in`; the delimiter is consumed, bytes read
//                past it stay in `in` (keep one Buffer per stream and pass it every time).
//                `max` bounds the line without its delimiter (codec/line.hpp split_delimited).
//                End of stream with nothing buffered: Errc::end_of_stream; in the middle of a
//                line: Errc::closed_early (the partial line stays in `in`).
//
// The Deadline bounds the whole call, not each read or write: a peer trickling bytes cannot
// keep a call going past it (then Errc::deadline_passed, equal to std::errc::timed_out).
// Thread rule: one stream, one thread at a time; a Buffer passed in belongs to the call.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "sockit/codec/line.hpp"
#include "sockit/core/buffer.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/stream/stream.hpp"

namespace sockit {

template <ByteStream S>
[[nodiscard]] Status send_all(S& stream, std::span<const std::byte> data, Deadline deadline = {},
                              std::size_t* sent = nullptr) {
  std::size_t done = 0;
  Status st;
  while (done < data.size()) {
    if (done != 0 && deadline.expired()) {  // a slow reader cannot stretch the call
      st = fail(Errc::deadline_passed);
      break;
    }
    auto n = stream.write_some(data.subspan(done), deadline);
    if (!n) {
      st = fail(n.error());
      break;
    }
    done += *n;
  }
  if (sent != nullptr) *sent = done;
  return st;
}

template <ByteStream S>
[[nodiscard]] Status send_all(S& stream, std::string_view data, Deadline deadline = {},
                              std::size_t* sent = nullptr) {
  return send_all(stream, std::as_bytes(std::span(data)), deadline, sent);
}

template <ByteStream S>
[[nodiscard]] Status recv_exact(S& stream, std::span<std::byte> out, Deadline deadline = {},
                                std::size_t* received = nullptr) {
  std::size_t done = 0;
  Status st;
  while (done < out.size()) {
    if (done != 0 && deadline.expired()) {  // a trickling peer cannot stretch the call
      st = fail(Errc::deadline_passed);
      break;
    }
    auto n = stream.read_some(out.subspan(done), deadline);
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
  return st;
}

template <ByteStream S>
[[nodiscard]] Result<std::string_view> recv_until(S& stream, Buffer& in, std::string_view delimiter,
                                                  std::size_t max, Deadline deadline = {}) {
  constexpr std::size_t kReadChunk = 4096;
  std::size_t scanned = 0;
  for (bool first = true;; first = false) {
    const Decoded d = split_delimited(in.view(), delimiter, max, scanned);
    if (d.is_frame()) {
      in.consume(d.frame.size() + delimiter.size());  // consume() keeps the bytes in place
      return d.frame;
    }
    if (d.failed()) return fail(d.error);
    if (!first && deadline.expired()) return fail(Errc::deadline_passed);
    in.ensure_writable(kReadChunk);
    auto n = stream.read_some(in.writable(), deadline);
    if (!n) return fail(n.error());
    if (*n == 0) return fail(in.empty() ? Errc::end_of_stream : Errc::closed_early);
    in.commit(*n);
  }
}

}  // namespace sockit
