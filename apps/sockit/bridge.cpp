#include "bridge.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "framing.hpp"
#include "output.hpp"
#include "sockit/core/buffer.hpp"
#include "sockit/sys/io.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit::cli {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

/// --trace: one stderr line per syscall, so short sends and receives become visible.
void print_trace(const IoEvent& e) {
  const std::string result =
      e.error ? fmt::format("-1 ({})", e.error.message()) : std::to_string(e.returned);
  std::fputs(
      fmt::format("sockit: trace: {}(fd {}, {} bytes) = {}\n", e.call, e.fd, e.requested, result)
          .c_str(),
      stderr);
}

bool would_block(std::error_code ec) {
  return ec == std::errc::resource_unavailable_try_again || ec == std::errc::operation_would_block;
}

/// Reads one chunk of stdin; empty means EOF.
Result<std::string> read_stdin() {
  std::string buf(kChunk, '\0');
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n >= 0) {
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
    if (errno == EINTR) continue;
    return fail(sys_error());
  }
}

}  // namespace

Result<int> poll_fds(std::span<pollfd> fds, int timeout) {
  for (;;) {
    const int rc = ::poll(fds.data(), fds.size(), timeout);
    if (rc >= 0) return rc;
    if (errno != EINTR) return fail(sys_error());
  }
}

IoTrace tracer(bool on) {
  static void (*const fn)(void*, const IoEvent&) = [](void*, const IoEvent& e) { print_trace(e); };
  return on ? IoTrace(fn, nullptr) : IoTrace();
}

int poll_timeout(Millis idle, std::optional<Clock::time_point> quit_at) {
  long long ms = idle.count() > 0 ? idle.count() : -1;
  if (quit_at) {
    const auto left = std::chrono::ceil<Millis>(*quit_at - Clock::now()).count();
    const long long quit_ms = left > 0 ? left : 0;
    ms = ms < 0 ? quit_ms : std::min(ms, quit_ms);
  }
  return static_cast<int>(std::min<long long>(ms, 24LL * 3600 * 1000));
}

namespace {

class StreamBridge {
 public:
  StreamBridge(int sock, const BridgeOptions& o)
      : sock_(sock), o_(o), encoder_(o.frame, o.crlf), decoder_(o.frame), trace_(tracer(o.trace)) {
    stdin_open_ = !o.recv_only;
    reading_ = !o.send_only;
    shut_ = o.recv_only;  // never read stdin, so never announce its end either
  }

  // Runs until both directions are over: ours once stdin has ended and every byte of it was
  // handed to the kernel (then shut down), the peer's once it sent EOF. Either can end first:
  // a peer's FIN says only that the peer will send nothing more, not that it stopped reading.
  Status run() {
    for (;;) {
      if (auto st = after_stdin_drained(); !st) return st;
      if (finished_ || (shut_ && !reading_) || quit_due()) return {};
      std::array<pollfd, 2> fds{};
      std::size_t count = 0;
      const bool want_stdin = stdin_open_ && out_.empty();
      if (want_stdin) fds[count++] = {STDIN_FILENO, POLLIN, 0};
      const std::size_t sock_slot = count++;
      short events = reading_ ? POLLIN : 0;
      if (!out_.empty()) events = static_cast<short>(events | POLLOUT);
      fds[sock_slot] = {sock_, events, 0};
      auto ready = poll_fds(std::span(fds.data(), count), poll_timeout(o_.idle, quit_at_));
      if (!ready) return fail(ready.error());
      if (*ready == 0) return quit_due() ? Status{} : fail(Errc::idle_timeout);
      if (want_stdin && fds[0].revents != 0) {
        if (auto st = on_stdin(); !st) return st;
      }
      const short rev = fds[sock_slot].revents;
      if (!out_.empty() && (rev & (POLLOUT | POLLERR | POLLHUP)) != 0) {
        if (auto st = on_writable(); !st) return st;
      }
      if (reading_ && (rev & (POLLIN | POLLERR | POLLHUP)) != 0) {
        if (auto st = on_readable(); !st) return st;
      } else if (!reading_ && out_.empty() && (rev & (POLLERR | POLLHUP)) != 0) {
        return peer_gone();  // --send-only: nothing else would notice, and poll() would spin
      }
    }
  }

 private:
  Status on_stdin() {
    auto chunk = read_stdin();
    if (!chunk) return fail(chunk.error());
    if (chunk->empty()) stdin_open_ = false;
    auto wire = encoder_.encode(*chunk, !stdin_open_);
    if (!wire) return fail(wire.error());
    if (o_.hex) std::fputs(out_dump_.rows(*wire).c_str(), stderr);
    out_.append(*wire);
    return {};
  }

  Status on_writable() {
    auto sent = write_from(sock_, out_, trace_);
    if (!sent && !would_block(sent.error())) return fail(sent.error());
    return {};
  }

  Status on_readable() {
    auto got = read_into(sock_, in_, trace_);
    if (!got) return would_block(got.error()) ? Status{} : fail(got.error());
    if (*got == 0) {
      reading_ = false;  // the peer's direction is over; ours goes on until stdin ends
      return decoder_.finish();
    }
    const std::string raw = in_.retrieve_all_as_string();
    if (o_.hex) std::fputs(in_dump_.rows(raw).c_str(), stderr);
    auto text = decoder_.decode(raw);
    if (!text) return fail(text.error());
    auto written = write_all_fd(STDOUT_FILENO, *text);
    if (!written && written.error() == std::errc::broken_pipe) {
      finished_ = true;  // whoever read our output has gone (`| head`): a normal end
      return {};
    }
    return written;
  }

  // The peer reset the connection (or closed both directions) while we had nothing to send:
  // whatever stdin still holds cannot be delivered.
  Status peer_gone() {
    auto pending = pending_error(sock_);
    if (!pending) return fail(pending.error());
    return fail(*pending ? *pending : std::make_error_code(std::errc::broken_pipe));
  }

  // Once stdin has ended and everything is sent: half-close, so the peer sees EOF and can
  // answer and close. run() stops once the peer's direction is over too (at once when the peer
  // already sent EOF, or the socket is never read: --send-only).
  Status after_stdin_drained() {
    if (stdin_open_ || !out_.empty() || shut_) return {};
    shut_ = true;
    if (o_.quit_after_eof) quit_at_ = Clock::now() + *o_.quit_after_eof;
    if (!o_.no_shutdown) {
      if (auto st = shutdown(sock_, ShutdownHow::write);
          !st && st.error() != std::errc::not_connected)
        return st;
    }
    return {};
  }

  int sock_;
  const BridgeOptions& o_;
  FrameEncoder encoder_;
  FrameDecoder decoder_;
  IoTrace trace_;
  HexDump out_dump_{'>'};
  HexDump in_dump_{'<'};
  Buffer out_;  // encoded bytes read from stdin, not yet accepted by the socket
  Buffer in_;
  bool stdin_open_ = true;
  bool reading_ = true;
  bool shut_ = false;
  bool finished_ = false;                     // whoever read our stdout has gone
  std::optional<Clock::time_point> quit_at_;  // -q: when to stop waiting for the peer

  bool quit_due() const { return quit_at_ && Clock::now() >= *quit_at_; }
};

}  // namespace

Status bridge_stream(int sock, const BridgeOptions& options) {
  return StreamBridge(sock, options).run();
}

}  // namespace sockit::cli
