#include "reactor.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

#include "sockit/tls/connection_filter.hpp"

namespace sockit {
namespace {

constexpr Clock::duration kMaxSweep = std::chrono::seconds(1);
constexpr Clock::duration kMinSweep = std::chrono::milliseconds(50);
// A pipe this size lets one splice move what a streaming loopback peer has queued (bench W2).
constexpr Clock::duration kDrainPoll = std::chrono::milliseconds(20);
constexpr std::size_t kSplicePipeBytes = std::size_t{1} << 20;

// A handle to a connection for other threads. Deliveries wait in the mailbox's own queue, and
// one posted task hands everything that accumulated to the connection: one post and mostly one
// write per batch, not one each per message (chat at 2,000 lines/s to 200 clients posted
// 400,000 tasks/s, and the loops' queues held them without bound). A message is released once
// handed over (for chat, that is what lets its sender be read again). The weak_ptr is only
// locked on the loop thread.
class LoopMailbox final : public Mailbox, public std::enable_shared_from_this<LoopMailbox> {
 public:
  LoopMailbox(EventLoop& loop, std::weak_ptr<LoopConn> conn)
      : loop_(loop), conn_(std::move(conn)) {}
  void deliver(std::shared_ptr<const std::string> message) override {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(message));
    if (flush_posted_) return;
    flush_posted_ = true;
    loop_.post([self = shared_from_this()] { self->flush(); });
  }
  void close() override {
    loop_.post([conn = conn_] {
      if (auto c = conn.lock()) c->close();
    });
  }
  void wake() override {
    loop_.post([conn = conn_] {
      if (auto c = conn.lock(); c && !c->closing()) c->wake();
    });
  }

 private:
  void flush() {
    std::vector<std::shared_ptr<const std::string>> batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(queue_);
      flush_posted_ = false;
    }
    if (auto c = conn_.lock(); c && !c->closing()) c->send_all(batch);
  }  // the batch's messages are released here, sent or not (a closed receiver holds no one)

  EventLoop& loop_;
  std::weak_ptr<LoopConn> conn_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<const std::string>> queue_;  // guarded by mutex_
  bool flush_posted_ = false;                              // guarded by mutex_
};

// Where a codec's messages go: the session, each counted; decoding stops once the peer is
// closing (what follows is no longer wanted).
class SessionSink final : public MessageSink {
 public:
  SessionSink(Session& session, Peer& peer, TrafficCounters& counters)
      : session_(session), peer_(peer), counters_(counters) {}
  bool on_message(std::string_view message) override {
    counters_.add_message();
    session_.on_message(message, peer_);
    return !peer_.closing();
  }

 private:
  Session& session_;
  Peer& peer_;
  TrafficCounters& counters_;
};

// Joined deliveries go out in writes of about this size.
constexpr std::size_t kJoinBytes = 64 * 1024;

}  // namespace

std::string_view error_line(std::error_code why) noexcept {
  if (why == Errc::line_too_long) return "ERR line too long\n";
  if (why == Errc::frame_too_long) return "ERR frame too long\n";
  if (why == Errc::malformed_frame) return "ERR malformed frame\n";
  if (why == Errc::server_full) return "ERR server full\n";
  if (why == Errc::idle_timeout) return "ERR idle timeout\n";
  if (why == Errc::partial_timeout) return "ERR message timeout\n";
  return {};
}

// ---- LoopConn --------------------------------------------------------------------------------

LoopConn::LoopConn(Reactor& reactor, UniqueFd fd, std::uint64_t id, std::string remote)
    : reactor_(reactor),
      id_(id),
      remote_(std::move(remote)),
      conn_(reactor.loop, std::move(fd), *this, reactor.ctx.options.connection, reactor.counters),
      codec_(reactor.ctx.new_codec()),
      session_(reactor.ctx.service->open_session()) {}

Status LoopConn::open() {
  if (!codec_) return fail(std::make_error_code(std::errc::invalid_argument));
  if (auto st = conn_.start(); !st) return st;
  opened_ = true;
  session_->on_open(*this);
  return {};
}

std::shared_ptr<Mailbox> LoopConn::mailbox() {
  if (!mailbox_) mailbox_ = std::make_shared<LoopMailbox>(reactor_.loop, weak_from_this());
  return mailbox_;
}

void LoopConn::send_all(std::span<const std::shared_ptr<const std::string>> messages) {
  if (messages.size() == 1) {
    send(*messages.front());  // no copy: the framed pieces go out in one writev
    return;
  }
  thread_local std::string joined;
  for (const auto& m : messages) {
    auto wire = codec_->encode(*m);
    if (!wire) {
      joined.clear();
      send_error_and_close(wire.error());
      return;
    }
    joined.append(wire->first);
    joined.append(wire->second);
    if (joined.size() >= kJoinBytes) {
      conn_.send(joined);
      joined.clear();
    }
  }
  if (!joined.empty()) conn_.send(joined);
  joined.clear();
}

void LoopConn::send_error_and_close(std::error_code why) {
  const auto own = codec_ ? codec_->close_reply(why) : std::nullopt;
  if (auto line = own ? *own : error_line(why); !line.empty()) conn_.send(line);
  conn_.close(why);
}

// A draining connection keeps its linger for the peer's EOF: closing with the peer's bytes
// unread would send RST, and an RST destroys what the peer's kernel has not yet handed over.
void LoopConn::drain_now(Clock::time_point until) {
  conn_.drain(until);
}

void LoopConn::send(std::string_view message) {
  auto wire = codec_->encode(message);
  if (!wire) {
    send_error_and_close(wire.error());
    return;
  }
  conn_.send(wire->first, wire->second);
}

bool LoopConn::on_data(Connection&, Buffer& input) {
  SessionSink sink(*session_, *this, reactor_.counters);
  auto st = codec_->decode(input.view(), sink);
  input.consume_all();
  if (!st) {
    send_error_and_close(st.error());
    return false;
  }
  return codec_->partial();
}

void LoopConn::on_eof(Connection&) {
  SessionSink sink(*session_, *this, reactor_.counters);
  if (auto st = codec_->finish(sink); !st) {
    conn_.close(st.error());
    return;
  }
  if (!closing()) session_->on_eof(*this);
}

void LoopConn::finalize() {
  if (finalized_) return;
  finalized_ = true;
  if (opened_) session_->on_close();
  reactor_.ctx.live.fetch_sub(1, std::memory_order_relaxed);
}

void LoopConn::on_close(Connection&, std::error_code why) {
  if (const ConnectionFilter* tls = conn_.filter(); tls != nullptr)
    reactor_.ctx.filter_closed(remote_, why, tls->ready());
  finalize();
  reactor_.remove(id_);  // last: drops the table's reference and may destroy *this
}

// ---- Reactor ---------------------------------------------------------------------------------

// Deadlines are checked by one coarse periodic sweep rather than a timer per connection: no
// timer is touched per message, and an expiry is late by at most one sweep period.
void Reactor::start_sweep() {
  const auto& o = ctx.options.connection;
  Clock::duration period = kMaxSweep;
  const auto handshake =
      ctx.options.tls ? ctx.options.tls_handshake_timeout : Clock::duration::zero();
  for (auto t : {o.idle_timeout, o.partial_timeout, handshake}) {
    if (t.count() > 0) period = std::min(period, t / 4);
  }
  period = std::max(period, kMinSweep);
  sweep = loop.run_every(period, [this] { check_deadlines(); });
}

// Opened before the loop's thread runs, so that worker loops still open no descriptors while
// serving (Backend::only_acceptor_opens_fds).
void Reactor::enable_kernel_echo() {
  if (ctx.options.tls || !ctx.service->pure_echo() || !splice_is_safe()) return;
  // The codec decides: only a transparent one (raw) lets the kernel stand in for the session.
  if (auto probe = ctx.new_codec(); !probe || !probe->transparent()) return;
  if (auto p = SplicePipe::open(kSplicePipeBytes)) pipe.emplace(std::move(*p));
}

void Reactor::adopt(UniqueFd fd, std::string remote) {
  const std::uint64_t id = ctx.next_id.fetch_add(1, std::memory_order_relaxed);
  auto conn = std::make_shared<LoopConn>(*this, std::move(fd), id, std::move(remote));
  conns.emplace(id, conn);
  if (ctx.options.tls) {
    // TLS: the session filters the bytes, so the kernel cannot echo them (no splice).
    const TlsFilterOptions o{.handshake_timeout = ctx.options.tls_handshake_timeout,
                             .max_held = ctx.options.connection.output_limit};
    auto filter = tls_server_filter(*ctx.options.tls, o, loop.now());
    if (!filter) {
      conn->connection().abort(filter.error());
      return;
    }
    conn->connection().set_filter(std::move(*filter));
  } else if (pipe && conn->codec() != nullptr && conn->codec()->transparent()) {
    conn->connection().echo_through(&*pipe);
  }
  if (auto st = conn->open(); !st) {
    conn->connection().abort(st.error());
    return;
  }
  if (draining) conn->drain_now(drain_until);
}

// Checking is cheap (comparisons on cached times); closing is not (a send, a shutdown and an
// epoll change each), so only closing is spread over turns, with I/O served between batches.
void Reactor::check_deadlines() {
  if (!expiring.empty()) return;  // the last sweep's expiries are still being closed
  const auto now = loop.now();
  for (auto& [id, conn] : conns) {
    if (auto why = conn->connection().check_deadlines(now)) expiring.push_back({id, why});
  }
  expire_some();
}

void Reactor::expire_some() {
  expire_next = 0;
  for (std::size_t closed = 0; closed < expire_batch && !expiring.empty();) {
    const Expiry e = expiring.back();
    expiring.pop_back();
    auto it = conns.find(e.id);
    if (it == conns.end() || it->second->closing()) continue;  // gone or closing meanwhile
    it->second->send_error_and_close(e.why);
    ++closed;
  }
  if (!expiring.empty()) {
    expire_next = loop.run_after(Clock::duration::zero(), [this] { expire_some(); });
  }
}

void Reactor::drain(Clock::time_point until) {
  begin_drain(until);
  for (auto& [id, conn] : conns)
    conn->drain_now(until);
}

// A drained connection waits for its peer's EOF; a peer that keeps the connection open after
// reading everything is let go as soon as its kernel has acknowledged it all (two ioctls per
// closing connection per period, during the drain only).
void Reactor::begin_drain(Clock::time_point until) {
  draining = true;
  drain_until = until;
  if (drain_poll != 0) return;
  drain_poll = loop.run_every(kDrainPoll, [this] {
    for (auto& [id, conn] : conns)
      conn->connection().poll_drained();
  });
}

// A cut connection is reset (SO_LINGER 0), not closed with a FIN: its peer must not mistake a
// truncated reply for a complete one, and what it is told it lost is what the report counts.
DrainReport Reactor::abort_all() {
  DrainReport cut;
  for (auto& [id, conn] : conns) {
    Connection& c = conn->connection();
    if (c.closed()) continue;
    ++cut.cut;
    cut.unsent += c.unsent_bytes();
    cut.unread += c.unread_bytes();
    c.abort(make_error_code(Errc::cancelled), /*reset=*/true);
  }
  return cut;
}

void Reactor::clear() {
  for (auto& [id, conn] : conns)
    conn->finalize();
  conns.clear();
  expiring.clear();
  for (auto* id : {&sweep, &drain_poll, &expire_next}) {
    if (*id != 0) loop.cancel(*id);
    *id = 0;
  }
}

void Reactor::remove(std::uint64_t id) {
  conns.erase(id);
  if (conns.empty() && stop_when_empty) loop.stop();
}

}  // namespace sockit
