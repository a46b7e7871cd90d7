// The stdin <-> socket bridge over TLS: the same poll() loop as bridge_stream(), with a
// sans-I/O TlsSession between the socket and the plaintext. Single-threaded; owns nothing (the
// caller owns the socket and the session).
#pragma once

#include "bridge.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/tls/context.hpp"
#include "sockit/tls/session.hpp"

namespace sockit::cli {

/// Runs `session`'s handshake over the connected socket `sock` until it completes, fails, or
/// `deadline` passes (a timeout). A failure's alert, if any, is sent to the peer first.
Status tls_handshake(int sock, TlsSession& session, Deadline deadline);

/// A TLS client for `name` (verified as the context says) over the connected socket `sock`,
/// handshake done under `deadline`.
Result<TlsSession> start_tls_client(int sock, const TlsClientContext& context,
                                    std::string_view name, Deadline deadline);

/// Sends our close_notify if the session can still say it; best effort, never blocks (for
/// `connect -z --ssl`, which ends right after the handshake).
void close_tls(int sock, TlsSession& session);

/// bridge_stream() over TLS, after tls_handshake(). The guarantees are the same, with TLS's
/// ends: once stdin has ended and all of it was sent, our close_notify goes out and the write
/// side is shut down (not with no_shutdown); output continues until the peer's close_notify.
/// An EOF from the peer without close_notify is TlsErrc::truncated (never a clean end), and
/// any TLS failure (an alert from the peer, a bad record) ends the bridge with its error.
/// --send-only still reads the socket (TLS has its own messages) but prints nothing and ends
/// once our close_notify is sent.
Status bridge_tls(int sock, TlsSession& session, const BridgeOptions& options);

}  // namespace sockit::cli
