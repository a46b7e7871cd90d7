// TLS as a Connection's transport filter (sockit/async/connection_filter.hpp): a server-side
// TlsSession between the socket and the owner, so every server model, service and codec that
// runs over Connection serves TLS unchanged. The session never does I/O; the connection moves
// the ciphertext, so the loop never blocks in OpenSSL.
#pragma once

#include <cstddef>
#include <memory>

#include "sockit/async/connection_filter.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/tls/context.hpp"

namespace sockit {

struct TlsFilterOptions {
  /// A client that has not finished its handshake this long after the connection was made is
  /// closed with Errc::deadline_passed. Zero: no handshake deadline.
  Clock::duration handshake_timeout = std::chrono::seconds(10);
  /// Plaintext the owner may send before the handshake finishes (held until it does); more
  /// fails the connection with Errc::output_limit.
  std::size_t max_held = std::size_t{4} << 20;
};

/// A filter for one accepted connection; its handshake deadline counts from `now`. Errors:
/// TlsErrc::internal when OpenSSL cannot make the session.
[[nodiscard]] Result<std::unique_ptr<ConnectionFilter>> tls_server_filter(
    const TlsServerContext& context, const TlsFilterOptions& options, Clock::time_point now);

}  // namespace sockit
