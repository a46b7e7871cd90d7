// The services sockit ships: handlers that run under every server model (see
// sockit/server/service.hpp for the interface they implement).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

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

/// `text` as a terminal may safely show it: printable ASCII, tab and well-formed UTF-8 (from
/// U+00A0 on) are kept; every other byte (C0 controls such as ESC, NUL and BEL, DEL, C1 controls,
/// malformed UTF-8) becomes a backslash and three octal digits ("\033"), as ncat --chat writes
/// them. A backslash is kept as typed, as ncat does. Chat passes every line through this before
/// anyone sees it: one client must not be able to drive everyone's terminal.
std::string visible_text(std::string_view text);

/// "echo", "greet", "discard" or "chat"; std::errc::invalid_argument otherwise.
[[nodiscard]] Result<std::unique_ptr<Service>> make_service(std::string_view name);

}  // namespace sockit
