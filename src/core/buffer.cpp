#include "sockit/core/buffer.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace sockit {

Buffer::Buffer(std::size_t initial_size) {
  if (initial_size != 0) {
    capacity_ = kCheapPrepend + initial_size;
    // for_overwrite: no zero-filling of memory we are about to overwrite anyway.
    data_ = std::make_unique_for_overwrite<std::byte[]>(capacity_);
    read_index_ = write_index_ = kCheapPrepend;
  }
}

Buffer::Buffer(Buffer&& other) noexcept
    : data_(std::move(other.data_)),
      capacity_(std::exchange(other.capacity_, 0)),
      read_index_(std::exchange(other.read_index_, 0)),
      write_index_(std::exchange(other.write_index_, 0)) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    data_ = std::move(other.data_);
    capacity_ = std::exchange(other.capacity_, 0);
    read_index_ = std::exchange(other.read_index_, 0);
    write_index_ = std::exchange(other.write_index_, 0);
  }
  return *this;
}

void Buffer::append(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  ensure_writable(bytes.size());
  std::memcpy(data_.get() + write_index_, bytes.data(), bytes.size());
  write_index_ += bytes.size();
}

void Buffer::prepend(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  if (read_index_ < bytes.size()) {
    // Shift the content right by the missing amount; rare, since kCheapPrepend covers headers.
    ensure_writable(bytes.size() - read_index_);  // may compact or regrow: read_index_ only rises
    if (read_index_ < bytes.size()) {
      std::size_t shift = bytes.size() - read_index_;
      std::memmove(data_.get() + read_index_ + shift, data_.get() + read_index_, readable_bytes());
      read_index_ += shift;
      write_index_ += shift;
    }
  }
  read_index_ -= bytes.size();
  std::memcpy(data_.get() + read_index_, bytes.data(), bytes.size());
}

void Buffer::consume(std::size_t n) noexcept {
  if (n < readable_bytes()) {
    read_index_ += n;
  } else {
    consume_all();
  }
}

std::string Buffer::retrieve_as_string(std::size_t n) {
  n = std::min(n, readable_bytes());
  std::string out(view().substr(0, n));
  consume(n);
  return out;
}

void Buffer::ensure_writable(std::size_t n) {
  if (writable_bytes() < n) make_space(n);
}

void Buffer::commit(std::size_t n) noexcept {
  write_index_ += std::min(n, writable_bytes());
}

void Buffer::make_space(std::size_t n) {
  std::size_t len = readable_bytes();
  // After a prepend() the read index may sit below kCheapPrepend: nothing to reclaim then.
  std::size_t reclaimable = read_index_ > kCheapPrepend ? read_index_ - kCheapPrepend : 0;
  if (reclaimable != 0 && reclaimable + writable_bytes() >= n) {
    // Enough room once the consumed bytes in front are reclaimed: compact instead of growing.
    std::memmove(data_.get() + kCheapPrepend, data_.get() + read_index_, len);
    read_index_ = kCheapPrepend;
    write_index_ = kCheapPrepend + len;
    return;
  }
  std::size_t needed = kCheapPrepend + len + n;
  reallocate(std::max(needed, capacity_ * 2));
}

void Buffer::reallocate(std::size_t new_capacity) {
  std::size_t len = readable_bytes();
  auto fresh = std::make_unique_for_overwrite<std::byte[]>(new_capacity);
  if (len != 0) std::memcpy(fresh.get() + kCheapPrepend, data_.get() + read_index_, len);
  data_ = std::move(fresh);
  capacity_ = new_capacity;
  read_index_ = kCheapPrepend;
  write_index_ = kCheapPrepend + len;
}

void Buffer::shrink_to_fit(std::size_t reserve) {
  std::size_t wanted = kCheapPrepend + readable_bytes() + reserve;
  if (wanted >= capacity_) return;
  if (readable_bytes() == 0 && reserve == 0) {
    data_.reset();
    capacity_ = read_index_ = write_index_ = 0;
    return;
  }
  reallocate(wanted);
}

std::size_t Buffer::find(std::string_view needle, std::size_t from) const noexcept {
  std::string_view hay = view();
  if (from > hay.size()) return npos;
  if (needle.size() == 1) return find_byte(needle[0], from);
  std::size_t pos = hay.find(needle, from);
  return pos == std::string_view::npos ? npos : pos;
}

std::size_t Buffer::find_byte(char c, std::size_t from) const noexcept {
  std::size_t len = readable_bytes();
  if (from >= len) return npos;
  const void* base = data_.get() + read_index_;
  const void* hit = std::memchr(static_cast<const char*>(base) + from, c, len - from);
  if (hit == nullptr) return npos;
  return static_cast<std::size_t>(static_cast<const char*>(hit) - static_cast<const char*>(base));
}

}  // namespace sockit
