#include "tls_bridge.hpp"

#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>

#include "framing.hpp"
#include "output.hpp"
#include "sockit/core/buffer.hpp"
#include "sockit/sys/fd.hpp"
#include "sockit/sys/io.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit::cli {
namespace {

constexpr std::size_t kChunk = 16 * 1024;
// Ciphertext waiting for the socket before stdin is read again: bounds memory when the peer
// reads slower than stdin arrives.
constexpr std::size_t kMaxWire = 256 * 1024;

bool would_block(std::error_code ec) {
  return ec == std::errc::resource_unavailable_try_again || ec == std::errc::operation_would_block;
}

// Moves everything the session has to send into `wire`.
void take_all(TlsSession& session, Buffer& wire) {
  while (session.pending_output() > 0) {
    wire.ensure_writable(kChunk);
    const std::size_t n = session.take_output(wire.writable());
    if (n == 0) break;
    wire.commit(n);
  }
}

// Sends all of `wire` before `deadline` (the handshake's flights are small).
Status send_wire(int sock, Buffer& wire, Deadline deadline) {
  while (!wire.empty()) {
    auto sent = write_from(sock, wire);
    if (sent) continue;
    if (!would_block(sent.error())) return fail(sent.error());
    if (auto ready = wait_ready(sock, Ready::write, deadline); !ready) return ready;
  }
  return {};
}

// Feeds what `in` holds to the session; returns false if the session is full (read first).
bool feed_from(TlsSession& session, Buffer& in) {
  while (!in.empty()) {
    const std::size_t n = session.feed(in.readable());
    if (n == 0) return false;
    in.consume(n);
  }
  return true;
}

}  // namespace

Status tls_handshake(int sock, TlsSession& session, Deadline deadline) {
  Buffer wire;
  // One record's worth at a time: the session is asked for input only once it has used what
  // it holds (a partial record at most), so all of a read always fits into it. A bigger read
  // could hold more than feed() takes, and what it leaves is not the bridge's to find.
  std::array<std::byte, kChunk> chunk{};
  // Each round moves at least one record or fails; a handshake is a few flights.
  for (int round = 0; round < 1000; ++round) {
    auto progress = session.handshake();
    take_all(session, wire);
    const Status sent = send_wire(sock, wire, deadline);
    if (!progress) return fail(progress.error());  // the alert went out above, if it could
    if (!sent) return sent;
    if (*progress == TlsProgress::done) return {};
    if (auto ready = wait_ready(sock, Ready::read, deadline); !ready) return ready;
    auto got = try_read(sock, chunk);
    if (!got && would_block(got.error())) continue;
    if (!got) return fail(got.error());
    if (*got == 0) session.feed_eof();
    if (session.feed(std::span(chunk.data(), *got)) != *got) return fail(TlsErrc::internal);
  }
  return fail(TlsErrc::internal);
}

Result<TlsSession> start_tls_client(int sock, const TlsClientContext& context,
                                    std::string_view name, Deadline deadline) {
  auto session = TlsSession::client(context, name);
  if (!session) return fail(session.error());
  if (auto done = tls_handshake(sock, *session, deadline); !done) return fail(done.error());
  return session;
}

void close_tls(int sock, TlsSession& session) {
  if (session.error() || !session.close()) return;
  Buffer wire;
  take_all(session, wire);
  (void)write_from(sock, wire);
}

namespace {

class TlsBridge {
 public:
  TlsBridge(int sock, TlsSession& session, const BridgeOptions& o)
      : sock_(sock),
        session_(session),
        o_(o),
        encoder_(o.frame, o.crlf),
        decoder_(o.frame),
        trace_(tracer(o.trace)) {
    stdin_open_ = !o.recv_only;
    shut_ = o.recv_only;  // never reads stdin, so never announces its end
  }

  Status run() {
    // The handshake's last read may have brought application data too: it waits in the
    // session, and the socket will not say readable for it.
    if (auto st = decrypt(); !st) return st;
    for (;;) {
      if (auto st = encrypt_pending(); !st) return st;
      if (auto st = after_stdin_drained(); !st) return st;
      if (finished_ || quit_due()) return close_politely();
      const bool sent_all = shut_ && wire_.empty() && plain_.empty();
      if (sent_all && (!reading_ || o_.send_only)) return close_politely();
      std::array<pollfd, 2> fds{};
      std::size_t count = 0;
      const bool want_stdin = stdin_open_ && plain_.empty() && wire_.readable_bytes() < kMaxWire;
      if (want_stdin) fds[count++] = {STDIN_FILENO, POLLIN, 0};
      const std::size_t sock_slot = count++;
      short events = reading_ ? POLLIN : 0;
      if (!wire_.empty()) events = static_cast<short>(events | POLLOUT);
      fds[sock_slot] = {sock_, events, 0};
      auto ready = poll_fds(std::span(fds.data(), count), poll_timeout(o_.idle, quit_at_));
      if (!ready) return fail(ready.error());
      if (*ready == 0) return quit_due() ? close_politely() : fail(Errc::idle_timeout);
      if (want_stdin && fds[0].revents != 0) {
        if (auto st = on_stdin(); !st) return st;
      }
      const short rev = fds[sock_slot].revents;
      if (!wire_.empty() && (rev & (POLLOUT | POLLERR | POLLHUP)) != 0) {
        auto sent = write_from(sock_, wire_, trace_);
        if (!sent && !would_block(sent.error())) return send_failed(sent.error());
      }
      if (reading_ && (rev & (POLLIN | POLLERR | POLLHUP)) != 0) {
        if (auto st = on_readable(); !st) return st;
      } else if (!reading_ && (rev & (POLLERR | POLLHUP)) != 0) {
        return peer_gone();  // the peer closed both ways while stdin still had bytes for it
      }
    }
  }

 private:
  Status on_stdin() {
    std::string buf(kChunk * 4, '\0');
    ssize_t n = -1;
    while ((n = ::read(STDIN_FILENO, buf.data(), buf.size())) < 0 && errno == EINTR) {
    }
    if (n < 0) return fail(sys_error());
    buf.resize(static_cast<std::size_t>(n));
    if (n == 0) stdin_open_ = false;
    auto wire = encoder_.encode(buf, !stdin_open_);
    if (!wire) return fail(wire.error());
    if (o_.hex) std::fputs(out_dump_.rows(*wire).c_str(), stderr);
    plain_.append(*wire);
    return {};
  }

  // Hands stdin's bytes to the session as far as it takes them, and collects its ciphertext.
  Status encrypt_pending() {
    while (!plain_.empty() && wire_.readable_bytes() < kMaxWire) {
      auto io = session_.write(plain_.readable());
      take_all(session_, wire_);
      if (!io) return fail(io.error());
      if (io->bytes == 0) break;  // want_output / want_input: the socket must move first
      plain_.consume(io->bytes);
    }
    take_all(session_, wire_);
    return {};
  }

  // Once stdin has ended and all of it is encrypted: our close_notify, then (once it is sent)
  // the TCP write side, so peers that wait for either see the end.
  Status after_stdin_drained() {
    if (!shut_ && !stdin_open_ && plain_.empty()) {
      shut_ = true;
      if (o_.quit_after_eof) quit_at_ = Clock::now() + *o_.quit_after_eof;
      if (!o_.no_shutdown) {
        if (auto st = session_.close(); !st) return st;
        notify_sent_ = true;
        take_all(session_, wire_);
      }
    }
    if (notify_sent_ && wire_.empty() && !tcp_shut_) {
      tcp_shut_ = true;
      if (auto st = shutdown(sock_, ShutdownHow::write);
          !st && st.error() != std::errc::not_connected)
        return st;
    }
    return {};
  }

  // A send the peer refused (it reset): the reason is often an alert it sent just before (TLS
  // 1.3 servers check a client certificate after the client's handshake is done, then alert
  // and close). Read what arrived first, so the alert, not the reset, is what the user sees.
  Status send_failed(std::error_code why) {
    for (int turn = 0; turn < 64 && reading_; ++turn) {
      auto got = read_into(sock_, in_, trace_);
      if (!got || *got == 0) break;
      feed_from(session_, in_);
      if (auto st = decrypt(); !st) return st;
    }
    return fail(why);
  }

  Status on_readable() {
    auto got = read_into(sock_, in_, trace_);
    if (!got) return would_block(got.error()) ? Status{} : fail(got.error());
    if (*got == 0) session_.feed_eof();
    // Feed and decrypt in turns: the session holds at most 64 KiB of unread ciphertext.
    for (int turn = 0; turn < 64; ++turn) {
      const bool all_fed = feed_from(session_, in_);
      if (auto st = decrypt(); !st) return st;
      if (all_fed || !reading_) break;
    }
    take_all(session_, wire_);  // TLS 1.3 may answer (key update)
    return {};
  }

  Status decrypt() {
    std::array<std::byte, kChunk> chunk{};
    while (reading_) {
      auto io = session_.read(chunk);
      if (!io) return fail(io.error());
      if (io->progress == TlsProgress::closed) {
        reading_ = false;  // the peer's close_notify: its direction is over
        return decoder_.finish();
      }
      if (io->bytes == 0) return {};
      if (o_.send_only || finished_) continue;
      const std::string raw(reinterpret_cast<const char*>(chunk.data()), io->bytes);
      if (o_.hex) std::fputs(in_dump_.rows(raw).c_str(), stderr);
      auto text = decoder_.decode(raw);
      if (!text) return fail(text.error());
      auto written = write_all_fd(STDOUT_FILENO, *text);
      if (!written && written.error() == std::errc::broken_pipe) {
        finished_ = true;  // whoever read our output has gone (`| head`): a normal end
      } else if (!written) {
        return written;
      }
    }
    return {};
  }

  Status peer_gone() {
    auto pending = pending_error(sock_);
    if (!pending) return fail(pending.error());
    return fail(*pending ? *pending : std::make_error_code(std::errc::broken_pipe));
  }

  // A clean end we chose (the peer closed first with --recv-only, -q, `| head`): say so with
  // close_notify if it was not said yet. Best effort: the peer may be gone already.
  Status close_politely() {
    if (!notify_sent_ && !o_.no_shutdown && !session_.error() && session_.close()) {
      take_all(session_, wire_);
      (void)write_from(sock_, wire_);
    }
    return {};
  }

  int sock_;
  TlsSession& session_;
  const BridgeOptions& o_;
  FrameEncoder encoder_;
  FrameDecoder decoder_;
  IoTrace trace_;
  HexDump out_dump_{'>'};
  HexDump in_dump_{'<'};
  Buffer plain_;  // encoded stdin not yet taken by the session
  Buffer wire_;   // ciphertext not yet taken by the kernel
  Buffer in_;     // ciphertext received, not yet taken by the session
  bool stdin_open_ = true;
  bool reading_ = true;
  bool shut_ = false;         // our direction is over (stdin ended and was encrypted)
  bool notify_sent_ = false;  // our close_notify is queued
  bool tcp_shut_ = false;
  bool finished_ = false;
  std::optional<Clock::time_point> quit_at_;

  bool quit_due() const { return quit_at_ && Clock::now() >= *quit_at_; }
};

}  // namespace

Status bridge_tls(int sock, TlsSession& session, const BridgeOptions& options) {
  return TlsBridge(sock, session, options).run();
}

}  // namespace sockit::cli
