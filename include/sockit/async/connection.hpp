// Connection: one TCP (or Unix stream) connection driven by an EventLoop, owned by that loop for
// its whole life: input and output Buffers, writes that go straight to the kernel when nothing is
// queued, backpressure, half-close in both directions, and idle / partial-message deadlines.
//
// Data path: readable -> readv into a per-thread 64 KiB scratch Buffer -> Events::on_data, which
// consumes what it used; only a partial message left over is copied into the connection's own
// input Buffer, which then takes the next read (with the scratch as overflow, muduo's readv
// trick). Both Buffers start empty and unallocated, and empty ones are freed by the deadline
// sweep once idle, so an idle connection holds no buffer memory.
// send() -> writev() at once if the output buffer is empty; only the unsent rest is buffered and
// only then is the descriptor watched for writability.
//
// Backpressure: while the output buffer holds more than high_water bytes the connection stops
// reading from its peer (so a client that sends but does not read is slowed by TCP itself, and
// nothing is lost); beyond output_limit bytes the peer is a slow reader and is disconnected with
// Errc::output_limit (that only happens to output the peer did not ask for, e.g. chat traffic).
// With count_kernel_queue (as Server sets it) the limit counts bytes queued here plus, for TCP,
// those in the kernel's send queue not yet acknowledged (SIOCOUTQ, asked only above
// high_water): what the peer is owed.
//
// The owner can also stop reading for its own reasons (pause_reading: chat holds back a sender
// whose lines other connections have not taken yet); that pause is independent of the output
// backpressure above, and reading resumes only when neither holds it.
//
// Closing: close(why) stops handing input to the owner, flushes the output, sends FIN, and waits
// (up to `linger`) for the peer's EOF before closing the descriptor, so the peer reads every byte
// including a last error line (closing with unread input would send RST and could destroy it).
// on_close is reported exactly once, from a task posted to the loop (one per batch of closes,
// no allocation per close), never from inside send() or on_data.
//
// Draining (drain(until)): the connection keeps answering while its peer has requests in flight
// and closes at the first quiet point: no message half-received, nothing queued, no input for
// 20 ms and a read finds nothing more in the kernel. Then it closes as above (FIN, wait for the
// peer's EOF), so a slow reader still receives every byte it was owed; only the owner's deadline
// cuts it. A peer that never closes is let go once its kernel has acknowledged everything
// (poll_drained).
//
// Kernel echo (echo_through): for an owner that would send every byte straight back (raw echo),
// the connection echoes by itself with splice(2) through a SplicePipe, socket -> pipe -> socket,
// so the bytes never reach user space (no copy, no on_data call). It takes over once a read
// fills the 64 KiB scratch (the peer streams) and hands back to recv()/on_data when a splice
// brings less than 16 KiB (request/response traffic). It applies only while nothing
// is queued or buffered and reading is not paused; what the socket cannot take at once is read
// back from the pipe into the output buffer, and from then on the ordinary path (backpressure,
// output limit, half-close flush) handles it until the output has drained.
//
// Transport filter (set_filter, e.g. TLS): wire bytes read from the socket go through the
// filter and only the plain bytes it yields reach on_data; what the owner sends is turned into
// wire bytes by the filter and queued as usual, so output_ holds wire bytes and backpressure,
// the output limit, deadlines and drain apply to them. close() sends the filter's end (TLS
// close_notify) after the queued output and before the FIN; the peer's clean end (its
// close_notify) is on_eof, and a socket EOF without it fails the connection with the filter's
// error. A filter error ends the connection at once (a last alert is sent if the kernel takes
// it). Kernel echo is off for filtered connections. The plain path pays one null check.
//
// Thread-safety: loop thread only, every member (asserted).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>

#include "sockit/async/connection_filter.hpp"
#include "sockit/async/loop.hpp"
#include "sockit/core/buffer.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/sys/fd.hpp"

namespace sockit {

struct ConnectionOptions {
  std::size_t high_water = std::size_t{1} << 20;  ///< stop reading above this much output
  /// Disconnect a slow reader owed more than this (queued here; + the kernel's share, see below).
  std::size_t output_limit = std::size_t{4} << 20;
  Clock::duration idle_timeout = std::chrono::minutes(5);      ///< zero: no idle deadline
  Clock::duration partial_timeout = std::chrono::seconds(30);  ///< zero: none
  Clock::duration linger = std::chrono::seconds(2);  ///< wait for the peer's EOF when closing
  /// output_limit also counts the kernel's unacknowledged send queue. Only sound with a send
  /// buffer well under the limit (Server sets both, see ServerOptions::send_buffer): with the
  /// kernel's autotuned 4 MiB an echo client under backpressure would pass a 4 MiB limit.
  bool count_kernel_queue = false;
};

/// Byte and message counts, written by the threads that serve connections and read by a stats
/// reporter on another thread (relaxed atomics: totals, no ordering).
struct alignas(64) TrafficCounters {
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> messages{0};
  void add_in(std::size_t n) noexcept { bytes_in.fetch_add(n, std::memory_order_relaxed); }
  void add_out(std::size_t n) noexcept { bytes_out.fetch_add(n, std::memory_order_relaxed); }
  void add_message() noexcept { messages.fetch_add(1, std::memory_order_relaxed); }
};

/// A pipe for Connection::echo_through, shared by the connections of one loop (2 descriptors per
/// loop, none per connection): it is empty again whenever a connection's turn ends.
class SplicePipe {
 public:
  /// A non-blocking, close-on-exec pipe, enlarged to `capacity` bytes when the system allows
  /// (capacity() reports what it got).
  [[nodiscard]] static Result<SplicePipe> open(std::size_t capacity);
  int read_end() const noexcept { return read_.get(); }
  int write_end() const noexcept { return write_.get(); }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  UniqueFd read_, write_;
  std::size_t capacity_ = 0;
};

/// True when splice(2) may be used to write to sockets in this process: splice has no
/// MSG_NOSIGNAL, so a write to a socket the peer has shut could raise SIGPIPE. Only a process
/// that ignores SIGPIPE (as `sockit serve` does) gets kernel echo.
bool splice_is_safe() noexcept;

class Connection final : public EventLoop::Handler {
 public:
  /// What the owner hears. All calls on the loop thread.
  class Events {
   public:
    /// New bytes are in `input`; consume() what was used (what is left is kept for the next
    /// call; `input` itself may be a per-thread scratch Buffer, valid only during the call).
    /// Returns true while a message is incomplete (left in `input` or held by the owner's
    /// decoder): that starts or keeps the partial-message deadline running, until a completed
    /// message (counted in the connection's TrafficCounters::messages) restarts it.
    virtual bool on_data(Connection& c, Buffer& input) = 0;
    /// The peer shut down its writing side (EOF). We may still send; call close() when done.
    virtual void on_eof(Connection& c) = 0;
    /// The descriptor is closed; `why` is empty for an orderly close. Called once, from a posted
    /// task (not at all if the owner destroys the connection first); the owner may destroy the
    /// connection from here.
    virtual void on_close(Connection& c, std::error_code why) = 0;
    /// A drain found its quiet point and is about to close: what the owner sends now goes out
    /// before the FIN (a protocol's "shutting down" line, such as SMTP's 421). By default
    /// nothing. The owner may close() here itself.
    virtual void on_drain_close(Connection& c) { (void)c; }

   protected:
    ~Events() = default;
  };

  /// Takes ownership of a connected, non-blocking socket. Loop thread only. `counters` must
  /// outlive the connection.
  Connection(EventLoop& loop, UniqueFd fd, Events& events, const ConnectionOptions& options,
             TrafficCounters& counters);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Starts reading. Loop thread only.
  [[nodiscard]] Status start();

  /// Echo in the kernel through `pipe` (see the header comment) instead of calling on_data
  /// while the peer streams, each spliced chunk counted as one message; null turns it off. For
  /// owners that would send back exactly what they receive. `pipe` must outlive the connection.
  /// Loop thread only.
  void echo_through(const SplicePipe* pipe) noexcept { pipe_ = pipe; }

  /// Puts `filter` between the socket and the owner (see the header comment). Before start()
  /// only. Loop thread only.
  void set_filter(std::unique_ptr<ConnectionFilter> filter) noexcept {
    filter_ = std::move(filter);
  }
  /// Puts `filter` in place on a live, plain connection (STARTTLS): what was sent before goes
  /// out plain, what is sent after goes through the filter, and every byte read from now on is
  /// wire input for it. Input already read and not yet consumed when the call returns to the
  /// read (what a client pipelined in plaintext after its STARTTLS) is discarded, never handed
  /// to the owner as if it had come through the filter (the CVE-2011-0411 class). Kernel echo
  /// stops. Fails with std::errc::operation_not_permitted when a filter is already in place,
  /// the connection is closing, or files queued by send_file() are still being sent. Loop
  /// thread only.
  [[nodiscard]] Status start_filter(std::unique_ptr<ConnectionFilter> filter);
  /// The transport filter, or null for a plain connection.
  const ConnectionFilter* filter() const noexcept { return filter_.get(); }

  /// Queues `a` then `b` (one writev when nothing is queued). Ignored once closing. May start
  /// a close with Errc::output_limit. Loop thread only.
  void send(std::string_view a, std::string_view b = {});
  /// Stops (true) or resumes (false) reading from the peer for the owner's own reasons: no
  /// on_data meanwhile, and TCP slows the peer once the kernel's buffers fill. Independent of
  /// output backpressure (reading resumes when neither holds it); ignored once closing, when
  /// input is read only to find the EOF. Loop thread only.
  void pause_reading(bool paused);
  /// Queues `length` bytes of `file` from `offset`, in order behind what was sent before and
  /// ahead of what is sent after, written with sendfile(2) when its turn comes (the bytes never
  /// enter user space; the file is closed once sent or when the connection ends). File bytes
  /// count toward high_water (reading pauses while much is queued) but not toward
  /// output_limit (no memory holds them). A file that ends early aborts the connection (the
  /// peer was promised those bytes). Ignored once closing. Loop thread only.
  /// `head` (a reply's header) is sent just before the file, as send(head) would, but held
  /// back (MSG_MORE) so that it leaves in one segment with the file's first bytes.
  void send_file(UniqueFd file, std::uint64_t offset, std::uint64_t length,
                 std::string_view head = {});
  /// Orderly close, see the header comment; `why` is what on_close will report. Idempotent.
  /// Loop thread only.
  void close(std::error_code why = {}) { close(why, options_.linger); }
  /// The same with another wait for the peer's EOF; zero closes as soon as the output is
  /// flushed (a draining server, which has just read everything the peer sent).
  void close(std::error_code why, Clock::duration linger);
  /// Closes at once, discarding queued output; with `reset`, also what the kernel still holds
  /// (SO_LINGER 0: the peer sees ECONNRESET, not an orderly end). Loop thread only.
  void abort(std::error_code why, bool reset = false);

  /// The deadline this connection has passed at `now` (Errc::idle_timeout or partial_timeout),
  /// or an empty code. A closing connection past its linger time is aborted here. Meant for a
  /// coarse periodic sweep, so that no timer is touched per message. Loop thread only.
  std::error_code check_deadlines(Clock::time_point now);

  /// Graceful end (see the header comment): answer what the peer sends until a quiet point,
  /// then close and wait for its EOF until `until` (the owner cuts what is left then). Kernel
  /// echo stops. Idempotent. Loop thread only.
  void drain(Clock::time_point until);

  /// The periodic part of a drain (every few tens of ms): a connection whose input has been
  /// silent long enough closes at its quiet point; one already closed for writing ends once the
  /// peer has acknowledged every byte and the FIN (nothing is lost then, even if the peer never
  /// closes its side). Loop thread only.
  void poll_drained();

  /// Reply bytes not yet acknowledged by the peer: queued here plus, for TCP, what the kernel's
  /// send queue holds (SIOCOUTQ). What an abort now would take from the peer. Loop thread only.
  std::size_t unsent_bytes() const noexcept;
  /// Bytes the peer sent that nobody has read yet (FIONREAD). Loop thread only.
  std::size_t unread_bytes() const noexcept;

  bool closing() const noexcept { return closing_; }
  bool closed() const noexcept { return !fd_.valid(); }
  bool peer_eof() const noexcept { return read_eof_; }
  /// Nothing partial in, nothing queued out: a point where a draining server may close.
  bool quiet() const noexcept { return input_.empty() && output_idle(); }
  std::size_t output_bytes() const noexcept { return output_.readable_bytes(); }
  EventLoop& loop() const noexcept { return loop_; }

 private:
  enum class Got : std::uint8_t { bytes, nothing, end };
  void on_ready(std::uint32_t events) override;
  Got handle_read();
  void drain_step();
  bool splice_echo();
  std::size_t splice_out(std::size_t n);
  void on_read_eof();
  void handle_write();
  void after_output_change();
  void update_interest();
  void finish(std::error_code why);
  std::size_t write_now(std::string_view a, std::string_view b);
  void release_idle_buffers();
  std::size_t kernel_unacked() const noexcept;
  // The filtered path (src/async/connection_filtered.cpp).
  Got read_filtered();
  void send_filtered(std::string_view a, std::string_view b);
  void flush_filtered();
  void fail_filtered(std::error_code why);
  bool write_files();
  bool fill_filtered_files();
  bool output_idle() const noexcept { return output_.empty() && !files_; }
  // Write interest: output is waiting and can move (files queued behind a filter that is not
  // ready yet cannot: waiting for writability then would only spin).
  bool wants_write() const noexcept;
  struct FileQueue;
  // Reporting on_close (src/async/connection_close.cpp).
  void queue_close_report();
  void link_report(Connection*& head) noexcept;
  void unlink_report() noexcept;
  static void report_closes(EventLoop& loop);

  // Ordered and packed so that the per-connection footprint stays small (10,000 idle
  // connections are the design point, see docs/servers.md).
  EventLoop& loop_;
  UniqueFd fd_;
  std::uint32_t interest_ = 0;
  Events& events_;
  const ConnectionOptions& options_;
  TrafficCounters& counters_;
  Buffer input_;
  Buffer output_;
  const SplicePipe* pipe_ = nullptr;  // kernel echo through this pipe (null: off)
  bool watching_ = false;
  bool read_eof_ = false;
  bool write_shut_ = false;
  bool closing_ = false;
  bool paused_ = false;     // reading stopped by backpressure
  bool held_ = false;       // reading stopped by the owner (pause_reading)
  bool active_ = false;     // bytes moved since the last deadline sweep
  bool partial_ = false;    // the owner holds an incomplete message
  bool no_linger_ = false;  // closing: finish as soon as the output is flushed
  bool streaming_ = false;  // the last read was large: kernel echo (when enabled) reads next
  bool draining_ = false;   // drain(): close at the next quiet point (poll_drained looks)
  std::error_code close_reason_;
  Clock::time_point last_input_;
  // While open: since when the current message is incomplete. Once closing (no partial
  // message any more): when lingering for the peer's EOF ends.
  Clock::time_point partial_since_;
  Clock::time_point drain_until_;             // draining: when the owner cuts the connection
  std::unique_ptr<ConnectionFilter> filter_;  // transport filter (TLS); null: plain
  std::unique_ptr<FileQueue> files_;  // send_file() queue; null when empty (one pointer idle)
  // Closed, on_close not reported yet: linked into the loop's list of pending reports.
  Connection* report_next_ = nullptr;
  Connection** report_prev_ = nullptr;  // null when not linked
};

}  // namespace sockit
