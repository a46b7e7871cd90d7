#include "sockit/async/connection.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cassert>

#include "async/file_queue.hpp"
#include "sockit/sys/socket.hpp"
#include "sys/stream_io.hpp"

namespace sockit {
namespace {

// Per-thread read area (every loop runs on its own thread). A connection with no partial input
// reads into it and keeps only the bytes its owner left unconsumed, so an idle connection holds
// no input memory at all; one holding a partial message reads into its own buffer and uses the
// scratch as the overflow of muduo's readv trick. `busy` guards against a nested read on the
// same thread while the scratch is handed to on_data.
constexpr std::size_t kScratchSize = 64 * 1024;
struct Scratch {
  Buffer buffer{kScratchSize};
  bool busy = false;
};
thread_local Scratch t_scratch;

// How long a draining connection's input must have been silent before a quiet point counts.
constexpr Clock::duration kDrainQuietGrace = std::chrono::milliseconds(20);

}  // namespace

Connection::Connection(EventLoop& loop, UniqueFd fd, Events& events,
                       const ConnectionOptions& options, TrafficCounters& counters)
    : loop_(loop),
      fd_(std::move(fd)),
      events_(events),
      options_(options),
      counters_(counters),
      input_(0),
      output_(0),
      last_input_(loop.now()),
      partial_since_(last_input_) {}

Connection::~Connection() {
  assert(loop_.in_loop_thread());
  if (watching_ && fd_) (void)loop_.unwatch(fd_.get());
  unlink_report();  // an on_close not reported yet never will be
}

Status Connection::start() {
  assert(loop_.in_loop_thread());
  interest_ = kPollRead;
  if (auto st = loop_.watch(fd_.get(), interest_, *this); !st) return st;
  watching_ = true;
  return {};
}

void Connection::on_ready(std::uint32_t events) {
  if (closed()) return;  // a stale event of the batch in which this connection closed
  if ((interest_ & kPollRead) != 0 && (events & (kPollRead | kPollError | kPollHangup)) != 0) {
    handle_read();
  }
  if (!closed() && (events & kPollWrite) != 0) handle_write();
  // EPOLLHUP/EPOLLERR are reported even without interest; with reading stopped nothing else
  // would consume them and a level-triggered loop would spin on this descriptor.
  if (!closed() && (interest_ & kPollRead) == 0 && (events & (kPollError | kPollHangup)) != 0) {
    auto pending = pending_error(fd_.get());
    abort(pending && *pending ? *pending : sys_error(EPIPE));
  }
  if (draining_) drain_step();  // a read answered or the output flushed: maybe quiet now
}

void Connection::drain(Clock::time_point until) {
  assert(loop_.in_loop_thread());
  if (draining_ || closed()) return;
  draining_ = true;
  drain_until_ = until;
  pipe_ = nullptr;  // the quiet point is decided per message, which kernel echo never sees
  drain_step();
}

// A quiet point is where closing loses nothing: no message half-received (the owner would
// answer its rest), nothing queued (it would go out first anyway, but reading stays paused
// under backpressure) and nothing more in the kernel. A peer that keeps sending keeps the
// connection open, each read answered, until the owner's deadline; the bound on reads per call
// keeps such a peer from holding the loop (level-triggered readiness brings us back).
void Connection::drain_step() {
  constexpr int kReadsPerStep = 16;
  for (int i = 0; i < kReadsPerStep; ++i) {
    // Held by the owner: not quiet yet; poll_drained() looks again once it resumes.
    if (!draining_ || closing_ || closed() || held_ || partial_ || !output_idle()) return;
    const Got got = read_eof_ ? Got::nothing : handle_read();
    if (got == Got::end) return;  // EOF went to the owner (which closes) or the read failed
    if (got == Got::nothing && !closing_ && !closed() && !partial_ && output_idle()) {
      // A read that finds nothing right after one that found bytes proves little: the peer's
      // next bytes may still be on their way (our read opened its window; on loopback they
      // follow a softirq later). So the input must have been quiet for a moment too;
      // poll_drained() looks again meanwhile.
      if (!read_eof_ && loop_.now() - last_input_ < kDrainQuietGrace) return;
      events_.on_drain_close(*this);
      if (closing_ || closed()) return;
      // Lingers past `until` on purpose: the owner's deadline decides, and counts, what is cut.
      const auto grace = std::chrono::seconds(1);
      close({}, std::max(drain_until_ - loop_.now(), Clock::duration::zero()) + grace);
      return;
    }
  }
}

void Connection::poll_drained() {
  assert(loop_.in_loop_thread());
  if (!draining_ || closed()) return;
  if (!closing_) {
    drain_step();  // waiting out kDrainQuietGrace, or for the output to flush
  } else if (write_shut_ && output_idle() && kernel_unacked() == 0) {
    finish(close_reason_);
  }
}

// SIOCOUTQ. TCP: bytes sent and not yet acknowledged, plus one for a FIN in flight. Unix:
// memory (bytes plus overhead) of what the peer has not read yet, zero once it has read all.
std::size_t Connection::kernel_unacked() const noexcept {
  int queued = 0;
  if (closed() || ::ioctl(fd_.get(), SIOCOUTQ, &queued) != 0 || queued < 0) return 0;
  return static_cast<std::size_t>(queued);
}

std::size_t Connection::unsent_bytes() const noexcept {
  std::size_t n = output_.readable_bytes() + (files_ ? static_cast<std::size_t>(files_->bytes) : 0);
  if (closed()) return n;
  int domain = 0;
  socklen_t len = sizeof domain;
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain == AF_UNIX)
    return n;
  const std::size_t queued = kernel_unacked();
  return n + (write_shut_ && queued > 0 ? queued - 1 : queued);  // the FIN is no reply byte
}

std::size_t Connection::unread_bytes() const noexcept {
  int n = 0;
  if (closed() || ::ioctl(fd_.get(), FIONREAD, &n) != 0 || n < 0) return 0;
  return static_cast<std::size_t>(n);
}

void Connection::on_read_eof() {
  read_eof_ = true;
  update_interest();
  if (closing_) {
    if (output_idle()) finish(close_reason_);
  } else {
    events_.on_eof(*this);
  }
}

Connection::Got Connection::handle_read() {
  if (filter_ != nullptr) return read_filtered();
  if (streaming_ && pipe_ != nullptr && splice_echo()) return Got::bytes;
  const bool was_partial = partial_;
  Scratch& scratch = t_scratch;
  const bool direct = !closing_ && input_.empty() && !scratch.busy;
  std::span<std::byte> room;  // closing: input is no longer wanted, read only to find the EOF
  if (!closing_ && !direct) room = input_.writable();
  const auto spare = scratch.buffer.writable();
  // With nothing buffered (`room` empty) this is a plain recv() into the scratch.
  const ssize_t n = stream_io::receive2(fd_.get(), room, spare);
  if (n < 0) {
    if (stream_io::would_block(n)) return Got::nothing;
    abort(sys_error(static_cast<int>(-n)));
    return Got::end;
  }
  if (n == 0) {
    on_read_eof();
    return Got::end;
  }
  const auto got = static_cast<std::size_t>(n);
  counters_.add_in(got);
  last_input_ = loop_.now();
  active_ = true;
  if (closing_) return Got::bytes;
  const std::uint64_t messages_before = counters_.messages.load(std::memory_order_relaxed);
  if (direct) {
    if (got == spare.size()) streaming_ = true;  // echo_through takes over, if enabled
    scratch.buffer.commit(got);
    scratch.busy = true;
    partial_ = events_.on_data(*this, scratch.buffer);
    scratch.busy = false;
    // Only the unconsumed rest of a partial message is copied into the connection's own buffer
    // (emptiness first: an owner that consumed it all, the common case, skips the rest).
    if (!scratch.buffer.empty()) {
      if (!closing_ && !closed() && filter_ == nullptr) input_.append(scratch.buffer.readable());
      scratch.buffer.consume_all();
    }
  } else {
    if (got <= room.size()) {
      input_.commit(got);
    } else {
      input_.commit(room.size());
      input_.append(std::span<const std::byte>(spare.data(), got - room.size()));
    }
    partial_ = events_.on_data(*this, input_);
  }
  if (closed()) return Got::end;
  if (filter_ != nullptr) {
    // start_filter() ran inside on_data: plaintext that followed in this read is not the
    // filter's and not the owner's any more.
    input_.consume_all();
    partial_ = false;
  }
  // The partial-message clock restarts whenever a message completes (the owner counts it), so
  // only a message that itself stays incomplete too long trips it, not a busy pipelining
  // client, and not a slowloris whose every byte "makes progress" into the decoder.
  const bool progress = counters_.messages.load(std::memory_order_relaxed) != messages_before;
  if (partial_ && (!was_partial || progress)) partial_since_ = last_input_;
  return Got::bytes;
}

std::size_t Connection::write_now(std::string_view a, std::string_view b) {
  // One piece (an echo, most replies) goes out with send(): no msghdr or iovec to import.
  const ssize_t n = stream_io::transmit2(fd_.get(), a, b);
  if (n < 0) {
    if (!stream_io::would_block(n)) abort(sys_error(static_cast<int>(-n)));
    return 0;
  }
  counters_.add_out(static_cast<std::size_t>(n));
  return static_cast<std::size_t>(n);
}

void Connection::send(std::string_view a, std::string_view b) {
  assert(loop_.in_loop_thread());
  if (closing_ || closed() || write_shut_) return;
  if (filter_ != nullptr) {
    send_filtered(a, b);
    return;
  }
  std::size_t written = 0;
  if (output_idle()) {
    written = write_now(a, b);  // the common case: the kernel takes it all, nothing is copied
    if (closed()) return;
    if (written == a.size() + b.size()) return;
  }
  const std::size_t before = output_.readable_bytes();
  if (written < a.size()) {
    output_.append(a.substr(written));
    output_.append(b);
  } else {
    output_.append(b.substr(written - a.size()));
  }
  if (files_) files_->tail += output_.readable_bytes() - before;
  after_output_change();
}

void Connection::handle_write() {
  if (files_ && filter_ != nullptr) {
    if (!fill_filtered_files()) return;  // failed: the connection is closed
  } else if (files_ && !write_files()) {
    if (!closed()) after_output_change();
    return;
  }
  if (output_.empty()) {
    after_output_change();  // files may just have finished: a closing connection shuts down
    return;
  }
  const ssize_t n = stream_io::transmit(fd_.get(), output_.view());
  if (n < 0) {
    if (!stream_io::would_block(n)) abort(sys_error(static_cast<int>(-n)));
    return;
  }
  counters_.add_out(static_cast<std::size_t>(n));
  active_ = true;
  output_.consume(static_cast<std::size_t>(n));
  after_output_change();
}

void Connection::after_output_change() {
  const std::size_t queued = output_.readable_bytes();
  // With count_kernel_queue the limit counts what the kernel holds unacknowledged too (a
  // non-reading peer was owed ~4 MB under a 512 KiB limit: the send buffer took the rest).
  // Asked of the kernel only above the high-water mark, where a slow reader lives; below it the
  // server's send-buffer size (a quarter of the limit, ServerOptions::send_buffer) keeps the
  // total under the limit.
  if (queued > options_.output_limit ||
      (options_.count_kernel_queue && queued > options_.high_water &&
       unsent_bytes() > options_.output_limit)) {
    abort(make_error_code(Errc::output_limit));
    return;
  }
  // Hysteresis: resume only once half the high-water mark has drained, so a connection near
  // the mark does not flip its epoll interest on every write.
  const std::size_t pending = queued + (files_ ? static_cast<std::size_t>(std::min<std::uint64_t>(
                                                     files_->bytes, options_.output_limit))
                                               : 0);
  if (pending > options_.high_water) {
    paused_ = true;
  } else if (pending <= options_.high_water / 2) {
    paused_ = false;
  }
  if (closing_ && output_idle()) {
    if (!write_shut_) {
      write_shut_ = true;
      (void)shutdown(fd_.get(), ShutdownHow::write);
    }
    if (read_eof_ || no_linger_) {
      finish(close_reason_);
      return;
    }
  }
  update_interest();
}

void Connection::pause_reading(bool paused) {
  assert(loop_.in_loop_thread());
  if (held_ == paused) return;
  held_ = paused;
  update_interest();
}

bool Connection::wants_write() const noexcept {
  if (output_idle() || write_shut_) return false;
  return !output_.empty() || filter_ == nullptr || filter_->ready();
}

void Connection::update_interest() {
  if (!watching_ || closed()) return;
  std::uint32_t want = 0;
  // Closing reads only to find the EOF, whoever held the input before.
  if (!read_eof_ && !paused_ && (!held_ || closing_)) want |= kPollRead;
  if (wants_write()) want |= kPollWrite;
  if (want == interest_) return;
  interest_ = want;
  if (auto st = loop_.rewatch(fd_.get(), want, *this); !st) abort(st.error());
}

void Connection::close(std::error_code why, Clock::duration linger) {
  assert(loop_.in_loop_thread());
  if (closing_ || closed()) return;
  closing_ = true;
  close_reason_ = why;
  no_linger_ = linger <= Clock::duration::zero();
  input_.consume_all();
  partial_ = false;
  partial_since_ = loop_.now() + linger;  // from now on: when lingering ends
  paused_ = false;
  if (filter_ != nullptr) {
    if (files_) {
      files_->close_filter = true;  // after the last queued file (fill_filtered_files)
    } else {
      filter_->close(output_);  // after what was queued, before the FIN
    }
  }
  after_output_change();
}

void Connection::abort(std::error_code why, bool reset) {
  assert(loop_.in_loop_thread());
  if (reset && !closed()) (void)set_abortive_close(fd_.get());
  finish(why);
}

void Connection::finish(std::error_code why) {
  if (closed()) return;
  if (watching_) (void)loop_.unwatch(fd_.get());
  watching_ = false;
  fd_.reset();
  files_.reset();
  output_.consume_all();
  input_.consume_all();
  // Reported from a posted task so that the owner never sees on_close (and never destroys the
  // connection) in the middle of send(), on_data or the event batch (connection_close.cpp).
  // The reason waits in close_reason_, which nothing changes once closed.
  close_reason_ = why;
  queue_close_report();
}

std::error_code Connection::check_deadlines(Clock::time_point now) {
  assert(loop_.in_loop_thread());
  if (closed()) return {};
  if (closing_) {
    if (now >= partial_since_) finish(close_reason_);
    return {};
  }
  if (filter_ != nullptr) {
    if (const auto why = filter_->expired(now)) {  // a handshake that never finished
      finish(why);
      return {};
    }
  }
  release_idle_buffers();
  const auto partial = options_.partial_timeout;
  if (partial.count() > 0 && partial_ && now - partial_since_ >= partial)
    return make_error_code(Errc::partial_timeout);
  const auto idle = options_.idle_timeout;
  if (idle.count() > 0 && now - last_input_ >= idle) return make_error_code(Errc::idle_timeout);
  return {};
}

// Memory policy: a buffer that empties keeps its capacity while the connection is active, so a
// connection that alternates between partial and complete input (or queued and flushed output)
// does not allocate per message; once a whole sweep period passes with no byte read or written,
// empty buffers are freed, so 10,000 idle connections hold no buffer memory. At most one
// reallocation per connection per sweep, not per message.
void Connection::release_idle_buffers() {
  if (!active_) {
    if (input_.empty()) input_.shrink_to_fit();
    if (output_.empty()) output_.shrink_to_fit();
  }
  active_ = false;
}

}  // namespace sockit
