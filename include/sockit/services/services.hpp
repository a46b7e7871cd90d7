// The services sockit ships: handlers that run under every server model (see
// sockit/server/service.hpp for the interface they implement).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "sockit/async/loop.hpp"
#include "sockit/core/error.hpp"
#include "sockit/server/service.hpp"

namespace sockit {

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

/// Where a room over Redis lives, and this node's part in it (see docs/scale-out.md).
struct RedisChatOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string room = "lobby";   ///< the stream is "sockit:chat:<room>"
  std::string node_id;          ///< unique per node; empty: "<hostname>-<pid>"
  std::size_t max_len = 10000;  ///< XADD MAXLEN ~ (how far a node may fall behind)
};

/// Chat whose room is a Redis Stream shared by every node: each line a local client sends is
/// appended (XADD) and every node delivers what it reads (XREAD BLOCK) to its local clients, so
/// all clients on all nodes see one order. Guest names come from a per-room counter in Redis;
/// /who lists the room on every node as name@node. When Redis goes away clients stay, hear one
/// notice, and their lines are refused with an error line until it is back; the node
/// reconnects with backoff and resumes after the last entry it delivered.
///
/// The Redis connections run on `loop` (the server's loop: sessions may run on it or on other
/// loops, as with the loop and reactors models; the service must be destroyed before `loop`).
/// Blocks for up to 2 s to reach Redis and find the stream's end; a failure is returned with
/// hiredis's words in `why`.
[[nodiscard]] Result<std::unique_ptr<ChatService>> make_redis_chat_service(
    EventLoop& loop, RedisChatOptions options, std::string* why = nullptr);

/// `text` as a terminal may safely show it: printable ASCII, tab and well-formed UTF-8 (from
/// U+00A0 on) are kept; every other byte (C0 controls such as ESC, NUL and BEL, DEL, C1 controls,
/// malformed UTF-8) becomes a backslash and three octal digits ("\033"), as ncat --chat writes
/// them. A backslash is kept as typed, as ncat does. Chat passes every line through this before
/// anyone sees it: one client must not be able to drive everyone's terminal.
std::string visible_text(std::string_view text);

/// "echo", "greet", "discard" or "chat"; std::errc::invalid_argument otherwise.
[[nodiscard]] Result<std::unique_ptr<Service>> make_service(std::string_view name);

}  // namespace sockit
