// UdpServer: the datagram side of `sockit serve -u`: echo or discard on one UDP socket, driven
// by an EventLoop. Never sends more than it received (no amplification): an echo is the
// datagram itself, byte for byte, and a datagram too large for the receive buffer (truncated
// by the kernel) is counted and dropped, never echoed cut short.
//
// Thread-safety: create, start and the destructor on the loop thread only; stats() thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "sockit/async/loop.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/sys/fd.hpp"

namespace sockit {

struct UdpServerOptions {
  bool echo = true;                  ///< false: discard
  std::size_t max_datagram = 65536;  ///< receive buffer; larger datagrams count as truncated
};

struct UdpServerStats {
  std::uint64_t datagrams = 0;  ///< received whole
  std::uint64_t truncated = 0;  ///< received cut short, dropped
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t send_errors = 0;  ///< echoes the kernel refused (e.g. a full send buffer)
};

class UdpServer final : public EventLoop::Handler {
 public:
  /// Binds `at` (port 0 allowed). Loop thread only.
  [[nodiscard]] static Result<std::unique_ptr<UdpServer>> bind(EventLoop& loop, const Endpoint& at,
                                                               UdpServerOptions options = {});
  ~UdpServer();
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  /// Starts receiving. Loop thread only.
  [[nodiscard]] Status start();
  const Endpoint& local_endpoint() const noexcept { return local_; }
  /// Thread-safe.
  UdpServerStats stats() const;

 private:
  UdpServer(EventLoop& loop, UniqueFd fd, UdpServerOptions options);
  void on_ready(std::uint32_t events) override;

  EventLoop& loop_;
  UniqueFd fd_;
  UdpServerOptions options_;
  Endpoint local_;
  std::vector<std::byte> buffer_;
  bool watching_ = false;
  std::atomic<std::uint64_t> datagrams_{0}, truncated_{0}, bytes_in_{0}, bytes_out_{0},
      send_errors_{0};
};

}  // namespace sockit
