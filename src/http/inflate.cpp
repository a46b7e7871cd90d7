#include "sockit/http/inflate.hpp"

#include <zlib.h>

#include <array>

#include "sockit/codec/http.hpp"

namespace sockit::http {

Result<Coding> parse_coding(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
  if (value.empty() || http_iequals(value, "identity")) return Coding::identity;
  if (http_iequals(value, "gzip") || http_iequals(value, "x-gzip")) return Coding::gzip;
  if (http_iequals(value, "deflate")) return Coding::deflate;
  return fail(std::make_error_code(std::errc::not_supported));
}

struct Inflater::Impl {
  Coding coding = Coding::identity;
  Sink sink;
  z_stream z{};
  bool started = false;  // inflateInit2 done (deflate waits for its first bytes: raw or zlib?)
  bool ended = false;    // Z_STREAM_END seen
  std::array<unsigned char, 64 * 1024> out{};

  ~Impl() {
    if (started) inflateEnd(&z);
  }

  Status start(std::string_view first) {
    // deflate: RFC 9110 says zlib format; some servers send a raw deflate stream. A zlib
    // header's first byte has compression method 8 in its low nibble and passes the check.
    int bits = 15 + 32;  // gzip (or zlib) by header detection
    if (coding == Coding::deflate) {
      const auto b0 = static_cast<unsigned char>(first[0]);
      const bool zlib_header =
          first.size() < 2 ||
          ((b0 & 0x0f) == 8 && ((b0 << 8) | static_cast<unsigned char>(first[1])) % 31 == 0);
      bits = zlib_header ? 15 : -15;
    }
    if (inflateInit2(&z, bits) != Z_OK)
      return fail(std::make_error_code(std::errc::not_enough_memory));
    started = true;
    return {};
  }

  Status feed(std::string_view piece) {
    if (piece.empty()) return {};
    if (ended)
      return fail(
          std::make_error_code(std::errc::illegal_byte_sequence));  // bytes after the stream's end
    if (!started) {
      if (auto ok = start(piece); !ok) return ok;
    }
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
    z.avail_in = static_cast<uInt>(piece.size());
    while (z.avail_in > 0 && !ended) {
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      const int rc = inflate(&z, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
        return fail(std::make_error_code(std::errc::illegal_byte_sequence));
      const std::size_t n = out.size() - z.avail_out;
      if (n > 0) {
        if (auto ok = sink(std::string_view(reinterpret_cast<const char*>(out.data()), n)); !ok)
          return ok;
      }
      if (rc == Z_STREAM_END) ended = true;
      if (rc == Z_BUF_ERROR && n == 0) break;
    }
    return {};
  }
};

Inflater::Inflater(Coding coding, Sink sink) : impl_(std::make_unique<Impl>()) {
  impl_->coding = coding;
  impl_->sink = std::move(sink);
}

Inflater::~Inflater() = default;
Inflater::Inflater(Inflater&&) noexcept = default;
Inflater& Inflater::operator=(Inflater&&) noexcept = default;

Status Inflater::feed(std::string_view piece) {
  if (impl_->coding == Coding::identity) return impl_->sink(piece);
  return impl_->feed(piece);
}

Status Inflater::finish() {
  if (impl_->coding == Coding::identity || impl_->ended) return {};
  // An empty body is a valid "nothing"; a started stream must have reached its end.
  if (!impl_->started) return {};
  return fail(std::make_error_code(std::errc::illegal_byte_sequence));
}

}  // namespace sockit::http
