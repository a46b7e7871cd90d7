// Coroutine handlers (StreamHandler) under Server, on every model: each admitted connection
// becomes an AsyncStream on the loop that serves it and its handler runs there as a task. The
// loop and reactors models spawn it on the base loop or on long-lived worker loops (below); the
// thread and pool models on the loop their serving thread makes for the connection
// (make_solo_handler, driven by src/server/thread_model.cpp). Either way a coroutine server
// gets the shared accept path, drain and the connection counts. What it does not get (the
// handler owns its bytes): message and byte counters, idle and partial deadlines (use Deadline
// in the handler).
//
// Drain asks each handler to finish: its stream's waiting read (or its next read that has to
// wait) fails with Errc::draining, once (StreamInterrupt). A handler that returns then closes at
// a point where it had nothing to read; one that carries on is cut at the drain's deadline.
#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backend.hpp"

namespace sockit {
namespace {

// The handlers running on one loop and the handles that interrupt their reads. Loop thread only.
class HandlerSet {
 public:
  HandlerSet(ServeContext& ctx, const StreamHandler& handler) : ctx_(ctx), handler_(handler) {}
  ~HandlerSet() { tasks_.cancel_all(); }

  /// Runs the handler for `fd` on `loop`; `done` (if set) runs on the loop when it ends.
  void spawn(EventLoop& loop, UniqueFd fd, std::function<void()> done = {}) {
    auto stream = AsyncStream::adopt(loop, std::move(fd));
    if (!stream) {
      ctx_.live.fetch_sub(1, std::memory_order_relaxed);
      if (done) done();
      return;
    }
    tasks_.spawn(serve_one(std::move(*stream), std::move(done)));
  }
  /// Asks every handler, and those spawned from now on, to finish.
  void drain() {
    draining_ = true;
    // A handler may end (and leave the list) or spawn nothing while it is told: copy first.
    const std::vector<StreamInterrupt*> told = interrupts_;
    for (auto* i : told) {
      if (std::find(interrupts_.begin(), interrupts_.end(), i) != interrupts_.end())
        i->interrupt(make_error_code(Errc::draining));
    }
  }
  /// Destroys the handlers still running; returns how many there were.
  std::size_t cancel_all() {
    const std::size_t n = tasks_.size();
    tasks_.cancel_all();
    return n;
  }
  std::size_t size() const { return tasks_.size(); }

 private:
  // Releases the connection's place under the cap however the handler ends: returning, or its
  // frame destroyed by cancel_all().
  Task<void> serve_one(AsyncStream stream, std::function<void()> done) {
    struct Release {
      HandlerSet& set;
      StreamInterrupt* interrupt;
      std::function<void()> done;
      ~Release() {
        std::erase(set.interrupts_, interrupt);
        set.ctx_.live.fetch_sub(1, std::memory_order_relaxed);
        if (done) done();
      }
    };
    StreamInterrupt interrupt;
    interrupt.attach(stream);
    interrupts_.push_back(&interrupt);
    Release release{*this, &interrupt, std::move(done)};
    if (draining_) interrupt.interrupt(make_error_code(Errc::draining));
    co_await handler_(std::move(stream));
  }

  ServeContext& ctx_;
  const StreamHandler& handler_;  // the server's; called on every serving thread
  TaskSet tasks_;
  std::vector<StreamInterrupt*> interrupts_;  // one per running handler, in its frame
  bool draining_ = false;
};

// The loop and reactors models.
class StreamBackend final : public Backend {
 public:
  StreamBackend(EventLoop& base, ServeContext& ctx, unsigned loops, StreamHandler handler)
      : base_(base), ctx_(ctx), loops_(loops), handler_(std::move(handler)) {}
  ~StreamBackend() override { (void)stop(); }

  Status start() override;
  void adopt(UniqueFd fd, std::string remote) override;
  void drain(Clock::time_point) override;
  DrainReport stop() override;
  void add_stats(ServerStats&) const override {}
  // With worker loops, handlers may open descriptors (an upstream connection) on other threads.
  bool only_acceptor_opens_fds() const override { return loops_ == 0; }
  std::size_t conns_for_descriptors(std::size_t) const override { return SIZE_MAX; }

 private:
  struct Worker {
    Worker(ServeContext& ctx, const StreamHandler& handler) : handlers(ctx, handler) {}
    std::unique_ptr<EventLoop> loop;  // null for the base loop, which belongs to the caller
    EventLoop* on = nullptr;
    HandlerSet handlers;  // that loop's thread only
    std::thread thread;
  };

  EventLoop& base_;
  ServeContext& ctx_;
  unsigned loops_;
  StreamHandler handler_;  // called on every worker thread: must be thread-safe
  std::vector<std::unique_ptr<Worker>> workers_;
  std::size_t next_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

Status StreamBackend::start() {
  if (loops_ == 0) {
    workers_.push_back(std::make_unique<Worker>(ctx_, handler_));
    workers_.back()->on = &base_;
  }
  for (unsigned i = 0; i < loops_; ++i) {
    auto loop = EventLoop::create();
    if (!loop) return fail(loop.error());
    auto w = std::make_unique<Worker>(ctx_, handler_);
    w->loop = std::move(*loop);
    w->on = w->loop.get();
    workers_.push_back(std::move(w));
  }
  for (auto& w : workers_) {
    if (w->loop) w->thread = std::thread([&loop = *w->loop] { (void)loop.run(); });
  }
  started_ = true;
  return {};
}

void StreamBackend::adopt(UniqueFd fd, std::string) {
  Worker& w = *workers_[next_++ % workers_.size()];
  if (!w.loop) {
    w.handlers.spawn(*w.on, std::move(fd));
    return;
  }
  w.loop->post([&w, fd = std::make_shared<UniqueFd>(std::move(fd))] {
    w.handlers.spawn(*w.on, std::move(*fd));
  });
}

// Posted behind the connections the drain's last accepts handed to each loop.
void StreamBackend::drain(Clock::time_point) {
  for (auto& w : workers_) {
    if (!w->loop) {
      w->handlers.drain();
    } else {
      w->loop->post([&h = w->handlers] { h.drain(); });
    }
  }
}

DrainReport StreamBackend::stop() {
  if (stopped_ || !started_) return {};
  stopped_ = true;
  // One count per worker, each written by its own loop thread and read after the join.
  std::vector<std::size_t> cut(workers_.size(), 0);
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    std::size_t& n = cut[i];
    if (!w.loop) {
      n = w.handlers.cancel_all();
      continue;
    }
    w.loop->post([&w, &n] {
      n = w.handlers.cancel_all();  // destroys the frames: their streams close on this thread
      w.loop->stop();
    });
  }
  DrainReport report;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    if (workers_[i]->thread.joinable()) workers_[i]->thread.join();
    report.cut += cut[i];
  }
  return report;
}

// The thread and pool models: one handler on the loop its serving thread made, which runs
// until the handler ends.
class SoloHandler final : public SoloServer {
 public:
  SoloHandler(ServeContext& ctx, EventLoop& loop, const StreamHandler& handler)
      : loop_(loop), handlers_(ctx, handler) {}
  EventLoop& loop() override { return loop_; }
  void serve(UniqueFd fd, std::string) override {
    handlers_.spawn(loop_, std::move(fd), [this] {
      if (running_) loop_.stop();  // a stop before run() would end the next run at once
    });
    if (handlers_.size() == 0) return;  // ended (or failed) before its first wait
    running_ = true;
    (void)loop_.run();
    running_ = false;
    (void)handlers_.cancel_all();  // the loop failed, or abort_all() stopped it
  }
  void drain(Clock::time_point) override { handlers_.drain(); }
  DrainReport abort_all() override {
    DrainReport cut;
    cut.cut = handlers_.cancel_all();
    loop_.stop();
    return cut;
  }
  void add_traffic(ServerStats&) const override {}

 private:
  EventLoop& loop_;
  HandlerSet handlers_;
  bool running_ = false;
};

// The handshake of one TLS handler's connection. `handler` is shared rather than referenced:
// the frame must not depend on where the wrapping StreamHandler is stored.
Task<void> serve_tls(ServeContext& ctx, std::shared_ptr<const TlsStreamHandler> handler,
                     AsyncStream stream) {
  const auto timeout = ctx.options.tls_handshake_timeout;
  const Deadline deadline =
      timeout > Clock::duration::zero() ? Deadline::after(timeout) : Deadline{};
  // Known now, before the stream moves into the handshake that may fail.
  auto peer = stream.peer_endpoint();
  auto tls = co_await tls_accept(std::move(stream), *ctx.options.tls, deadline);
  if (!tls) {
    // A drain that interrupts the handshake ends it as the server's choice, not a failure.
    if (tls.error() == Errc::draining) co_return;
    std::string remote = !peer           ? std::string("?")
                         : peer->is_ip() ? peer->to_string()
                                         : std::string("unix");
    ctx.filter_closed(remote, tls.error(), false);
    co_return;
  }
  co_await (*handler)(std::move(*tls));
}

}  // namespace

StreamHandler tls_stream_handler(ServeContext& ctx, TlsStreamHandler handler) {
  auto shared = std::make_shared<const TlsStreamHandler>(std::move(handler));
  return [&ctx, shared](AsyncStream stream) { return serve_tls(ctx, shared, std::move(stream)); };
}

std::unique_ptr<Backend> make_stream_backend(EventLoop& base, ServeContext& ctx, unsigned loops,
                                             StreamHandler handler) {
  return std::make_unique<StreamBackend>(base, ctx, loops, std::move(handler));
}

std::unique_ptr<SoloServer> make_solo_handler(ServeContext& ctx, EventLoop& loop,
                                              const StreamHandler& handler) {
  return std::make_unique<SoloHandler>(ctx, loop, handler);
}

}  // namespace sockit
