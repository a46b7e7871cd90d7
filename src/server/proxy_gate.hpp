// ProxyGate: reads the PROXY protocol header (ServerOptions::proxy_protocol) of each admitted
// connection on the accepting loop, before any model, codec, TLS session or service sees the
// connection, so that all of them see the client's real address. Internal to the library.
//
//   Server::adopt -> ProxyGate::admit
//     peer not in proxy_from           refused: closed at once, reported (untrusted_source)
//     readable -> peek, parse          need more: the peeked bytes are all header, consume them
//                                      complete: consume exactly the header; the payload stays
//                                      in the socket for the model's first read
//                                      error / EOF / reset: closed, reported
//     deadline (proxy_header_timeout)  closed, reported (timed_out)
//   -> `ready(fd, address)` with the header's source (or the socket's peer for LOCAL, UNKNOWN,
//      AF_UNSPEC and AF_UNIX headers)
//
// Peeking, then consuming only header bytes, means no byte after the header is ever read here:
// nothing has to be handed to the Connection, and every model (and TLS) starts on a clean stream.
//
// Thread rule: the accepting loop's thread only, except the counters (relaxed atomics).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "sockit/async/loop.hpp"
#include "sockit/core/unique_fd.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/server/server.hpp"

namespace sockit {

/// True when `peer` may send a PROXY header: in `trusted` (loopback when empty); a non-IP
/// (Unix socket) peer always may.
bool trusted_proxy(const Endpoint& peer, const std::vector<IpNetwork>& trusted) noexcept;

class ProxyGate {
 public:
  /// A connection whose header was read: `client` is the address to serve it as.
  using Ready = std::function<void(UniqueFd fd, const Endpoint& client)>;
  /// A connection the gate closed (already closed when called).
  using Closed = std::function<void()>;

  /// `options` must outlive the gate.
  ProxyGate(EventLoop& loop, const ServerOptions& options, Ready ready, Closed closed);
  ~ProxyGate();
  ProxyGate(const ProxyGate&) = delete;
  ProxyGate& operator=(const ProxyGate&) = delete;

  /// Takes a new connection from `peer` (the socket's address).
  void admit(UniqueFd fd, const Endpoint& peer);
  /// Closes every connection still waiting for its header (the server is stopping: none has
  /// been served); returns how many.
  std::size_t close_all();
  /// Connections closed for a missing, partial, malformed, oversized or late header.
  std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }
  /// Connections refused because they did not come from a trusted proxy.
  std::uint64_t refused() const noexcept { return refused_.load(std::memory_order_relaxed); }
  /// LOCAL headers from a proxy that had already hung up (its health checks), closed here.
  std::uint64_t health_checks() const noexcept {
    return health_checks_.load(std::memory_order_relaxed);
  }

 private:
  class Pending;
  void finish(Pending& p, std::error_code why, const Endpoint* client);

  EventLoop& loop_;
  const ServerOptions& options_;
  Ready ready_;
  Closed closed_;
  std::unordered_map<Pending*, std::unique_ptr<Pending>> pending_;
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> health_checks_{0};
};

}  // namespace sockit
