// The seam between Server (accepting, admission, draining) and a concurrency model (who drives
// an admitted connection). Internal to the library.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "sockit/server/async_server.hpp"
#include "sockit/server/server.hpp"

namespace sockit {

/// What every model shares with the server. Lives as long as the Server.
struct ServeContext {
  Service* service;  ///< null when the server runs a StreamHandler instead of sessions
  const ServerOptions& options;
  std::atomic<std::size_t> live{0};  ///< admitted and not yet closed (the cap counts these)
  std::atomic<std::uint64_t> next_id{1};
  std::atomic<std::uint64_t> refused{0};  ///< turned away by a model (e.g. no descriptors left)

  /// The codec of a new connection: ServerOptions::codec, else the service's. Thread-safe.
  CodecPtr new_codec() const;
  /// What a client over the cap reads before the close: the codec's own words for
  /// Errc::server_full (SMTP: a 421 reply) when it has some, else error_line()'s; nothing for
  /// TLS (a TLS client cannot read a plaintext line). Set once by Server before serving.
  std::string refusal{};
  std::atomic<std::uint64_t> tls_failures{0};

  /// A TLS connection closed with `why` (`ready`: its handshake had finished): counts and
  /// reports it (ServerOptions::on_tls_failure) when it is a TLS failure rather than an end
  /// the server chose. Thread-safe.
  void filter_closed(const std::string& remote, std::error_code why, bool ready);
};

class Backend {
 public:
  virtual ~Backend() = default;
  /// Starts the model's threads. Base loop thread.
  virtual Status start() = 0;
  /// Takes an admitted connection; ctx.live already counts it and the backend decrements it
  /// when the connection is gone. Base loop thread.
  virtual void adopt(UniqueFd fd, std::string remote) = 0;
  /// Every connection drains (Connection::drain) until `until`. Base loop thread.
  virtual void drain(Clock::time_point until) = 0;
  /// Resets what is still open, stops and joins threads; returns what was cut. Base loop thread.
  virtual DrainReport stop() = 0;
  /// Adds traffic counters and thread counts. Thread-safe.
  virtual void add_stats(ServerStats& stats) const = 0;
  /// True when no thread but the base loop's opens descriptors while serving, which is what
  /// makes the reserved-descriptor EMFILE trick race-free.
  virtual bool only_acceptor_opens_fds() const = 0;
  /// How many connections `descriptors` free descriptors can serve at once (SIZE_MAX when the
  /// model spends one per connection and refuses cleanly when they run out).
  virtual std::size_t conns_for_descriptors(std::size_t descriptors) const = 0;
};

/// What a serving thread of the thread and pool models runs for one connection on the loop it
/// made for it: a Reactor with one connection (a service) or one coroutine handler. Made and
/// served on that thread; drain() and abort_all() are posted to its loop.
class SoloServer {
 public:
  virtual ~SoloServer() = default;
  virtual EventLoop& loop() = 0;
  /// Serves `fd` until the connection is gone (runs the loop; returns at once when the
  /// connection could not be set up). Releases its place under the cap. Loop thread.
  virtual void serve(UniqueFd fd, std::string remote) = 0;
  /// The connection drains until `until` (also before serve(): then it drains from the start).
  /// Loop thread.
  virtual void drain(Clock::time_point until) = 0;
  /// Cuts the connection now and stops the loop; returns what was cut. Loop thread.
  virtual DrainReport abort_all() = 0;
  /// Adds the traffic counters (messages, bytes). Thread-safe.
  virtual void add_traffic(ServerStats& stats) const = 0;
};

std::unique_ptr<Backend> make_loop_backend(EventLoop& base, ServeContext& ctx, unsigned loops);
/// The thread and pool models; with a handler, each connection's loop runs it as a task.
std::unique_ptr<Backend> make_thread_backend(ServeContext& ctx, bool pool, unsigned threads,
                                             StreamHandler handler);
/// One coroutine handler for one connection on `loop` (the thread and pool models).
std::unique_ptr<SoloServer> make_solo_handler(ServeContext& ctx, EventLoop& loop,
                                              const StreamHandler& handler);
/// The StreamHandler that serves TLS handlers: tls_accept under options.tls_handshake_timeout,
/// a failure counted and reported (ServeContext::filter_closed), else `handler` with the stream.
/// Thread-safe when `handler` is; `ctx` outlives the handlers it runs.
StreamHandler tls_stream_handler(ServeContext& ctx, TlsStreamHandler handler);
/// Coroutine handlers on the base loop (loops == 0) or on `loops` worker loops, round robin.
std::unique_ptr<Backend> make_stream_backend(EventLoop& base, ServeContext& ctx, unsigned loops,
                                             StreamHandler handler);

}  // namespace sockit
