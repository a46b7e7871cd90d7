// Buffer: a growable byte buffer for connection input and output, in the style of muduo's
// net/Buffer.h.
//
//   +-------------------+------------------+------------------+
//   | prependable bytes |  readable bytes  |  writable bytes  |
//   |                   |     (content)    |                  |
//   +-------------------+------------------+------------------+
//   0      <=      read_index_   <=   write_index_    <=    capacity_
//
// Invariant: 0 <= read_index_ <= write_index_ <= capacity_. Reading (consume) moves read_index_
// right; writing (append, commit) moves write_index_ right. A fresh or emptied buffer keeps
// kCheapPrepend bytes in front so a codec can prepend a length header without moving the
// payload.
//
// Memory policy (why no allocation per read/write once warmed up):
//   - when the readable part becomes empty, both indices jump back to kCheapPrepend (free);
//   - ensure_writable() first compacts (moves the readable bytes to the front) when the free
//     space on both sides suffices, and only otherwise grows, at least doubling, so a buffer
//     that has once held its working set never allocates again;
//   - capacity never shrinks by itself (that would churn under bursty traffic); the owner calls
//     shrink_to_fit() when it knows a connection went idle.
//
// Thread rule: a Buffer has a single owner and is not thread-safe (like std::vector). Spans and
// views into it stay valid until the next call that writes, grows, compacts or shrinks it
// (append, prepend, ensure_writable, writable, commit, shrink_to_fit, move); consume() and
// peeks never move bytes.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace sockit {

class Buffer {
 public:
  static constexpr std::size_t kCheapPrepend = 8;
  static constexpr std::size_t kInitialSize = 1024;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  /// Allocates kCheapPrepend + initial_size bytes up front (0 defers allocation to first use).
  explicit Buffer(std::size_t initial_size = kInitialSize);
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() = default;

  std::size_t readable_bytes() const noexcept { return write_index_ - read_index_; }
  std::size_t writable_bytes() const noexcept { return capacity_ - write_index_; }
  std::size_t prependable_bytes() const noexcept { return read_index_; }
  std::size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return read_index_ == write_index_; }

  /// The readable bytes, as bytes or as characters (binary-safe either way).
  std::span<const std::byte> readable() const noexcept {
    return {data_.get() + read_index_, readable_bytes()};
  }
  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(data_.get() + read_index_), readable_bytes()};
  }

  /// Appends bytes at the end of the readable part, growing or compacting as needed.
  void append(std::span<const std::byte> bytes);
  void append(std::string_view text) { append(std::as_bytes(std::span(text))); }
  /// Inserts bytes in front of the readable part (e.g. a length header written after the
  /// payload); moves the content only when the prependable part is too small.
  void prepend(std::span<const std::byte> bytes);

  /// Drops the first n readable bytes (all of them if n exceeds readable_bytes()).
  void consume(std::size_t n) noexcept;
  void consume_all() noexcept { read_index_ = write_index_ = home(); }
  /// Copies and drops the first n readable bytes (clamped to readable_bytes()).
  std::string retrieve_as_string(std::size_t n);
  std::string retrieve_all_as_string() { return retrieve_as_string(readable_bytes()); }

  /// Makes at least n writable bytes available (compacting first, growing only if needed).
  void ensure_writable(std::size_t n);
  /// The writable area, for reading straight into the buffer; follow with commit(count).
  std::span<std::byte> writable() noexcept {
    return {data_.get() + write_index_, writable_bytes()};
  }
  /// Marks n bytes of the writable area as readable (clamped to writable_bytes()).
  void commit(std::size_t n) noexcept;

  /// Offset (from the start of the readable part) of the first `needle` at or after `from`,
  /// or npos. An empty needle is found at `from` when from <= readable_bytes().
  std::size_t find(std::string_view needle, std::size_t from = 0) const noexcept;
  /// Offset of the first byte `c` at or after `from`, or npos (memchr speed).
  std::size_t find_byte(char c, std::size_t from = 0) const noexcept;
  /// Offset of the first "\r\n", or npos.
  std::size_t find_crlf(std::size_t from = 0) const noexcept { return find("\r\n", from); }
  /// Offset of the first '\n', or npos.
  std::size_t find_eol(std::size_t from = 0) const noexcept { return find_byte('\n', from); }

  /// Releases memory beyond the readable bytes plus `reserve` writable bytes (reallocates).
  void shrink_to_fit(std::size_t reserve = 0);

 private:
  // Where both indices rest when the buffer is empty (0 only before the first allocation).
  std::size_t home() const noexcept { return capacity_ != 0 ? kCheapPrepend : 0; }
  void make_space(std::size_t n);
  void reallocate(std::size_t new_capacity);

  std::unique_ptr<std::byte[]> data_;
  std::size_t capacity_ = 0;
  std::size_t read_index_ = 0;
  std::size_t write_index_ = 0;
};

}  // namespace sockit
