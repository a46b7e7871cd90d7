// The stdin <-> socket bridge behind `sockit connect` and `sockit listen`: one poll() loop that
// copies stdin to the socket and the socket to stdout, with netcat's options layered on top.
// Single-threaded; owns nothing (the caller owns the socket).
#pragma once

#include <poll.h>

#include <expected>
#include <optional>
#include <span>
#include <string>

#include "sockit/codec/framing.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/sys/io.hpp"

namespace CLI {
class App;
}

namespace sockit {
class UdpSocket;
}

namespace sockit::cli {

/// --frame: the library's framings (--frame none is Framing::raw: bytes pass as they are).
using Frame = Framing;

struct BridgeOptions {
  bool crlf = false;         ///< -C: send "\r\n" for every "\n" read from stdin
  bool hex = false;          ///< -x: hex dump of both directions on stderr
  bool trace = false;        ///< --trace: one stderr line per send/recv call with byte counts
  bool send_only = false;    ///< --send-only: never read the socket
  bool recv_only = false;    ///< --recv-only: never read stdin
  bool no_shutdown = false;  ///< --no-shutdown: keep the write side open after stdin EOF
  bool verbose = false;      ///< -v: say who sent datagrams
  Frame frame = Frame::raw;
  Millis idle{0};  ///< -i: give up after this long without traffic; 0 = wait forever
  /// -q: once stdin has ended (and, for a stream, all of it was sent and the write side shut
  /// down), wait at most this long for the peer's output, then end successfully. nullopt: wait
  /// for the peer's EOF (a stream) or the idle timeout (UDP).
  std::optional<Millis> quit_after_eof;
};

/// The poll() timeout for a bridge: the idle timeout, cut short by a -q deadline when one is
/// running; -1 (forever) when there is neither.
int poll_timeout(Millis idle, std::optional<Clock::time_point> quit_at);

/// poll() on the bridge's descriptors, retried on EINTR; the number ready, 0 = timed out.
Result<int> poll_fds(std::span<pollfd> fds, int timeout);

/// --trace: a tracer that prints one stderr line per socket call; off: no tracing.
IoTrace tracer(bool on);

/// The bridge's command-line flags, shared by `connect` and `listen`.
struct BridgeFlags {
  bool crlf = false, hex = false, trace = false;
  bool send_only = false, recv_only = false, no_shutdown = false;
  bool dash_n_upper = false;     ///< -N: shut down after stdin EOF (OpenBSD nc); our default
  double quit_after_eof_s = -1;  ///< -q SECONDS; negative: not given
  std::string frame = "none";    ///< --frame none|line|len32
  void add_to(CLI::App& cmd);
  /// The options, or a usage message for a contradictory combination (`datagram`: for -u).
  std::expected<BridgeOptions, std::string> options(bool datagram) const;
};

/// Bridges a connected stream socket (TCP or Unix) until both directions are over. The two end
/// independently: on stdin EOF, once every byte was handed to the kernel, the write side is
/// shut down (unless no_shutdown) and output continues until the peer's EOF; on the peer's EOF
/// stdin is still sent to the end (the peer half-closed; it may well be reading). Success means
/// every byte of stdin was accepted by the kernel; a send that fails (peer reset) is an error.
/// The one early end that is no error: stdout's reader went away (EPIPE, `| head`).
/// Errors: the socket's errors, Errc::idle_timeout, Errc::malformed_frame / frame_too_long /
/// line_too_long from --frame decoding, Errc::closed_early for a frame cut off by the close.
Status bridge_stream(int sock, const BridgeOptions& options);

/// Bridges a datagram socket: each stdin read is one datagram, each datagram received is
/// written to stdout. A connected socket sends to its peer; an unconnected one (listen -u)
/// replies to the last sender and reads stdin only once somebody has sent (with send_only it
/// still receives, to learn the sender, but prints nothing). After stdin EOF it keeps
/// receiving until the idle timeout (forever if none), which ends it successfully.
/// ICMP port-unreachable surfaces as connection_refused.
Status bridge_datagram(UdpSocket& sock, bool connected, const BridgeOptions& options);

}  // namespace sockit::cli
