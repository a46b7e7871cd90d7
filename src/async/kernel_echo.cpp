// Kernel echo for Connection (echo_through): the loop-shared pipe, the SIGPIPE rule that decides
// whether splice(2) may be used at all, and the socket -> pipe -> socket path itself. Kept apart
// from connection.cpp's ordinary read/write path; both share Connection's state.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>

#include "sockit/async/connection.hpp"
#include "sys/stream_io.hpp"

namespace sockit {
namespace {

// A splice that filled the pipe may have left more in the socket: a few more turns in the same
// readiness event save an epoll round trip each while a connection streams.
constexpr int kSpliceTurns = 4;
// Kernel echo starts when a read fills the scratch buffer (the peer streams) and stops when a
// splice brings less than this: for small request/response traffic, recv() + send() is cheaper
// than two splices and their pipe bookkeeping.
constexpr std::size_t kStreamingBytes = 16 * 1024;

}  // namespace

Result<SplicePipe> SplicePipe::open(std::size_t capacity) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0) return fail(sys_error());
  SplicePipe p;
  p.read_.reset(ends[0]);
  p.write_.reset(ends[1]);
  // Bigger than the default 64 KiB (16 pages) so one splice moves a whole burst; refused above
  // /proc/sys/fs/pipe-max-size or the per-user pipe quota, in which case the default stays.
  (void)::fcntl(ends[1], F_SETPIPE_SZ, static_cast<int>(capacity));
  const int got = ::fcntl(ends[1], F_GETPIPE_SZ);
  if (got <= 0) return fail(sys_error());
  p.capacity_ = static_cast<std::size_t>(got);
  return p;
}

bool splice_is_safe() noexcept {
  struct sigaction current {};
  return ::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_IGN;
}

// Kernel echo: socket -> pipe -> the same socket. Returns false (nothing done) when the ordinary
// path must run: output or input is buffered (order), reading is paused, or we are closing.
bool Connection::splice_echo() {
  if (closing_ || write_shut_ || paused_ || !input_.empty() || !output_.empty()) return false;
  // What a turn reads may all end up in output_ (a full socket): no more than high_water, so
  // that kernel echo pauses reading where the ordinary path would and never trips output_limit.
  const std::size_t capacity =
      std::min(pipe_->capacity(), std::max<std::size_t>(options_.high_water, 1));
  for (int turn = 0; turn < kSpliceTurns; ++turn) {
    const ssize_t n = stream_io::splice_some(fd_.get(), pipe_->write_end(), capacity);
    if (n < 0) {  // the pipe is empty, so EAGAIN is about the socket
      if (!stream_io::would_block(n)) abort(sys_error(static_cast<int>(-n)));
      return true;
    }
    if (n == 0) {
      on_read_eof();
      return true;
    }
    const auto got = static_cast<std::size_t>(n);
    counters_.add_in(got);
    counters_.add_message();  // as raw framing counts every chunk it hands over
    last_input_ = loop_.now();
    active_ = true;
    if (turn == 0 && got < kStreamingBytes) streaming_ = false;
    if (splice_out(got) != got || closed()) return true;
    if (got < capacity) return true;  // the socket is drained
  }
  return true;
}

// Sends the n bytes in the pipe; what the socket does not take is moved into output_ (the pipe
// is shared by the loop's connections and must be empty when this returns). Returns the count
// sent.
std::size_t Connection::splice_out(std::size_t n) {
  std::size_t sent = 0;
  int error = 0;
  while (sent < n) {
    const ssize_t m = stream_io::splice_some(pipe_->read_end(), fd_.get(), n - sent);
    if (m <= 0) {
      if (m < 0 && !stream_io::would_block(m)) error = static_cast<int>(-m);
      break;
    }
    sent += static_cast<std::size_t>(m);
  }
  counters_.add_out(sent);
  if (sent == n) return n;
  const std::size_t rest = n - sent;
  output_.ensure_writable(rest);
  const auto room = output_.writable();
  std::size_t moved = 0;
  while (moved < rest) {  // a pipe holding `rest` bytes returns them without blocking
    const ssize_t r = stream_io::read_pipe(pipe_->read_end(), room.subspan(moved, rest - moved));
    if (r <= 0) break;
    moved += static_cast<std::size_t>(r);
  }
  output_.commit(moved);
  if (error != 0) {
    abort(sys_error(error));
    return sent;
  }
  after_output_change();
  return sent;
}

}  // namespace sockit
