#include "reactor.hpp"

#include <algorithm>

namespace sockit {
namespace {

constexpr Clock::duration kMaxSweep = std::chrono::seconds(1);
constexpr Clock::duration kMinSweep = std::chrono::milliseconds(50);
// A pipe this size lets one splice move what a streaming loopback peer has queued (bench W2).
constexpr std::size_t kSplicePipeBytes = std::size_t{1} << 20;

// A handle to a connection for other threads: posts to the owning loop, which finds the
// connection alive or not. The weak_ptr is only locked on the loop thread.
class LoopMailbox final : public Mailbox {
 public:
  LoopMailbox(EventLoop& loop, std::weak_ptr<LoopConn> conn)
      : loop_(loop), conn_(std::move(conn)) {}
  void deliver(std::shared_ptr<const std::string> message) override {
    loop_.post([conn = conn_, message = std::move(message)] {
      if (auto c = conn.lock(); c && !c->closing()) c->send(*message);
    });
  }
  void close() override {
    loop_.post([conn = conn_] {
      if (auto c = conn.lock()) c->close();
    });
  }

 private:
  EventLoop& loop_;
  std::weak_ptr<LoopConn> conn_;
};

}  // namespace

// ---- LoopConn --------------------------------------------------------------------------------

LoopConn::LoopConn(Reactor& reactor, UniqueFd fd, std::uint64_t id, std::string remote)
    : reactor_(reactor),
      id_(id),
      remote_(std::move(remote)),
      conn_(reactor.loop, std::move(fd), *this, reactor.ctx.options.connection, reactor.counters),
      framer_(reactor.ctx.framing, reactor.ctx.options.max_message),
      session_(reactor.ctx.service.open_session()) {}

Status LoopConn::open() {
  if (auto st = conn_.start(); !st) return st;
  opened_ = true;
  session_->on_open(*this);
  return {};
}

std::shared_ptr<Mailbox> LoopConn::mailbox() {
  if (!mailbox_) mailbox_ = std::make_shared<LoopMailbox>(reactor_.loop, weak_from_this());
  return mailbox_;
}

void LoopConn::send_error_and_close(std::error_code why) {
  if (auto line = error_line(why); !line.empty()) conn_.send(line);
  conn_.close(why);
}

// Draining closes without lingering for the peer's EOF: everything the peer sent has just been
// read and answered, and in the pool model a lingering connection would hold a worker that
// queued connections are waiting for.
void LoopConn::drain_now() {
  conn_.echo_through(nullptr);  // on_data decides when a draining connection may close
  conn_.poll_input();
  if (!conn_.closed() && !framer_.partial()) conn_.close({}, Clock::duration::zero());
}

bool LoopConn::on_data(Connection&, Buffer& input) {
  auto st = framer_.deliver(input.view(), *session_, *this, reactor_.counters);
  input.consume_all();
  if (!st) {
    send_error_and_close(st.error());
    return false;
  }
  const bool partial = framer_.partial();
  if (reactor_.draining && !partial) conn_.close({}, Clock::duration::zero());
  return partial;
}

void LoopConn::on_eof(Connection&) {
  if (auto st = framer_.finish(*session_, *this, reactor_.counters); !st) {
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

void LoopConn::on_close(Connection&, std::error_code) {
  finalize();
  reactor_.remove(id_);  // last: drops the table's reference and may destroy *this
}

// ---- Reactor ---------------------------------------------------------------------------------

// Deadlines are checked by one coarse periodic sweep rather than a timer per connection: no
// timer is touched per message, and an expiry is late by at most one sweep period.
void Reactor::start_sweep() {
  const auto& o = ctx.options.connection;
  Clock::duration period = kMaxSweep;
  for (auto t : {o.idle_timeout, o.partial_timeout}) {
    if (t.count() > 0) period = std::min(period, t / 4);
  }
  period = std::max(period, kMinSweep);
  sweep = loop.run_every(period, [this] { check_deadlines(); });
}

// Opened before the loop's thread runs, so that worker loops still open no descriptors while
// serving (Backend::only_acceptor_opens_fds).
void Reactor::enable_kernel_echo() {
  if (ctx.framing != Framing::raw || !ctx.service.pure_echo() || !splice_is_safe()) return;
  if (auto p = SplicePipe::open(kSplicePipeBytes)) pipe.emplace(std::move(*p));
}

void Reactor::adopt(UniqueFd fd, std::string remote) {
  const std::uint64_t id = ctx.next_id.fetch_add(1, std::memory_order_relaxed);
  auto conn = std::make_shared<LoopConn>(*this, std::move(fd), id, std::move(remote));
  conns.emplace(id, conn);
  if (pipe) conn->connection().echo_through(&*pipe);
  if (auto st = conn->open(); !st) {
    conn->connection().abort(st.error());
    return;
  }
  if (draining) conn->drain_now();
}

void Reactor::check_deadlines() {
  const auto now = loop.now();
  for (auto& [id, conn] : conns) {
    if (auto why = conn->connection().check_deadlines(now)) conn->send_error_and_close(why);
  }
}

void Reactor::drain() {
  draining = true;
  for (auto& [id, conn] : conns)
    conn->drain_now();
}

std::size_t Reactor::abort_all() {
  std::size_t cut = 0;
  for (auto& [id, conn] : conns) {
    if (!conn->connection().closed()) {
      ++cut;
      conn->connection().abort(make_error_code(Errc::cancelled));
    }
  }
  return cut;
}

void Reactor::clear() {
  for (auto& [id, conn] : conns)
    conn->finalize();
  conns.clear();
  if (sweep != 0) loop.cancel(sweep);
  sweep = 0;
}

void Reactor::remove(std::uint64_t id) {
  conns.erase(id);
  if (conns.empty() && stop_when_empty) loop.stop();
}

}  // namespace sockit
