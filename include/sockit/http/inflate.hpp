// Content-Encoding decoding for a client: gzip and deflate (zlib-wrapped, or raw as some
// servers send it) through zlib, piece by piece, so a compressed download is never held whole.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "sockit/core/error.hpp"

namespace sockit::http {

enum class Coding : std::uint8_t { identity, gzip, deflate };

/// The coding a Content-Encoding value names; std::errc::not_supported for any other (and for
/// a list of several codings).
[[nodiscard]] Result<Coding> parse_coding(std::string_view content_encoding);

class Inflater {
 public:
  using Sink = std::function<Status(std::string_view)>;
  /// Decoded bytes go to `sink`.
  Inflater(Coding coding, Sink sink);
  ~Inflater();
  Inflater(Inflater&&) noexcept;
  Inflater& operator=(Inflater&&) noexcept;

  /// Decodes one piece; std::errc::illegal_byte_sequence for corrupt data.
  [[nodiscard]] Status feed(std::string_view piece);
  /// The body ended: std::errc::illegal_byte_sequence when the compressed stream did not.
  [[nodiscard]] Status finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sockit::http
