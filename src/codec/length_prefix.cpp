#include "sockit/codec/length_prefix.hpp"

#include <array>
#include <cstdint>

namespace sockit {
namespace {

constexpr std::size_t kMaxU32 = 0xffffffffu;

std::size_t read_be32(std::string_view header) {
  std::size_t value = 0;
  for (std::size_t i = 0; i < LengthPrefixDecoder::kHeaderSize; ++i) {
    value = (value << 8) | static_cast<unsigned char>(header[i]);
  }
  return value;
}

std::array<char, LengthPrefixDecoder::kHeaderSize> be32(std::size_t value) {
  return {static_cast<char>((value >> 24) & 0xffu), static_cast<char>((value >> 16) & 0xffu),
          static_cast<char>((value >> 8) & 0xffu), static_cast<char>(value & 0xffu)};
}

Status check_payload(std::string_view payload, std::size_t max_frame) {
  if (payload.size() > max_frame || payload.size() > kMaxU32) return fail(Errc::frame_too_long);
  return {};
}

}  // namespace

LengthPrefixDecoder::LengthPrefixDecoder(std::size_t max_frame)
    : buffer_(0), max_frame_(max_frame) {}

void LengthPrefixDecoder::feed(std::span<const std::byte> bytes) {
  if (error_) return;
  buffer_.consume(consumed_on_next_);
  consumed_on_next_ = 0;
  buffer_.append(bytes);
}

Decoded LengthPrefixDecoder::next() {
  if (error_) return Decoded::failure(error_);
  buffer_.consume(consumed_on_next_);
  consumed_on_next_ = 0;
  std::size_t have = buffer_.readable_bytes();
  if (have < kHeaderSize) return Decoded::more();
  std::size_t length = read_be32(buffer_.view());
  if (length > max_frame_) {
    error_ = make_error_code(Errc::frame_too_long);
    buffer_.consume_all();
    return Decoded::failure(error_);
  }
  std::size_t total = kHeaderSize + length;
  if (have < total) {
    // Room for the whole frame now, so the payload arrives without repeated regrowth.
    buffer_.ensure_writable(total - have);
    return Decoded::more();
  }
  consumed_on_next_ = total;
  return Decoded::of(buffer_.view().substr(kHeaderSize, length));
}

void LengthPrefixDecoder::reset() noexcept {
  buffer_.consume_all();
  consumed_on_next_ = 0;
  error_.clear();
}

Status encode_frame(Buffer& out, std::string_view payload, std::size_t max_frame) {
  if (auto ok = check_payload(payload, max_frame); !ok) return ok;
  auto header = be32(payload.size());
  out.ensure_writable(header.size() + payload.size());
  out.append(std::string_view(header.data(), header.size()));
  out.append(payload);
  return {};
}

Status encode_frame(std::string& out, std::string_view payload, std::size_t max_frame) {
  if (auto ok = check_payload(payload, max_frame); !ok) return ok;
  auto header = be32(payload.size());
  out.append(header.data(), header.size());
  out.append(payload);
  return {};
}

}  // namespace sockit
