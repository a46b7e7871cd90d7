// The built-in codecs behind make_codec(): raw (pass-through), line and len32 (over the
// sans-I/O LineDecoder and LengthPrefixDecoder).
#include "sockit/codec/framing.hpp"

#include <array>
#include <cstdint>
#include <limits>

#include "sockit/codec/length_prefix.hpp"
#include "sockit/codec/line.hpp"

namespace sockit {
namespace {

// Every chunk is one message, handed over straight from the connection's input buffer.
class RawCodec final : public MessageCodec {
 public:
  std::string_view name() const noexcept override { return "raw"; }
  Status decode(std::string_view bytes, MessageSink& sink) override {
    if (!bytes.empty()) (void)sink.on_message(bytes);
    return {};
  }
  Status finish(MessageSink&) override { return {}; }
  Result<Encoded> encode(std::string_view message) override { return Encoded{message, {}}; }
  bool partial() const noexcept override { return false; }
  bool transparent() const noexcept override { return true; }
  bool shared() const noexcept override { return true; }
};

RawCodec g_raw;  // stateless: one for every connection of every server

template <class Decoder>
Status deliver_all(Decoder& decoder, MessageSink& sink) {
  for (Decoded d = decoder.next(); !d.needs_more(); d = decoder.next()) {
    if (d.failed()) return fail(d.error);
    if (!sink.on_message(d.frame)) return {};
  }
  return {};
}

class LineCodec final : public MessageCodec {
 public:
  explicit LineCodec(std::size_t max_line) : decoder_(max_line, LineMode::crlf_or_lf) {}
  std::string_view name() const noexcept override { return "line"; }
  Status decode(std::string_view bytes, MessageSink& sink) override {
    decoder_.feed(bytes);
    return deliver_all(decoder_, sink);
  }
  // The peer's last line lacked its ending: end it for them rather than drop it.
  Status finish(MessageSink& sink) override {
    if (!partial()) return {};
    decoder_.feed(std::string_view("\n", 1));
    return deliver_all(decoder_, sink);
  }
  Result<Encoded> encode(std::string_view message) override {
    return Encoded{message, std::string_view("\n", 1)};
  }
  bool partial() const noexcept override { return decoder_.buffered() > 0; }

 private:
  LineDecoder decoder_;
};

class Len32Codec final : public MessageCodec {
 public:
  explicit Len32Codec(std::size_t max_frame) : decoder_(max_frame) {}
  std::string_view name() const noexcept override { return "len32"; }
  Status decode(std::string_view bytes, MessageSink& sink) override {
    decoder_.feed(bytes);
    return deliver_all(decoder_, sink);
  }
  Status finish(MessageSink&) override {
    if (partial()) return fail(Errc::closed_early);
    return {};
  }
  Result<Encoded> encode(std::string_view message) override {
    if (message.size() > std::numeric_limits<std::uint32_t>::max())
      return fail(Errc::frame_too_long);
    const auto n = static_cast<std::uint32_t>(message.size());
    header_ = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
               static_cast<char>(n)};
    return Encoded{std::string_view(header_.data(), header_.size()), message};
  }
  bool partial() const noexcept override { return decoder_.buffered() > 0; }

 private:
  LengthPrefixDecoder decoder_;
  std::array<char, 4> header_{};  // the last encoded header, valid until the next encode()
};

}  // namespace

std::string_view framing_name(Framing f) noexcept {
  switch (f) {
    case Framing::raw:
      return "raw";
    case Framing::line:
      return "line";
    case Framing::len32:
      return "len32";
  }
  return "?";
}

Result<Framing> parse_framing(std::string_view text) {
  if (text == "raw") return Framing::raw;
  if (text == "line") return Framing::line;
  if (text == "len32") return Framing::len32;
  return fail(Errc::malformed_frame);
}

CodecPtr make_codec(Framing framing, std::size_t max_message) {
  switch (framing) {
    case Framing::line:
      return std::make_unique<LineCodec>(max_message);
    case Framing::len32:
      return std::make_unique<Len32Codec>(max_message);
    case Framing::raw:
      break;
  }
  return CodecPtr(&g_raw);
}

}  // namespace sockit
