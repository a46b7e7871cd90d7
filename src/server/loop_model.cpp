// The loop and reactors models: connections driven by long-lived EventLoops. With zero worker
// loops (--model loop) every connection lives on the base loop that accepts; with N (--model
// reactors) the base loop only accepts and hands each connection to the next worker loop, round
// robin, where it stays for its whole life.
#include <cstdint>
#include <thread>
#include <vector>

#include "reactor.hpp"

namespace sockit {
namespace {

class LoopBackend final : public Backend {
 public:
  LoopBackend(EventLoop& base, ServeContext& ctx, unsigned loops)
      : base_(base), ctx_(ctx), loops_(loops) {}
  ~LoopBackend() override { (void)stop(); }

  Status start() override;
  void adopt(UniqueFd fd, std::string remote) override;
  void drain(Clock::time_point until) override {
    for (auto& w : workers_) {
      Reactor& r = *w.reactor;
      if (!w.loop) {
        r.drain(until);
      } else {
        r.loop.post([&r, until] { r.drain(until); });
      }
    }
  }
  DrainReport stop() override;
  void add_stats(ServerStats& stats) const override {
    for (const auto& w : workers_) {
      const TrafficCounters& c = w.reactor->counters;
      stats.messages += c.messages.load(std::memory_order_relaxed);
      stats.bytes_in += c.bytes_in.load(std::memory_order_relaxed);
      stats.bytes_out += c.bytes_out.load(std::memory_order_relaxed);
    }
  }
  // Worker loops open no descriptors once started: only the base loop (accept) does.
  bool only_acceptor_opens_fds() const override { return true; }
  // One descriptor per connection; running out is refused by the reserved-descriptor trick.
  std::size_t conns_for_descriptors(std::size_t) const override { return SIZE_MAX; }

 private:
  struct Worker {
    std::unique_ptr<EventLoop> loop;  // null for the base loop, which belongs to the caller
    std::unique_ptr<Reactor> reactor;
    std::thread thread;
  };

  EventLoop& base_;
  ServeContext& ctx_;
  unsigned loops_;
  std::vector<Worker> workers_;
  std::size_t next_ = 0;
  bool started_ = false;
  bool stopped_ = false;
};

Status LoopBackend::start() {
  if (loops_ == 0) {
    workers_.push_back(Worker{nullptr, std::make_unique<Reactor>(ctx_, base_), {}});
  }
  // Worker loops are created and set up (sweep timer) here, before their threads run them.
  for (unsigned i = 0; i < loops_; ++i) {
    auto loop = EventLoop::create();
    if (!loop) return fail(loop.error());
    auto reactor = std::make_unique<Reactor>(ctx_, **loop);
    workers_.push_back(Worker{std::move(*loop), std::move(reactor), {}});
  }
  for (auto& w : workers_) {
    w.reactor->start_sweep();
    w.reactor->enable_kernel_echo();
  }
  for (auto& w : workers_) {
    if (w.loop) w.thread = std::thread([&loop = *w.loop] { (void)loop.run(); });
  }
  started_ = true;
  return {};
}

void LoopBackend::adopt(UniqueFd fd, std::string remote) {
  Worker& w = workers_[next_++ % workers_.size()];
  Reactor& r = *w.reactor;
  if (!w.loop) {
    r.adopt(std::move(fd), std::move(remote));
    return;
  }
  // The descriptor crosses threads inside the posted task (one small allocation per
  // connection, none per message).
  r.loop.post([&r, fd = std::make_shared<UniqueFd>(std::move(fd)), remote = std::move(remote)] {
    r.adopt(std::move(*fd), remote);
  });
}

DrainReport LoopBackend::stop() {
  if (stopped_ || !started_) return {};
  stopped_ = true;
  // One report per worker, each written by its own loop thread and read after the join.
  std::vector<DrainReport> cuts(workers_.size());
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    Reactor& r = *workers_[i].reactor;
    DrainReport& cut = cuts[i];
    if (!workers_[i].loop) {
      cut = r.abort_all();
      continue;
    }
    // Abort, let the on_close tasks this posts run (they queue behind it), then stop the loop.
    r.loop.post([&r, &cut] {
      cut = r.abort_all();
      r.loop.post([&r] { r.loop.stop(); });
    });
  }
  for (auto& w : workers_) {
    if (w.thread.joinable()) w.thread.join();
  }
  DrainReport total;
  for (const auto& c : cuts) {
    total.cut += c.cut;
    total.unsent += c.unsent;
    total.unread += c.unread;
  }
  // Whatever is left (on the base loop, whose posted on_close tasks have not run) ends here.
  // After join, each worker loop belongs to this thread again.
  for (auto& w : workers_)
    w.reactor->clear();
  return total;
}

}  // namespace

std::unique_ptr<Backend> make_loop_backend(EventLoop& base, ServeContext& ctx, unsigned loops) {
  return std::make_unique<LoopBackend>(base, ctx, loops);
}

}  // namespace sockit
