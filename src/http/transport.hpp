// One client connection, plain TCP or TLS over TCP, as a single ByteStream, plus the bytes
// read past the end of the last response (kept with it between requests).
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "sockit/core/buffer.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/tls/stream.hpp"

namespace sockit::http {

class Transport {
 public:
  explicit Transport(TcpStream tcp) : s_(std::move(tcp)) {}
  explicit Transport(TlsStream<TcpStream> tls) : s_(std::move(tls)) {}

  [[nodiscard]] Result<std::size_t> read_some(std::span<std::byte> out, Deadline deadline = {}) {
    return std::visit([&](auto& s) { return s.read_some(out, deadline); }, s_);
  }
  [[nodiscard]] Result<std::size_t> write_some(std::span<const std::byte> data,
                                               Deadline deadline = {}) {
    return std::visit([&](auto& s) { return s.write_some(data, deadline); }, s_);
  }
  [[nodiscard]] Status shutdown(ShutdownHow how) {
    return std::visit([&](auto& s) { return s.shutdown(how); }, s_);
  }
  const TlsSession* session() const noexcept {
    const auto* tls = std::get_if<TlsStream<TcpStream>>(&s_);
    return tls ? &tls->session() : nullptr;
  }
  const TcpStream& tcp() const noexcept {
    if (const auto* tls = std::get_if<TlsStream<TcpStream>>(&s_)) return tls->next_layer();
    return std::get<TcpStream>(s_);
  }

  std::string origin;  ///< "scheme://authority" it was opened for
  Endpoint peer;
  Endpoint local;
  Buffer in{0};

 private:
  std::variant<TcpStream, TlsStream<TcpStream>> s_;
};

}  // namespace sockit::http
