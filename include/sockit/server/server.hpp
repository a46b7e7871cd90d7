// Server: accepts connections on one listener and serves them with a Service under one of four
// concurrency models. The model decides only which thread drives a connection; accepting and
// admission (connection cap, allow/deny, descriptor exhaustion: the one accept path that
// start_server uses too), the codec, limits and the service code are shared.
//
//   thread    one thread per client (the lecture's server): a joinable thread per connection,
//             at most max_connections of them, reaped as they finish.
//   pool      a fixed set of worker threads; each serves one connection at a time, the others
//             wait in a queue (counted against max_connections).
//   loop      one EventLoop: every connection non-blocking on the loop that accepts.
//   reactors  N EventLoops on N threads; the accepting loop hands each new connection to the
//             next one round robin, and the connection stays there for life.
//
// Threads: the accepting ("base") loop is the caller's. create(), start(), drain() and the
// destructor are base-loop-thread only (asserted through the loop); stats() is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/async/connection.hpp"
#include "sockit/async/loop.hpp"
#include "sockit/codec/proxy_protocol.hpp"
#include "sockit/net/cidr.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/server/async_server.hpp"
#include "sockit/server/service.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/tls/async_stream.hpp"
#include "sockit/tls/context.hpp"

namespace sockit {

enum class Model : std::uint8_t { thread, pool, loop, reactors };
std::string_view model_name(Model m) noexcept;
/// "thread", "pool", "loop" or "reactors"; std::errc::invalid_argument otherwise.
[[nodiscard]] Result<Model> parse_model(std::string_view text);

/// Makes the codec of one new connection; `max_message` is ServerOptions::max_message.
/// Called on the accepting or serving thread: must be thread-safe.
using CodecFactory = std::function<CodecPtr(std::size_t max_message)>;
/// A factory for one of the built-in codecs (make_codec(framing, max_message)).
CodecFactory codec_factory(Framing framing);

/// Runs one TLS connection of a coroutine server: the handshake is done (Server::create).
using TlsStreamHandler = std::function<Task<void>(AsyncTlsStream)>;

struct ServerOptions {
  Model model = Model::loop;
  unsigned threads = 0;  ///< pool size / reactor count; 0: one per core
  /// The connections' codec; empty: the service's own (Service::make_codec).
  CodecFactory codec;
  std::size_t max_connections = 10000;  ///< over it: "ERR server full\n" and close
  std::size_t max_message = 64 * 1024;  ///< longest message (line, len32 payload...)
  ConnectionOptions connection;         ///< output limits, idle and partial deadlines
  /// SO_SNDBUF for each connection. 0: a quarter of connection.output_limit (the kernel doubles
  /// it), so that what the kernel holds for a peer plus the high-water mark stays under the
  /// output limit, which then counts both (connection.count_kernel_queue is set; a fixed size
  /// should likewise be at most a quarter of the limit). Negative: the kernel's autotuning (up
  /// to tcp_wmem's maximum, 4 MiB here), and the limit counts only what the server queues.
  int send_buffer = 0;
  std::vector<IpNetwork> allow;  ///< if not empty, only these peers (deny still wins)
  std::vector<IpNetwork> deny;   ///< never these peers
  /// Serve TLS on every connection with this context (null: plain). Every model; the TLS
  /// session is a transport filter inside the connection (ConnectionFilter), so services and
  /// codecs do not know it is there. Kernel echo is off for TLS connections. Coroutine
  /// handlers take TLS through the TlsStreamHandler form of create/listen (which requires
  /// this); a plain StreamHandler with `tls` set is refused with not_supported.
  std::shared_ptr<const TlsServerContext> tls;
  /// A TLS client that has not finished its handshake this long after it was accepted is
  /// closed (Errc::deadline_passed). Zero: no limit.
  Clock::duration tls_handshake_timeout = std::chrono::seconds(10);
  /// Told about each TLS connection that failed: a handshake that failed or timed out
  /// (`in_handshake`), or a TLS error afterwards (a corrupt record, an alert, a stream cut
  /// without close_notify). Not told about connections the server itself ends (drain, idle,
  /// limits). `remote` is "ADDRESS:PORT" (or "unix"). Called on serving threads, at most once
  /// per connection: must be thread-safe. ServerStats::tls_failures counts the same events.
  std::function<void(const std::string& remote, std::error_code why, bool in_handshake)>
      on_tls_failure;
  /// Read a PROXY protocol header (v1 or v2, as HAProxy's send-proxy / send-proxy-v2 send it)
  /// first on every connection, before TLS and before the service, and serve the connection as
  /// the client it names: Peer::remote(), allow/deny and the failure reports see that address.
  /// A LOCAL (health check) or UNKNOWN header keeps the connection's own address. A missing,
  /// partial, malformed, oversized or late header closes the connection (on_proxy_failure).
  bool proxy_protocol = false;
  /// Who may send the header (empty: 127.0.0.0/8 and ::1); a connection from any other address
  /// is closed at once (ProxyErrc::untrusted_source, counted as refused). Unix peers may.
  std::vector<IpNetwork> proxy_from;
  ProxyLimits proxy_limits;  ///< the largest v2 header accepted
  /// A connection that has not sent its whole header this long after it was accepted is
  /// closed (ProxyErrc::timed_out). Zero: no limit.
  Clock::duration proxy_header_timeout = std::chrono::seconds(10);
  /// Told about each connection refused or closed before its header was read: `remote` is the
  /// socket's peer ("ADDRESS:PORT", or "unix"), `why` a proxy_category() code or the socket's
  /// error. Called on the accepting loop's thread.
  std::function<void(const std::string& remote, std::error_code why)> on_proxy_failure;
};

struct ServerStats {
  std::uint64_t connections = 0;  ///< open now
  std::uint64_t accepted = 0;     ///< served since start
  std::uint64_t refused = 0;      ///< turned away: cap, allow/deny, descriptor exhaustion
  std::uint64_t threads = 0;      ///< threads serving connections now (thread/pool models)
  std::uint64_t waiting = 0;      ///< pool: admitted connections queued for a free worker
  std::uint64_t messages = 0;
  std::uint64_t bytes_in = 0;      ///< read from sockets (TLS: ciphertext, as on the wire)
  std::uint64_t bytes_out = 0;     ///< written to sockets (TLS: ciphertext)
  std::uint64_t tls_failures = 0;  ///< TLS connections that failed (see on_tls_failure)
  /// Connections closed for a bad, missing or late PROXY header (see on_proxy_failure).
  std::uint64_t proxy_failures = 0;
};

/// What a drain ended with: connections still open at the deadline were cut (reset, so that
/// their peers see an error rather than a clean end), with what they were still owed.
struct DrainReport {
  std::size_t cut = 0;       ///< connections cut at the deadline (queued ones included)
  std::uint64_t unsent = 0;  ///< reply bytes the cut peers had not yet acknowledged
  std::uint64_t unread = 0;  ///< request bytes the cut peers sent that were never read
};

/// True when `peer` may connect: not in any deny network, and in an allow network when there
/// are any. A non-IP peer (Unix socket) is always admitted.
bool admitted(const Endpoint& peer, const std::vector<IpNetwork>& allow,
              const std::vector<IpNetwork>& deny) noexcept;

class Acceptor;
class Backend;
class ProxyGate;
struct ServeContext;

class Server {
 public:
  /// Serves on `listener` (a bound, listening, non-blocking stream socket), driven from `base`.
  /// `service` must outlive the server. Base loop thread only.
  [[nodiscard]] static Result<std::unique_ptr<Server>> create(EventLoop& base, UniqueFd listener,
                                                              Service& service,
                                                              ServerOptions options);
  /// Binds a TCP listener (or a Unix one for a Unix endpoint, replacing a stale socket file)
  /// and calls create().
  [[nodiscard]] static Result<std::unique_ptr<Server>> listen(EventLoop& base, const Endpoint& at,
                                                              Service& service,
                                                              ServerOptions options);
  /// The same for coroutine handlers: each connection becomes an AsyncStream on the loop that
  /// serves it and `handler(stream)` runs there as a task, on every model (thread and pool: on
  /// the loop the serving thread makes for its connection, as for a service). Admission, the cap,
  /// drain and the connection counts are the server's; bytes, messages and deadlines are the
  /// handler's (stats() counts no traffic for it). `handler` is called on every serving thread: it
  /// must be thread-safe. A drain asks each handler to finish: the read it waits in (or its
  /// next read that has to wait, after the bytes already there) fails with Errc::draining, once
  /// (StreamInterrupt), so that it can say goodbye and return. Handlers still running at the
  /// deadline are destroyed (their streams close; the report counts them as cut).
  [[nodiscard]] static Result<std::unique_ptr<Server>> create(EventLoop& base, UniqueFd listener,
                                                              StreamHandler handler,
                                                              ServerOptions options);
  [[nodiscard]] static Result<std::unique_ptr<Server>> listen(EventLoop& base, const Endpoint& at,
                                                              StreamHandler handler,
                                                              ServerOptions options);
  /// A StreamHandler with options.tls set is refused (not_supported): its handler would read
  /// ciphertext. For TLS use this form. It requires options.tls (invalid_argument without it);
  /// the server runs tls_accept on each connection, under options.tls_handshake_timeout (zero:
  /// none), and calls `handler` with the AsyncTlsStream. A handshake that fails or times out
  /// never reaches the handler: it is counted in ServerStats::tls_failures and reported to
  /// options.on_tls_failure (`in_handshake` true, `remote` the socket's peer), as the services'
  /// TLS is; one the server ends itself (drain, stop) is not. Everything else is as above,
  /// drain included: the TLS stream's waiting read fails with Errc::draining. What the handler
  /// does with the stream afterwards (its TLS errors, close_notify) is its own business.
  [[nodiscard]] static Result<std::unique_ptr<Server>> create(EventLoop& base, UniqueFd listener,
                                                              TlsStreamHandler handler,
                                                              ServerOptions options);
  [[nodiscard]] static Result<std::unique_ptr<Server>> listen(EventLoop& base, const Endpoint& at,
                                                              TlsStreamHandler handler,
                                                              ServerOptions options);
  /// Stops every thread; connections still open are closed at once. Base loop thread only.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Where the listener is bound (the real port after binding port 0).
  const Endpoint& local_endpoint() const noexcept { return local_; }
  const ServerOptions& options() const noexcept { return options_; }

  /// Starts the model's threads and accepting. Base loop thread only.
  [[nodiscard]] Status start();
  /// Graceful stop: closes the listener (after accepting its backlog) and lets every connection
  /// finish: it is answered while its peer has requests in flight, closed at the first message
  /// boundary with nothing queued and nothing more to read (FIN after the last reply byte),
  /// and kept until the peer's EOF, so a slow reader receives everything it was owed. Calls
  /// `done` on the base loop when all are closed, or at `deadline` after cutting (resetting)
  /// the rest, whose losses the report counts. Base loop thread only.
  void drain(Clock::duration deadline, std::function<void(DrainReport)> done);

  /// Thread-safe.
  ServerStats stats() const;

 private:
  class Admission;
  // `tls_handler` (with `handler` empty): wrapped into a StreamHandler that runs the handshake.
  Server(EventLoop& base, UniqueFd listener, Service* service, StreamHandler handler,
         TlsStreamHandler tls_handler, ServerOptions options);
  [[nodiscard]] static Result<std::unique_ptr<Server>> make(EventLoop& base, UniqueFd listener,
                                                            Service* service, StreamHandler handler,
                                                            TlsStreamHandler tls_handler,
                                                            ServerOptions options);
  [[nodiscard]] static Result<std::unique_ptr<Server>> bind_and_make(
      EventLoop& base, const Endpoint& at, Service* service, StreamHandler handler,
      TlsStreamHandler tls_handler, ServerOptions options);
  void adopt(UniqueFd fd, const Endpoint& peer);
  void serve(UniqueFd fd, const Endpoint& client);
  void finish_drain();

  EventLoop& base_;
  std::shared_ptr<void> listener_owner_;  // e.g. the UnixListener that unlinks its path
  Service* service_;                      // null: serving a StreamHandler
  ServerOptions options_;
  Endpoint local_;
  std::unique_ptr<ServeContext> ctx_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Admission> admission_;
  std::unique_ptr<ProxyGate> proxy_gate_;  // proxy_protocol: reads headers before serve()
  std::unique_ptr<Acceptor> acceptor_;     // the shared accept path (src/server/acceptor.hpp)
  bool draining_ = false;
  EventLoop::TimerId drain_poll_ = 0;
  EventLoop::TimerId drain_deadline_ = 0;
  std::function<void(DrainReport)> drain_done_;
};

}  // namespace sockit
