// The framing layer shared by every server model: bytes -> messages -> Session.
#include <system_error>

#include "sockit/server/service.hpp"

namespace sockit {

Framer::Framer(Framing framing, std::size_t max_message) : framing_(framing) {
  if (framing == Framing::line) {
    decoder_ = std::make_unique<Decoder>(std::in_place_type<LineDecoder>, max_message,
                                         LineMode::crlf_or_lf);
  }
  if (framing == Framing::len32) {
    decoder_ = std::make_unique<Decoder>(std::in_place_type<LengthPrefixDecoder>, max_message);
  }
}

namespace {

template <class Decoder>
Status drain(Decoder& decoder, Session& session, Peer& peer, TrafficCounters& counters) {
  for (Decoded d = decoder.next(); !d.needs_more(); d = decoder.next()) {
    if (d.failed()) return fail(d.error);
    counters.add_message();
    session.on_message(d.frame, peer);
    if (peer.closing()) return {};
  }
  return {};
}

}  // namespace

Status Framer::deliver(std::string_view bytes, Session& session, Peer& peer,
                       TrafficCounters& counters) {
  if (bytes.empty()) return {};
  switch (framing_) {
    case Framing::raw:
      // Zero-copy: the chunk is handed over straight from the connection's input buffer.
      counters.add_message();
      session.on_message(bytes, peer);
      return {};
    case Framing::line: {
      auto& decoder = std::get<LineDecoder>(*decoder_);
      decoder.feed(bytes);
      return drain(decoder, session, peer, counters);
    }
    case Framing::len32: {
      auto& decoder = std::get<LengthPrefixDecoder>(*decoder_);
      decoder.feed(bytes);
      return drain(decoder, session, peer, counters);
    }
  }
  return {};
}

Status Framer::finish(Session& session, Peer& peer, TrafficCounters& counters) {
  if (!partial()) return {};
  if (framing_ == Framing::line) {
    // The peer's last line lacked its ending: end it for them rather than drop it.
    auto& decoder = std::get<LineDecoder>(*decoder_);
    decoder.feed(std::string_view("\n", 1));
    return drain(decoder, session, peer, counters);
  }
  return fail(Errc::closed_early);
}

bool Framer::partial() const noexcept {
  if (!decoder_) return false;
  if (const auto* line = std::get_if<LineDecoder>(decoder_.get())) return line->buffered() > 0;
  if (const auto* len = std::get_if<LengthPrefixDecoder>(decoder_.get()))
    return len->buffered() > 0;
  return false;
}

std::string_view error_line(std::error_code why) noexcept {
  if (why == Errc::line_too_long) return "ERR line too long\n";
  if (why == Errc::frame_too_long) return "ERR frame too long\n";
  if (why == Errc::malformed_frame) return "ERR malformed frame\n";
  if (why == Errc::server_full) return "ERR server full\n";
  if (why == Errc::idle_timeout) return "ERR idle timeout\n";
  if (why == Errc::partial_timeout) return "ERR message timeout\n";
  return {};
}

}  // namespace sockit
