// Bluetooth RFCOMM (Linux AF_BLUETOOTH, BTPROTO_RFCOMM): a reliable byte stream to a device
// address and channel, written "bt:AA:BB:CC:DD:EE:FF/CHANNEL" (net/endpoint.hpp).
//
// A kernel built without Bluetooth refuses the socket itself with EAFNOSUPPORT; a machine with no
// adapter (or a device out of reach) fails the connect with EHOSTUNREACH, and binding to an
// adapter address the machine does not have with EADDRNOTAVAIL or ENODEV. These come back as the
// kernel's error codes, unchanged. Each object owns its descriptor (move-only), O_NONBLOCK |
// CLOEXEC; blocking calls wait with poll() until their Deadline (socket.hpp).
// Thread-safety: one object, one thread at a time.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <span>
#include <utility>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {

class RfcommStream {
 public:
  RfcommStream() = default;

  /// Connects to `to` (an Endpoint with is_bluetooth(); Errc::invalid_endpoint otherwise).
  [[nodiscard]] static Result<RfcommStream> connect(const Endpoint& to, Deadline deadline = {});

  [[nodiscard]] Result<std::size_t> read_some(std::span<std::byte> buffer, Deadline deadline = {});
  [[nodiscard]] Result<std::size_t> write_some(std::span<const std::byte> data,
                                               Deadline deadline = {});
  [[nodiscard]] Status shutdown(ShutdownHow how);
  [[nodiscard]] Result<Endpoint> peer_endpoint() const;
  int fd() const noexcept { return fd_.get(); }
  bool valid() const noexcept { return fd_.valid(); }

 private:
  friend class RfcommListener;
  explicit RfcommStream(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

class RfcommListener {
 public:
  RfcommListener() = default;

  /// Binds `at` (bt:00:00:00:00:00:00/N: channel N on every adapter) and listens.
  [[nodiscard]] static Result<RfcommListener> bind(const Endpoint& at, int backlog = SOMAXCONN);
  /// Waits until the deadline (std::errc::timed_out) for a connection.
  [[nodiscard]] Result<RfcommStream> accept(Deadline deadline = {});
  [[nodiscard]] Result<Endpoint> local_endpoint() const;
  int fd() const noexcept { return fd_.get(); }

 private:
  explicit RfcommListener(UniqueFd fd) noexcept : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace sockit
