// Length-prefix codec (sans-I/O): each frame is a 4-byte big-endian unsigned length followed by
// that many payload bytes (muduo's LengthHeaderCodec, with an explicit maximum).
//
//   +----------------+----------------------+
//   | u32 length, BE | payload (length bytes)|
//   +----------------+----------------------+
//
// A zero length is a valid, empty frame. A header announcing more than max_frame is
// Errc::frame_too_long as soon as the 4 header bytes are in: the decoder never waits for (or
// buffers) a payload it is going to refuse.
//
// Cost: O(1) work per frame plus the copy into the internal Buffer; the Buffer reserves room for
// a whole announced frame once and reuses its memory, so after warm-up decoding allocates
// nothing per frame.
//
// Thread rule: single owner, not thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "sockit/codec/decoded.hpp"
#include "sockit/core/buffer.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

class LengthPrefixDecoder {
 public:
  static constexpr std::size_t kHeaderSize = 4;

  explicit LengthPrefixDecoder(std::size_t max_frame);

  /// Appends input. Ignored (dropped) while the decoder is in the error state.
  void feed(std::span<const std::byte> bytes);
  void feed(std::string_view bytes) { feed(std::as_bytes(std::span(bytes))); }

  /// The next complete payload (without its header), need_more, or an error. A returned frame
  /// view stays valid until the next call to feed(), next() or reset(). After an error the
  /// decoder stays failed and returns the same error from every next() until reset().
  Decoded next();

  /// Forgets buffered bytes and any error, keeping the memory for reuse.
  void reset() noexcept;

  /// Bytes held that have not been returned as (part of) a frame yet.
  std::size_t buffered() const noexcept { return buffer_.readable_bytes() - consumed_on_next_; }
  std::size_t max_frame() const noexcept { return max_frame_; }

 private:
  Buffer buffer_;
  std::size_t max_frame_;
  std::size_t consumed_on_next_ = 0;  // the last header + payload, dropped lazily
  std::error_code error_;
};

/// Appends header + payload. A payload longer than max_frame or than a u32 can announce is
/// Errc::frame_too_long and nothing is appended.
[[nodiscard]] Status encode_frame(Buffer& out, std::string_view payload,
                                  std::size_t max_frame = static_cast<std::size_t>(-1));
[[nodiscard]] Status encode_frame(std::string& out, std::string_view payload,
                                  std::size_t max_frame = static_cast<std::size_t>(-1));

}  // namespace sockit
