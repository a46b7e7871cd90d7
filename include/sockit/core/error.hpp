// Errors as values: every fallible sockit call returns Result<T>.
//
// errno values become std::error_code in system_category (so ECONNREFUSED compares equal to
// std::errc::connection_refused), getaddrinfo codes in gai_category() (whose message is the
// resolver's own text), and sockit's own conditions in sockit_category(). The conversion from
// errno / EAI_* happens only in sys_error() and gai_error() (src/error.cpp).
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <system_error>

namespace sockit {

template <class T>
using Result = std::expected<T, std::error_code>;
using Status = Result<void>;

/// sockit's own failure conditions (category "sockit").
enum class Errc {
  ok = 0,
  invalid_address = 1,  ///< text is not a valid IP address
  invalid_prefix,       ///< CIDR prefix length or netmask is not valid
  invalid_port,         ///< port is not a number in 0..65535
  invalid_endpoint,     ///< endpoint text is not host:port, [v6]:port or a Unix path
  line_too_long,        ///< a line exceeded the configured maximum before its delimiter
  frame_too_long,       ///< a length-prefixed frame announced more than the maximum
  malformed_frame,      ///< bytes that cannot start or continue a valid frame
  truncated_datagram,   ///< a datagram was larger than the receive buffer and was cut
  closed_early,         ///< the peer closed before the requested bytes arrived
  resolve_timed_out,    ///< name resolution did not finish before the deadline
  no_addresses,         ///< a lookup succeeded but returned no usable address
  server_full,          ///< the server refused the connection: connection cap reached
  not_allowed,          ///< the peer's address is denied by the server's allow/deny lists
  output_limit,         ///< a slow reader let its output buffer grow past the limit
  idle_timeout,         ///< no bytes arrived within the idle deadline
  partial_timeout,      ///< a message stayed incomplete past the partial-message deadline
  cancelled,            ///< the operation was cancelled (loop stopping, task destroyed)
  /// One of sockit's own I/O deadlines (connect, read, write, accept) passed first. Not the
  /// kernel's ETIMEDOUT, but it compares equal to std::errc::timed_out as a condition.
  deadline_passed,
  /// The peer ended the stream cleanly at a message boundary: recv_exact before its first
  /// byte, recv_until with nothing buffered (a message cut off is closed_early instead).
  end_of_stream,
  /// The server is draining and asks the handler to finish (a coroutine handler's read under
  /// Server::drain; see StreamInterrupt). Compares equal to std::errc::operation_canceled.
  draining,
};

const std::error_category& sockit_category() noexcept;
const std::error_category& gai_category() noexcept;

std::error_code make_error_code(Errc e) noexcept;

/// The current errno as an error_code. The one place errno is read for error reporting.
std::error_code sys_error() noexcept;
/// A given errno value as an error_code.
std::error_code sys_error(int errno_value) noexcept;
/// A getaddrinfo/getnameinfo return code as an error_code. EAI_SYSTEM becomes the errno it
/// carries (pass the errno saved right after the call).
std::error_code gai_error(int eai_code, int saved_errno = 0) noexcept;

/// Shorthand for returning a failure: `return fail(Errc::line_too_long);`
inline std::unexpected<std::error_code> fail(std::error_code ec) noexcept {
  return std::unexpected(ec);
}
inline std::unexpected<std::error_code> fail(Errc e) noexcept {
  return std::unexpected(make_error_code(e));
}

/// True when the error came from name resolution (getaddrinfo or a resolver deadline).
bool is_dns_error(std::error_code ec) noexcept;
/// True for "connection refused" (nothing listens) in any category that can express it.
bool is_refused(std::error_code ec) noexcept;
/// True for deadlines and OS timeouts (ETIMEDOUT, I/O and resolver deadlines, idle/partial
/// timeouts).
bool is_timeout(std::error_code ec) noexcept;

/// The likely cause of an error, in a few words, or "" when nothing useful can be said.
/// `port` (when >= 0) refines the answer, e.g. EACCES on a port below 1024.
std::string_view likely_cause(std::error_code ec, int port = -1) noexcept;

/// One line for people: "<what>: <the OS's words> (<likely cause>)".
/// Example: explain(ec, "cannot connect to www.abc.invalid port 80") ->
/// "cannot connect to www.abc.invalid port 80: Name or service not known (the name does not
/// exist in DNS)".
std::string explain(std::error_code ec, std::string_view what, int port = -1);

}  // namespace sockit

template <>
struct std::is_error_code_enum<sockit::Errc> : std::true_type {};
