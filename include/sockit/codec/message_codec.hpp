// MessageCodec: the seam between a connection's bytes and its messages, in both directions.
// A server (server/) owns one codec per connection and knows nothing else about framing, so a
// new protocol (netstrings, HTTP, RESP...) plugs in by implementing this interface: no switch
// in the core to extend. The built-in raw, line and len32 codecs are made by make_codec()
// (sockit/codec/framing.hpp).
//
//   bytes --decode--> MessageSink::on_message (each complete message, in order)
//   message --encode--> Encoded{first, second} --> one writev
//
// Sans-I/O: a codec never touches a socket. Thread rule: one owner (the connection's thread).
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>

#include "sockit/core/error.hpp"

namespace sockit {

/// Receives the messages a codec decodes.
class MessageSink {
 public:
  /// One complete message; the view is valid only during the call. Return false to stop
  /// decoding (the connection is closing): the rest of the input is then dropped.
  virtual bool on_message(std::string_view message) = 0;

 protected:
  ~MessageSink() = default;
};

/// A message's wire form in at most two pieces, sent with one writev. A piece may point into
/// the codec (a header it built): valid until the codec's next call.
struct Encoded {
  std::string_view first;
  std::string_view second;
};

class MessageCodec {
 public:
  virtual ~MessageCodec() = default;
  /// A short name for logs and tests ("raw", "line", "len32", "netstring"...).
  virtual std::string_view name() const noexcept = 0;
  /// Hands every message `bytes` completes to `sink`, keeping an incomplete rest for the next
  /// call. `bytes` is valid only during the call. An error (Errc::line_too_long,
  /// frame_too_long, malformed_frame, or the codec's own) means the stream is out of sync:
  /// the server closes the connection with the matching error line.
  [[nodiscard]] virtual Status decode(std::string_view bytes, MessageSink& sink) = 0;
  /// At the peer's EOF: delivers what the codec can still make of a held rest, or fails
  /// (typically Errc::closed_early) when it holds an unfinished message.
  [[nodiscard]] virtual Status finish(MessageSink& sink) = 0;
  /// The wire form of `message`. Fails when the message cannot be framed (e.g. too long for
  /// the length header); the server then closes the connection with that error.
  [[nodiscard]] virtual Result<Encoded> encode(std::string_view message) = 0;
  /// True while an incomplete message is held (starts the partial-message deadline).
  virtual bool partial() const noexcept = 0;
  /// True when every chunk of bytes is one message and encoding adds nothing (raw): a pure
  /// echo service may then echo inside the kernel without calling the codec at all.
  virtual bool transparent() const noexcept { return false; }
  /// What the peer reads before the server closes the connection because of `why` (a deadline
  /// or a limit), in this protocol's own terms (HTTP: a 408 response, or nothing); nullopt:
  /// the server's default explanation line (error_line()).
  virtual std::optional<std::string_view> close_reply(std::error_code why) const noexcept {
    (void)why;
    return std::nullopt;
  }
  /// True for a stateless codec shared by every connection (never deleted by CodecPtr).
  virtual bool shared() const noexcept { return false; }
};

/// Deletes an owned codec; a shared() one (e.g. the stateless raw codec) costs no allocation
/// per connection and is left alone. Converts from std::default_delete, so a factory may
/// return std::make_unique<MyCodec>(...).
struct CodecDelete {
  CodecDelete() noexcept = default;
  template <class T>
  requires std::is_convertible_v<T*, MessageCodec*> CodecDelete(std::default_delete<T>)
  noexcept {}  // NOLINT(google-explicit-constructor)
  void operator()(MessageCodec* codec) const noexcept {
    if (codec != nullptr && !codec->shared()) delete codec;
  }
};
using CodecPtr = std::unique_ptr<MessageCodec, CodecDelete>;

}  // namespace sockit
