// Services: what a server does with a connection, independent of how connections are driven.
//
//   socket -> Buffer -> Framer (codec) -> Session::on_message -> Peer::send -> Buffer -> socket
//
// A Service makes one Session per connection. The session sees its connection only through
// Peer, and other connections only through their thread-safe Mailbox, so the same session code
// runs under every server model (thread per client, pool, one loop, several loops).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "sockit/codec/length_prefix.hpp"
#include "sockit/codec/line.hpp"
#include "sockit/connection.hpp"
#include "sockit/error.hpp"

namespace sockit {

/// How bytes become messages. raw: every received chunk is one message (the lecture's
/// recv(2048)); line: '\n'-terminated lines (a "\r" before it is stripped, the message excludes
/// the ending, and "\n" is added to what is sent); len32: 4-byte big-endian length + payload.
enum class Framing : std::uint8_t { raw, line, len32 };

std::string_view framing_name(Framing f) noexcept;
/// "raw", "line" or "len32"; Errc::malformed_frame otherwise.
Result<Framing> parse_framing(std::string_view text);

/// A connection's own view, for its session. Valid inside the session's callbacks, on the thread
/// that runs them.
class Mailbox;
class Peer {
 public:
  /// Sends one message, framed like the connection's input.
  virtual void send(std::string_view message) = 0;
  /// Flushes what was sent, then closes. Further input is ignored.
  virtual void close() = 0;
  virtual bool closing() const = 0;
  /// A number unique within the server, and the peer's address ("127.0.0.1:50312").
  virtual std::uint64_t id() const = 0;
  virtual const std::string& remote() const = 0;
  /// A handle other sessions (on any thread) can use to send to this connection.
  virtual std::shared_ptr<Mailbox> mailbox() = 0;

 protected:
  ~Peer() = default;
};

/// A thread-safe way to reach a connection from any thread. Delivering to a connection that has
/// gone is a no-op; a connection whose queued output passes its output limit is disconnected
/// with Errc::output_limit (a slow reader never makes the sender wait or lose other traffic).
class Mailbox {
 public:
  virtual ~Mailbox() = default;
  /// Queues one message (framed by the receiving connection). Thread-safe.
  virtual void deliver(std::shared_ptr<const std::string> message) = 0;
  /// Asks the connection to flush and close. Thread-safe.
  virtual void close() = 0;
};

/// One connection's state. Called only from the thread serving that connection, one call at a
/// time, in this order: on_open, on_message*, [on_eof], on_close.
class Session {
 public:
  virtual ~Session() = default;
  virtual void on_open(Peer& peer) { (void)peer; }
  virtual void on_message(std::string_view message, Peer& peer) = 0;
  /// The peer shut down its sending side. By default: finish sending, then close.
  virtual void on_eof(Peer& peer) { peer.close(); }
  /// The connection is gone (closed by either side or by a limit).
  virtual void on_close() {}
};

class Service {
 public:
  virtual ~Service() = default;
  virtual std::string_view name() const = 0;
  virtual Framing default_framing() const { return Framing::raw; }
  /// True when every session sends back exactly the bytes it receives and does nothing else
  /// (no greeting, no state): with raw framing a server may then echo inside the kernel
  /// (Connection::echo_through) without calling the session.
  virtual bool pure_echo() const { return false; }
  /// A new session for a new connection. Thread-safe.
  virtual std::unique_ptr<Session> open_session() = 0;
};

/// Sends every message back.
std::unique_ptr<Service> make_echo_service();
/// The lecture's server: "Welcome to the Server" on connect, then "Hello I am server: <message>"
/// for each message.
std::unique_ptr<Service> make_greet_service();
/// Reads and drops everything.
std::unique_ptr<Service> make_discard_service();

/// Chat (line framing): every line a client sends reaches all other clients as "<name>: text".
/// Names start as guest1, guest2...; commands /nick NAME, /who, /quit; join, leave and rename
/// notices start with "* ". The operator (the program running the server) hears every line
/// through `observer` and can speak with say().
class ChatService : public Service {
 public:
  /// `observer` receives every line the room sees, from any thread, one call at a time.
  using Observer = std::function<void(std::string_view line)>;
  virtual void set_observer(Observer observer) = 0;
  /// Sends "server: text" to every client. Thread-safe.
  virtual void say(std::string_view text) = 0;
  /// Number of clients in the room. Thread-safe.
  virtual std::size_t members() const = 0;
};
std::unique_ptr<ChatService> make_chat_service();

/// "echo", "greet", "discard" or "chat"; std::errc::invalid_argument otherwise.
Result<std::unique_ptr<Service>> make_service(std::string_view name);

/// Splits bytes into messages for one connection and frames what it sends. Not thread-safe.
class Framer {
 public:
  /// `max_message` bounds a line (without its ending) or a len32 payload.
  Framer(Framing framing, std::size_t max_message);

  Framing framing() const noexcept { return framing_; }
  /// Hands every complete message in `bytes` to the session, counting each in `counters`.
  /// Stops early when the peer starts closing. Errc::line_too_long / frame_too_long when the
  /// input breaks the limit (the stream is then out of sync: the caller closes).
  Status deliver(std::string_view bytes, Session& session, Peer& peer, TrafficCounters& counters);
  /// At the peer's EOF: a last line without its '\n' is still delivered (nothing is lost); an
  /// unfinished len32 frame is Errc::closed_early.
  Status finish(Session& session, Peer& peer, TrafficCounters& counters);
  /// True while an incomplete message is held.
  bool partial() const noexcept;

  /// Calls send(a, b) with the message's wire form in at most two pieces (for one writev).
  template <class Send>
  void encode(std::string_view message, Send&& send) const {
    switch (framing_) {
      case Framing::raw:
        send(message, std::string_view{});
        break;
      case Framing::line:
        send(message, std::string_view("\n", 1));
        break;
      case Framing::len32: {
        const auto n = static_cast<std::uint32_t>(message.size());
        const std::array<char, 4> header{static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                                         static_cast<char>(n >> 8), static_cast<char>(n)};
        send(std::string_view(header.data(), header.size()), message);
        break;
      }
    }
  }

 private:
  using Decoder = std::variant<LineDecoder, LengthPrefixDecoder>;
  Framing framing_;
  // Boxed: raw framing (the echo default) needs no decoder, and an inline variant would add
  // ~90 bytes to every connection. One allocation per line/len32 connection, none per message.
  std::unique_ptr<Decoder> decoder_;
};

/// The line a client reads before the server closes because of `why` ("ERR line too long\n"),
/// or "" when the reason needs no explanation (an orderly close).
std::string_view error_line(std::error_code why) noexcept;

}  // namespace sockit
