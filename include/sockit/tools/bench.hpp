// sockit::bench: the load engine behind `sockit bench`. Drives thousands of TCP connections (or
// UDP sockets) from one thread through one Poller, sends fixed-size requests, verifies every
// byte that comes back, and records each round trip in a Histogram.
//
// Modes:
//  * echo (default): each connection keeps `pipeline` requests in flight. Closed loop: a new
//    request leaves when a response arrives. Open loop (rate > 0): requests are due at the times
//    of a RateSchedule, handed round-robin to the connections, and latency is measured from the
//    intended send time, so a server stall is charged to every request it delayed.
//  * bulk: each connection streams a byte pattern as fast as the socket takes it and reads the
//    echo back concurrently; the result is bytes/s.
//  * udp: each "connection" is a connected UDP socket; a datagram not answered within
//    udp_timeout counts as lost and its slot is reused.
//
// Cost model (why one load core suffices): no allocation and no per-request syscall beyond one
// send() and one recv() per batch; responses of several pipelined requests are parsed from one
// recv(); all buffers are carved from one per-thread arena at start.
//
// Thread-safety: run() is a blocking call; it starts options.threads - 1 extra threads, runs the
// first share on the calling thread, and calls `on_progress` from the calling thread only.
// The library never prints: progress goes to the callback, the result to the returned Report.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sockit/core/error.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/tls/context.hpp"
#include "sockit/tools/histogram.hpp"

namespace sockit::bench {

enum class Mode : std::uint8_t { echo, bulk, udp };

struct Options {
  SockAddr target;
  Mode mode = Mode::echo;
  int conns = 1;          ///< active connections (sockets in UDP mode)
  int idle = 0;           ///< extra connections opened and held silent (memory per connection)
  int threads = 1;        ///< load threads; connections are split evenly
  std::size_t size = 64;  ///< request size; in bulk mode, the largest single write
  int pipeline = 1;       ///< requests in flight per connection (echo and udp)
  std::chrono::nanoseconds duration{std::chrono::seconds(10)};  ///< measured phase (0: by count)
  std::uint64_t requests = 0;  ///< measured requests in total (0: by duration); bulk: bytes/size
  std::chrono::nanoseconds warmup{};  ///< traffic before measuring, not counted
  double rate = 0;                    ///< open loop: requests per second in total; 0 = closed loop
  bool verify = true;                 ///< compare every received byte with what was expected
  /// A fixed request and its expected reply instead of echo (e.g. "PING\r\n" / "+PONG\r\n" for
  /// Redis). Both empty: echo of `size` bytes, each request stamped with its sequence number.
  std::string request;
  std::string expect;
  std::chrono::nanoseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::nanoseconds udp_timeout{std::chrono::milliseconds(200)};
  /// After the measured phase, how long to wait for answers still in flight.
  std::chrono::nanoseconds drain_timeout{std::chrono::seconds(2)};
  /// TLS on every active connection (echo and bulk modes; idle connections stay plain TCP):
  /// the client context and the name to verify and send as SNI. The handshakes are part of
  /// the connect phase (connect_timeout), not of the measurement; requests and bytes count
  /// plaintext. Null: plain TCP.
  std::shared_ptr<const TlsClientContext> tls;
  std::string tls_host;
};

/// Failures counted by kind; a connection that fails is closed and not reopened.
struct ErrorCounts {
  std::uint64_t connect = 0;     ///< connect() failed or timed out
  std::uint64_t reset = 0;       ///< ECONNRESET / EPIPE
  std::uint64_t closed = 0;      ///< the peer closed (open loop: also each request that fell
                                 ///< due on a connection already closed, so never sent)
  std::uint64_t mismatch = 0;    ///< a received byte differed from the expected one
  std::uint64_t unexpected = 0;  ///< bytes arrived when no request was outstanding
  std::uint64_t timeout = 0;     ///< requests still unanswered when the drain time ran out
  std::uint64_t lost = 0;        ///< UDP: datagrams not answered within udp_timeout
  std::uint64_t io = 0;          ///< any other socket error
  std::uint64_t total() const noexcept {
    return connect + reset + closed + mismatch + unexpected + timeout + lost + io;
  }
  void add(const ErrorCounts& o) noexcept;
};

struct Report {
  std::uint64_t requests = 0;            ///< measured requests sent
  std::uint64_t responses = 0;           ///< answers to measured requests
  std::uint64_t responses_verified = 0;  ///< of those, byte-for-byte checked (0 with verify off)
  std::uint64_t late = 0;                ///< UDP: answers that came after being counted lost
  std::uint64_t bytes_sent = 0;          ///< measured phase
  std::uint64_t bytes_received = 0;      ///< measured phase
  double seconds = 0;                    ///< length of the measured phase
  double requests_per_sec = 0;
  double bytes_per_sec = 0;  ///< received bytes per second
  int connected = 0;         ///< active connections that were established
  int idle_connected = 0;
  ErrorCounts errors;
  std::unique_ptr<Histogram> latency_ns = std::make_unique<Histogram>();
};

/// What on_progress receives about once a second.
struct Progress {
  double elapsed_sec = 0;  ///< since the first connection was up (warmup included)
  bool warming_up = false;
  std::uint64_t responses = 0;  ///< measured responses so far
  double current_rate = 0;      ///< responses/s (bytes/s in bulk mode) over the last interval
  std::uint64_t p99_ns = 0;     ///< p99 so far (a few hundred ms stale)
};

using ProgressFn = std::function<void(const Progress&)>;

/// Checks the options without touching the network; Errc-free: returns a reason or "".
std::string validate(const Options& options);

/// Runs the load described by `options` against `options.target`. Fails only when nothing
/// could be measured (e.g. no connection came up, or the poller could not be created); partial
/// failures are counted in Report::errors.
[[nodiscard]] Result<Report> run(const Options& options, const ProgressFn& on_progress = {});

}  // namespace sockit::bench
