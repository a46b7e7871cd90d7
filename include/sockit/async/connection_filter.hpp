// ConnectionFilter: a transport layer between a Connection's socket and its owner, such as TLS.
// Bytes read from the socket ("wire" bytes) go through the filter, and what comes out ("plain"
// bytes) is what the owner's on_data sees; what the owner sends is turned into wire bytes by
// the filter and queued in the connection's output like any other output. The owner (a
// service, a codec, a server model) does not know a filter is there.
//
// The seam lives in async/ so that Connection needs nothing above it; implementations live in
// higher layers (tls/ has the TLS one: sockit/tls/connection_filter.hpp). A filter never does
// I/O: the connection reads and writes the socket, so the loop never blocks inside it, and the
// connection's backpressure, output limit, deadlines and drain apply to the wire bytes.
//
// One filter per connection, loop thread only, like the Connection that owns it.
#pragma once

#include <span>
#include <string_view>
#include <system_error>

#include "sockit/core/buffer.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

class ConnectionFilter {
 public:
  virtual ~ConnectionFilter() = default;

  /// Wire bytes just read from the socket; all of them are taken. The plain bytes they complete
  /// are appended to `plain`; wire bytes the filter has to send back (TLS: handshake records,
  /// session tickets, an alert) to `wire_out`. Returns true once the peer has ended its
  /// direction cleanly (TLS: its close_notify arrived), which the connection reports as EOF.
  /// An error fails the connection (wire_out may hold a last message for the peer, e.g. a TLS
  /// alert, which the connection tries to send first).
  [[nodiscard]] virtual Result<bool> receive(std::span<const std::byte> wire, Buffer& plain,
                                             Buffer& wire_out) = 0;
  /// The socket reached EOF before receive() returned true: the error to fail with (TLS: the
  /// stream was truncated, or the handshake never finished).
  [[nodiscard]] virtual std::error_code receive_eof() = 0;
  /// Plain bytes from the owner: their wire form is appended to `wire_out`, or they are held
  /// until the filter is ready (TLS: sent before the handshake finished) and appended by the
  /// receive() that makes it ready.
  [[nodiscard]] virtual Status send(std::string_view plain, Buffer& wire_out) = 0;
  /// Our orderly end (TLS: close_notify), appended to `wire_out`; the connection sends it after
  /// everything queued before and before its FIN. Held bytes of a filter that never became
  /// ready are dropped.
  virtual void close(Buffer& wire_out) = 0;
  /// The filter has finished its set-up (TLS: the handshake is complete).
  virtual bool ready() const noexcept = 0;
  /// The error to close with if the filter's own deadline (TLS: the handshake's) has passed at
  /// `now`, else an empty code. Checked by the connection's deadline sweep.
  virtual std::error_code expired(Clock::time_point now) const noexcept = 0;
};

}  // namespace sockit
