// Operations shared by every socket type: creation, typed options, addresses, shutdown and the
// single-call read/write/connect primitives that TcpStream, UdpSocket and the Unix types build on.
//
// Blocking model: every socket sockit creates (or adopts) is O_NONBLOCK and CLOEXEC. A "blocking"
// call tries the operation first and, on EAGAIN, waits with poll() (wait_ready) until the fd is
// ready or its Deadline passes (std::errc::timed_out). This is what makes deadlines hold on every
// call, and the same descriptor can be handed to an event loop unchanged. If you clear O_NONBLOCK
// on a descriptor yourself, calls still work but block in the kernel and ignore deadlines.
//
// All functions take a descriptor they do not own. Thread-safety: as safe as the system calls they
// wrap; two threads reading (or writing) the same socket at once get interleaved bytes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/sys/io.hpp"

namespace sockit {

/// Which direction(s) shutdown() closes.
enum class ShutdownHow : std::uint8_t {
  read,   ///< SHUT_RD: further reads return 0 (EOF)
  write,  ///< SHUT_WR: sends a FIN; the peer reads EOF after the bytes already sent
  both,   ///< SHUT_RDWR
};

/// socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol).
[[nodiscard]] Result<UniqueFd> open_socket(int domain, int type, int protocol = 0);

// ---- options (setters and getters; each wraps one setsockopt/getsockopt) ----------------------

[[nodiscard]] Status set_reuse_addr(
    int fd, bool on);  ///< SO_REUSEADDR: rebind while old connections linger
[[nodiscard]] Result<bool> reuse_addr(int fd);
[[nodiscard]] Status set_reuse_port(int fd,
                                    bool on);  ///< SO_REUSEPORT: several sockets bind one port
[[nodiscard]] Result<bool> reuse_port(int fd);
[[nodiscard]] Status set_no_delay(int fd, bool on);  ///< TCP_NODELAY: turn Nagle's algorithm off
[[nodiscard]] Result<bool> no_delay(int fd);
[[nodiscard]] Status set_keep_alive(int fd, bool on);  ///< SO_KEEPALIVE: probe idle connections
[[nodiscard]] Result<bool> keep_alive(int fd);
[[nodiscard]] Status set_broadcast(
    int fd, bool on);  ///< SO_BROADCAST: allow sending to broadcast addresses
[[nodiscard]] Result<bool> broadcast(int fd);
[[nodiscard]] Status set_v6_only(int fd,
                                 bool on);  ///< IPV6_V6ONLY: false lets [::] accept IPv4 too
[[nodiscard]] Result<bool> v6_only(int fd);

/// SO_SNDBUF / SO_RCVBUF. Linux doubles the requested size for bookkeeping and clamps it to
/// net.core.[wr]mem_max, so the getter reports what the kernel really uses, not what was asked.
[[nodiscard]] Status set_send_buffer(int fd, int bytes);
[[nodiscard]] Result<int> send_buffer(int fd);
[[nodiscard]] Status set_recv_buffer(int fd, int bytes);
[[nodiscard]] Result<int> recv_buffer(int fd);

/// SO_LINGER. nullopt: off, the default (close() returns at once and the kernel delivers unsent
/// data in the background). 0 s: abortive close: close() discards unsent data and sends RST, so
/// the peer sees ECONNRESET and no TIME_WAIT is left. n s: close() may block up to n seconds
/// while unsent data drains.
[[nodiscard]] Status set_linger(int fd, std::optional<std::chrono::seconds> timeout);
[[nodiscard]] Result<std::optional<std::chrono::seconds>> linger_timeout(int fd);
/// Shorthand for set_linger(fd, 0 s): the next close() resets the connection.
[[nodiscard]] Status set_abortive_close(int fd);

/// SO_ERROR: the socket's pending error, which reading clears. An empty error_code means none.
/// The outer Result fails only if getsockopt itself fails (e.g. EBADF, ENOTSOCK).
[[nodiscard]] Result<std::error_code> pending_error(int fd);

// ---- addresses and shutdown ------------------------------------------------------------------

[[nodiscard]] Result<Endpoint> local_endpoint(
    int fd);  ///< getsockname: e.g. the port the kernel chose for :0
[[nodiscard]] Result<Endpoint> peer_endpoint(int fd);  ///< getpeername: ENOTCONN if not connected
[[nodiscard]] Status shutdown(int fd, ShutdownHow how);

// ---- single-call primitives (see "Blocking model" above; the calls are in io.cpp) -----------

/// One receive: waits until some bytes (or EOF) can be read, then returns how many were read;
/// 0 means the peer closed its writing side. An empty buffer returns 0 without a call. Works
/// on any stream descriptor (sys/io.hpp: MSG_DONTWAIT, the read() fallback for pipes, which
/// polls first when the pipe is blocking and the deadline finite, so the deadline holds).
[[nodiscard]] Result<std::size_t> read_some(int fd, std::span<std::byte> buffer,
                                            Deadline deadline = {}, IoTrace trace = {});
/// One send with MSG_NOSIGNAL (a closed peer yields EPIPE, never SIGPIPE): waits until some
/// bytes can be queued and returns how many were; may be fewer than data.size(). For "all of it"
/// use stream/io.hpp's send_all over a stream.
[[nodiscard]] Result<std::size_t> write_some(int fd, std::span<const std::byte> data,
                                             Deadline deadline = {}, IoTrace trace = {});

// ---- datagrams (UDP and Unix datagram sockets) ------------------------------------------------

/// One received datagram. Truncation is reported as data plus a flag, not as an error, so the
/// caller chooses: treat it as Errc::truncated_datagram, or use the first `size` bytes. (The
/// kernel discards the part that did not fit; it cannot be read afterwards.)
struct Datagram {
  std::size_t size = 0;       ///< bytes stored in the buffer (0 is a valid, empty datagram)
  std::size_t real_size = 0;  ///< the datagram's full length (MSG_TRUNC); > size when truncated
  bool truncated = false;     ///< MSG_TRUNC was set in msg_flags
  /// The sender. An unbound Unix sender appears as an empty UnixPath. Left default (0.0.0.0:0)
  /// in the rare case the kernel reports no usable address.
  Endpoint from;
};

/// One recvmsg(MSG_TRUNC). On a connected UDP socket, an ICMP port-unreachable caused by an
/// earlier send surfaces here as std::errc::connection_refused.
[[nodiscard]] Result<Datagram> recv_datagram(int fd, std::span<std::byte> buffer,
                                             Deadline deadline = {});
/// One send (connected socket) or sendto (`to`), MSG_NOSIGNAL; an empty datagram is sent too.
[[nodiscard]] Result<std::size_t> send_datagram(int fd, std::span<const std::byte> data,
                                                Deadline deadline = {});
[[nodiscard]] Result<std::size_t> send_datagram_to(int fd, std::span<const std::byte> data,
                                                   const Endpoint& to, Deadline deadline = {});

/// What try_recv_from() received; the sender is left as the kernel wrote it (a SockAddr), so a
/// server's loop can answer it without converting it to an Endpoint and back.
struct DatagramSize {
  std::size_t size = 0;       ///< bytes stored in the buffer
  std::size_t real_size = 0;  ///< the datagram's full length (MSG_TRUNC); > size when truncated
  bool truncated = false;     ///< MSG_TRUNC was set in msg_flags
};

/// One recvmsg(MSG_TRUNC | MSG_DONTWAIT) that never waits (nothing queued: would_block());
/// `from` receives the sender and its length. EINTR is retried.
[[nodiscard]] Result<DatagramSize> try_recv_from(int fd, std::span<std::byte> buffer,
                                                 SockAddr& from);
/// One sendto(MSG_DONTWAIT | MSG_NOSIGNAL) that never waits; an empty datagram is sent too.
/// EINTR is retried.
[[nodiscard]] Result<std::size_t> try_send_to(int fd, std::span<const std::byte> data,
                                              const SockAddr& to);

/// Starts a non-blocking connect: true if it completed at once, false if it is in progress (wait
/// for writability, then read pending_error()), or the immediate error (e.g. ECONNREFUSED).
[[nodiscard]] Result<bool> start_connect(int fd, const SockAddr& to);
/// start_connect, then wait for completion until the deadline (std::errc::timed_out).
[[nodiscard]] Status connect_socket(int fd, const SockAddr& to, Deadline deadline = {});

}  // namespace sockit
