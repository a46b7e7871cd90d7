// start_server(): asyncio's start_server for sockit coroutines. Listens on an endpoint and runs
// `handler(stream)` as its own task for every accepted connection, on one EventLoop.
//
//   auto server = start_server(*loop, *Endpoint::parse("127.0.0.1:0"),
//                              [](AsyncStream s) -> Task<void> { ... });
//   if (!server) return explain(server.error(), "cannot listen");
//   loop->run();
//
// The server owns its connection tasks: destroying it (after the loop stopped, or from another
// task) destroys every handler still suspended, which closes their streams and cancels their
// pending operations. A handler may be a capturing lambda: the server keeps the callable alive
// for as long as any handler runs.
//
// Admission is Server's (the one accept path, src/server/acceptor.hpp): a peer outside `allow`
// or inside `deny` is closed at once without a word; over `max_connections` running handlers a
// new client receives `full_message` (never waiting), FIN, and is closed; both are counted in
// refused(). When descriptors run out (EMFILE/ENFILE) a spare descriptor lets the server accept
// and refuse the waiting clients the same way; if even that fails, accepting pauses for
// `accept_retry` instead of spinning.
//
// Thread rule: loop thread only (start_server, every member, and destruction).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sockit/async/async.hpp"
#include "sockit/async/loop.hpp"
#include "sockit/async/task.hpp"
#include "sockit/core/error.hpp"
#include "sockit/net/cidr.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/stream/tcp.hpp"

namespace sockit {

/// Runs one connection; the stream is the handler's to keep.
using StreamHandler = std::function<Task<void>(AsyncStream)>;

struct AsyncServerOptions {
  ListenOptions listen;                            ///< backlog, SO_REUSEADDR/SO_REUSEPORT, v6
  std::size_t max_connections = 10000;             ///< running handlers at most
  std::vector<IpNetwork> allow;                    ///< if not empty, only these peers
  std::vector<IpNetwork> deny;                     ///< never these peers (wins over allow)
  std::string full_message = "ERR server full\n";  ///< sent to clients over the cap ("" = none)
  Millis accept_retry{100};  ///< pause when descriptors stay exhausted (EMFILE, ENFILE)
};

class AsyncServer {
 public:
  AsyncServer(AsyncServer&&) noexcept;
  AsyncServer& operator=(AsyncServer&&) noexcept;
  AsyncServer(const AsyncServer&) = delete;
  AsyncServer& operator=(const AsyncServer&) = delete;
  /// Stops accepting and destroys the running handlers (not from inside one of them).
  ~AsyncServer();

  /// Where the server listens; with port 0 in start_server, the port the kernel chose.
  const Endpoint& local_endpoint() const noexcept;
  std::uint16_t port() const noexcept { return local_endpoint().port(); }
  /// Handlers running now.
  std::size_t connections() const noexcept;
  /// Connections taken from the listener so far, including those refused.
  std::uint64_t accepted() const noexcept;
  /// Connections turned away so far: over the cap, by allow/deny, or for want of descriptors.
  std::uint64_t refused() const noexcept;
  /// Stops accepting (closes the listening socket); running handlers carry on. Safe to call
  /// from a handler.
  void close() noexcept;

 private:
  struct Impl;
  friend Result<AsyncServer> start_server(EventLoop&, const Endpoint&, StreamHandler,
                                          AsyncServerOptions);
  explicit AsyncServer(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

/// Binds and listens on `at` (TCP) and starts accepting on `loop`. Errors are the OS's
/// (EADDRINUSE, EACCES, ...). Loop thread only.
[[nodiscard]] Result<AsyncServer> start_server(EventLoop& loop, const Endpoint& at,
                                               StreamHandler handler,
                                               AsyncServerOptions options = {});

}  // namespace sockit
