// One FTP connection, control or data: plain TCP, or TLS over it once AUTH TLS (or implicit
// FTPS, or PROT P on a data connection) has switched it. The client holds one type whatever the
// mode, so the protocol code reads and writes the same way in all of them.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <utility>
#include <variant>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/tls/context.hpp"
#include "sockit/tls/stream.hpp"

namespace sockit::ftp {

class Channel {
 public:
  Channel() = default;
  explicit Channel(TcpStream tcp) : s_(std::move(tcp)) {}

  [[nodiscard]] Result<std::size_t> read_some(std::span<std::byte> out, Deadline deadline = {}) {
    return std::visit([&](auto& s) { return s.read_some(out, deadline); }, s_);
  }
  [[nodiscard]] Result<std::size_t> write_some(std::span<const std::byte> in,
                                               Deadline deadline = {}) {
    return std::visit([&](auto& s) { return s.write_some(in, deadline); }, s_);
  }
  [[nodiscard]] Status shutdown(ShutdownHow how, Deadline deadline = {}) {
    if (auto* tls = std::get_if<TlsStream<TcpStream>>(&s_)) return tls->shutdown(how, deadline);
    return std::get<TcpStream>(s_).shutdown(how);
  }

  /// Runs a client handshake over the plain connection. `resume`: the session whose TLS
  /// session the data connection must resume (FTPS servers check it), or null.
  [[nodiscard]] Status start_tls(const TlsClientContext& context, std::string_view host,
                                 Deadline deadline, const TlsSession* resume) {
    auto* tcp = std::get_if<TcpStream>(&s_);
    if (tcp == nullptr) return {};
    auto session = resume != nullptr ? TlsSession::client_resuming(context, host, *resume)
                                     : TlsSession::client(context, host);
    if (!session) return fail(session.error());
    TlsStream<TcpStream> tls(std::move(*tcp), std::move(*session));
    auto shaken = tls.handshake(deadline);
    s_ = std::move(tls);
    return shaken;
  }

  const TcpStream& tcp() const {
    if (const auto* tls = std::get_if<TlsStream<TcpStream>>(&s_)) return tls->next_layer();
    return std::get<TcpStream>(s_);
  }
  const TlsSession* tls_session() const {
    const auto* tls = std::get_if<TlsStream<TcpStream>>(&s_);
    return tls != nullptr ? &tls->session() : nullptr;
  }
  bool valid() const { return tcp().valid(); }

 private:
  std::variant<TcpStream, TlsStream<TcpStream>> s_;
};

}  // namespace sockit::ftp
