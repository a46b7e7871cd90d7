// Connection's filtered path (a ConnectionFilter such as TLS between the socket and the owner),
// kept apart from the plain path in connection.cpp, which only tests the filter pointer.
//
// Reading: recv() wire bytes into a per-thread area, let the filter turn them into plain bytes
// (in a second per-thread area, or in the connection's own input Buffer when a partial message
// waits there), send what the filter answered (handshake records) at once if the socket takes
// it, then hand the plain bytes to on_data exactly as the plain path does. Writing: the filter
// appends wire bytes to output_, which then flows (and is limited) like any other output.
#include <cassert>

#include "async/file_queue.hpp"
#include "sockit/async/connection.hpp"
#include "sys/stream_io.hpp"

namespace sockit {
namespace {

// One TLS record holds at most 16 KiB of plaintext; reading up to four of them per call keeps
// the number of calls per byte low without holding more than the session accepts at once.
constexpr std::size_t kWireRead = 64 * 1024;

// The areas a filtered read uses on this loop thread. `busy`: the plain area is lent to
// on_data, so a nested read (which does not happen today) would use the connection's buffer.
struct FilterScratch {
  Buffer wire{kWireRead};
  Buffer plain{kWireRead};
  bool busy = false;
};
thread_local FilterScratch t_filter;

}  // namespace

Status Connection::start_filter(std::unique_ptr<ConnectionFilter> filter) {
  assert(loop_.in_loop_thread());
  // Queued files were counted against plain output (send_file's leads): they must be gone.
  if (filter_ != nullptr || closing_ || closed() || filter == nullptr || files_)
    return fail(std::make_error_code(std::errc::operation_not_permitted));
  filter_ = std::move(filter);
  pipe_ = nullptr;
  streaming_ = false;
  return {};
}

Connection::Got Connection::read_filtered() {
  FilterScratch& scratch = t_filter;
  const auto room = scratch.wire.writable();  // always empty between calls
  const ssize_t n = stream_io::receive(fd_.get(), room);
  if (n < 0) {
    if (stream_io::would_block(n)) return Got::nothing;
    abort(sys_error(static_cast<int>(-n)));
    return Got::end;
  }
  if (n == 0) {
    // Closing, we only waited for the peer's FIN; otherwise a FIN before the filter's clean
    // end (TLS: no close_notify) means the stream was cut.
    if (closing_) {
      on_read_eof();
    } else {
      fail_filtered(filter_->receive_eof());
    }
    return Got::end;
  }
  const auto got = static_cast<std::size_t>(n);
  counters_.add_in(got);
  last_input_ = loop_.now();
  active_ = true;
  if (closing_) return Got::bytes;  // input is no longer wanted, only the EOF
  const bool direct = input_.empty() && !scratch.busy;
  Buffer& plain = direct ? scratch.plain : input_;
  const std::size_t before = plain.readable_bytes();
  const auto ended = filter_->receive(std::span<const std::byte>(room.data(), got), plain, output_);
  if (!ended) {
    if (direct) scratch.plain.consume_all();
    fail_filtered(ended.error());
    return Got::end;
  }
  flush_filtered();  // what the filter answered (handshake, tickets) goes out first
  if (closed()) {
    if (direct) scratch.plain.consume_all();
    return Got::end;
  }
  const bool was_partial = partial_;
  const std::uint64_t messages_before = counters_.messages.load(std::memory_order_relaxed);
  if (plain.readable_bytes() > before && !closing_) {
    if (direct) {
      scratch.busy = true;
      partial_ = events_.on_data(*this, scratch.plain);
      scratch.busy = false;
      if (!closing_ && !closed() && !scratch.plain.empty()) input_.append(scratch.plain.readable());
    } else {
      partial_ = events_.on_data(*this, input_);
    }
  }
  if (direct) scratch.plain.consume_all();
  if (closed()) return Got::end;
  const bool progress = counters_.messages.load(std::memory_order_relaxed) != messages_before;
  if (partial_ && (!was_partial || progress)) partial_since_ = last_input_;
  if (*ended) {  // the peer's clean end (close_notify): EOF for the owner
    on_read_eof();
    return Got::end;
  }
  return Got::bytes;
}

void Connection::send_filtered(std::string_view a, std::string_view b) {
  if (files_) {  // behind a queued file: waits in plain form until the file has gone through
    auto& after = files_->files.back().after;
    after.append(a);
    after.append(b);
    files_->bytes += a.size() + b.size();
    after_output_change();
    return;
  }
  Status sent = filter_->send(a, output_);
  if (sent && !b.empty()) sent = filter_->send(b, output_);
  if (!sent) {
    fail_filtered(sent.error());
    return;
  }
  flush_filtered();
}

// Writes queued wire bytes now unless the connection already waits for writability (then the
// socket is full and handle_write sends them), and applies the output rules to what is left.
void Connection::flush_filtered() {
  if (!output_.empty() && (interest_ & kPollWrite) == 0 && !write_shut_) {
    const std::size_t n = write_now(output_.view(), {});
    if (closed()) return;
    output_.consume(n);
  }
  after_output_change();
}

// A filter that failed (TLS: a bad handshake, a corrupt record, a cut stream) ends the
// connection now; its last words for the peer (a TLS alert) go out if the kernel takes them at
// once, and nothing waits for them.
void Connection::fail_filtered(std::error_code why) {
  if (!output_.empty() && !write_shut_) (void)write_now(output_.view(), {});
  finish(why);
}

}  // namespace sockit
