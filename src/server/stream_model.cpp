// Coroutine handlers (StreamHandler) under Server's loop and reactors models: each admitted
// connection becomes an AsyncStream on the loop it is handed to and its handler is spawned in
// that loop's TaskSet, so a coroutine server gets the shared accept path, the reactors' spread
// over threads, drain and the connection counts. What it does not get (the handler owns its
// bytes): message and byte counters, idle and partial deadlines (use Deadline in the handler),
// and a quiet-point drain (a drain waits for handlers to end, then cuts the rest).
#include <atomic>
#include <thread>
#include <vector>

#include "backend.hpp"

namespace sockit {
namespace {

// Releases the connection's place under the cap however the handler ends: returning, or its
// frame destroyed by stop().
Task<void> serve_one(const StreamHandler& handler, AsyncStream stream,
                     std::atomic<std::size_t>& live) {
  struct Release {
    std::atomic<std::size_t>& live;
    ~Release() { live.fetch_sub(1, std::memory_order_relaxed); }
  } release{live};
  co_await handler(std::move(stream));
}

class StreamBackend final : public Backend {
 public:
  StreamBackend(EventLoop& base, ServeContext& ctx, unsigned loops, StreamHandler handler)
      : base_(base), ctx_(ctx), loops_(loops), handler_(std::move(handler)) {}
  ~StreamBackend() override { (void)stop(); }

  Status start() override;
  void adopt(UniqueFd fd, std::string remote) override;
  // Nothing to tell a coroutine handler: the server waits for the handlers to return until the
  // deadline, and stop() cuts the rest.
  void drain(Clock::time_point) override {}
  DrainReport stop() override;
  void add_stats(ServerStats&) const override {}
  // With worker loops, handlers may open descriptors (an upstream connection) on other threads.
  bool only_acceptor_opens_fds() const override { return loops_ == 0; }
  std::size_t conns_for_descriptors(std::size_t) const override { return SIZE_MAX; }

 private:
  struct Worker {
    std::unique_ptr<EventLoop> loop;  // null for the base loop, which belongs to the caller
    EventLoop* on = nullptr;
    TaskSet tasks;  // that loop's thread only
    std::thread thread;
  };
  void spawn(Worker& w, UniqueFd fd);

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
    workers_.push_back(std::make_unique<Worker>());
    workers_.back()->on = &base_;
  }
  for (unsigned i = 0; i < loops_; ++i) {
    auto loop = EventLoop::create();
    if (!loop) return fail(loop.error());
    auto w = std::make_unique<Worker>();
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

void StreamBackend::spawn(Worker& w, UniqueFd fd) {
  auto stream = AsyncStream::adopt(*w.on, std::move(fd));
  if (!stream) {
    ctx_.live.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  w.tasks.spawn(serve_one(handler_, std::move(*stream), ctx_.live));
}

void StreamBackend::adopt(UniqueFd fd, std::string) {
  Worker& w = *workers_[next_++ % workers_.size()];
  if (!w.loop) {
    spawn(w, std::move(fd));
    return;
  }
  w.loop->post(
      [this, &w, fd = std::make_shared<UniqueFd>(std::move(fd))] { spawn(w, std::move(*fd)); });
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
      n = w.tasks.size();
      w.tasks.cancel_all();
      continue;
    }
    w.loop->post([&w, &n] {
      n = w.tasks.size();
      w.tasks.cancel_all();  // destroys the frames: their streams close on this thread
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

}  // namespace

std::unique_ptr<Backend> make_stream_backend(EventLoop& base, ServeContext& ctx, unsigned loops,
                                             StreamHandler handler) {
  return std::make_unique<StreamBackend>(base, ctx, loops, std::move(handler));
}

}  // namespace sockit
