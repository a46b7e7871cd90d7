// The service interface: what a server does with a connection, independent of how connections
// are driven. The services themselves (echo, greet, chat...) are in sockit/services/.
//
//   socket -> Buffer -> MessageCodec::decode -> Session::on_message
//          -> Peer::send -> MessageCodec::encode -> Buffer -> socket
//
// A Service makes one Session per connection. The session sees its connection only through
// Peer, and other connections only through their thread-safe Mailbox, so the same session code
// runs under every server model (thread per client, pool, one loop, several loops).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sockit/async/connection.hpp"
#include "sockit/codec/framing.hpp"
#include "sockit/codec/message_codec.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

/// A connection's own view, for its session. Valid inside the session's callbacks, on the thread
/// that runs them.
class Mailbox;
class Peer {
 public:
  /// Sends one message, framed like the connection's input.
  virtual void send(std::string_view message) = 0;
  /// Sends `length` bytes of `file` from `offset`, in order with send(), with sendfile(2): the
  /// bytes never enter user space and the file is closed once sent. Unframed: for codecs whose
  /// encode() adds nothing (raw, HTTP). `head` (unframed too: a reply's header) goes first, in
  /// one segment with the file's first bytes rather than a small one of its own.
  virtual void send_file(UniqueFd file, std::uint64_t offset, std::uint64_t length,
                         std::string_view head) = 0;
  /// Flushes what was sent, then closes. Further input is ignored.
  virtual void close() = 0;
  virtual bool closing() const = 0;
  /// A number unique within the server, and the peer's address ("127.0.0.1:50312").
  virtual std::uint64_t id() const = 0;
  virtual const std::string& remote() const = 0;
  /// A handle other sessions (on any thread) can use to send to this connection.
  virtual std::shared_ptr<Mailbox> mailbox() = 0;
  /// Stops (true) or resumes (false) reading this connection's input: the session's own
  /// backpressure (chat holds back a sender whose lines are not yet handed to every receiver).
  /// Messages already read keep coming; TCP slows the client once the kernel's buffers fill.
  /// Whoever frees what the session waits for calls Mailbox::wake, and on_wake resumes.
  virtual void pause_reading(bool paused) = 0;
  /// The connection's codec, for a session whose protocol switches framing mid-stream (SMTP:
  /// a body after an accepted DATA, STARTTLS). Null when the connection has none.
  virtual MessageCodec* codec() { return nullptr; }
  /// Puts a transport filter (TLS) in place from now on (Connection::start_filter): replies
  /// sent before go out plain; input read before and not yet decoded is discarded. Errors:
  /// std::errc::operation_not_permitted (a filter already, or closing), not_supported.
  [[nodiscard]] virtual Status start_filter(std::unique_ptr<ConnectionFilter> filter) {
    (void)filter;
    return fail(std::make_error_code(std::errc::not_supported));
  }

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
  /// Calls the session's on_wake on its own thread, soon (nothing if the connection is gone or
  /// closing). Thread-safe.
  virtual void wake() = 0;
};

/// One connection's state. Called only from the thread serving that connection, one call at a
/// time, in this order: on_open, on_message*, [on_eof], on_close; on_wake may come anywhere
/// between on_open and on_close.
class Session {
 public:
  virtual ~Session() = default;
  virtual void on_open(Peer& peer) { (void)peer; }
  virtual void on_message(std::string_view message, Peer& peer) = 0;
  /// The peer shut down its sending side. By default: finish sending, then close.
  virtual void on_eof(Peer& peer) { peer.close(); }
  /// Someone called this connection's Mailbox::wake (e.g. what held its reading back is done).
  virtual void on_wake(Peer& peer) { (void)peer; }
  /// The server is draining and this connection has reached a quiet point (nothing half
  /// received, nothing queued): it closes right after this call, and what the session sends
  /// here goes out first (SMTP's 421). By default nothing.
  virtual void on_drain(Peer& peer) { (void)peer; }
  /// The connection is gone (closed by either side or by a limit).
  virtual void on_close() {}
};

class Service {
 public:
  virtual ~Service() = default;
  virtual std::string_view name() const = 0;
  /// The codec for one new connection (ServerOptions::codec overrides it). `max_message`
  /// bounds a message (ServerOptions::max_message). Thread-safe. By default raw framing.
  [[nodiscard]] virtual CodecPtr make_codec(std::size_t max_message) const {
    return sockit::make_codec(Framing::raw, max_message);
  }
  /// True when every session sends back exactly the bytes it receives and does nothing else
  /// (no greeting, no state): with a transparent codec (raw) a server may then echo inside the
  /// kernel (Connection::echo_through) without calling the session.
  virtual bool pure_echo() const { return false; }
  /// A new session for a new connection. Thread-safe.
  virtual std::unique_ptr<Session> open_session() = 0;
};

/// The line a client reads before the server closes because of `why` ("ERR line too long\n"),
/// or "" when the reason needs no explanation (an orderly close).
std::string_view error_line(std::error_code why) noexcept;

}  // namespace sockit
