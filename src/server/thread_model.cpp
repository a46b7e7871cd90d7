// The thread and pool models. Each serving thread drives one connection at a time on a private
// EventLoop (a Reactor with one connection): it sleeps in epoll_wait on its socket and on the
// loop's eventfd, so it wakes for the client's bytes and for messages other threads deliver to
// it (chat). A blocking recv() could not do the second; this keeps the per-connection code
// identical to the loop models. The cost is two extra descriptors per connection. A coroutine
// handler runs the same way: its loop runs the handler's task for the one connection.
//
//   thread: one joinable thread per connection, started on accept and reaped after it ends.
//   pool:   a fixed set of threads taking accepted connections from a queue.
#include <sys/ioctl.h>

#include <array>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "acceptor.hpp"
#include "reactor.hpp"
#include "sockit/sys/io.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {
namespace {

// True when the peer has already reset the connection (a client that gave up while it waited
// in the backlog): one non-blocking peek, so the accepting thread can close it at once instead
// of spending a thread, an epoll and an eventfd on it. A peer that only half-closed is still
// served: it may be waiting for a greeting or a reply.
bool peer_reset(int fd) {
  std::array<std::byte, 1> byte{};
  const auto n = try_peek(fd, byte);
  return !n && (n.error() == std::errc::connection_reset || n.error() == std::errc::timed_out ||
                n.error() == std::errc::broken_pipe);
}

// A serving thread that cannot set up a loop has nothing else to do: it may wait this long for
// the refused client to read the line and close, so that our close sends FIN, not RST.
constexpr Clock::duration kRefusalLinger = std::chrono::milliseconds(200);

std::size_t unread_bytes(int fd) {
  int n = 0;
  return ::ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? static_cast<std::size_t>(n) : 0;
}

struct Pending {
  UniqueFd fd;
  std::string remote;
};

// A service's connection: a Reactor with one connection, whose loop stops when it closes.
class SoloReactor final : public SoloServer {
 public:
  SoloReactor(ServeContext& ctx, EventLoop& loop) : r_(ctx, loop) {
    r_.stop_when_empty = true;
    r_.start_sweep();
  }
  ~SoloReactor() override { r_.clear(); }
  EventLoop& loop() override { return r_.loop; }
  void serve(UniqueFd fd, std::string remote) override {
    r_.adopt(std::move(fd), std::move(remote));
    if (!r_.conns.empty()) (void)r_.loop.run();
    r_.clear();
  }
  void drain(Clock::time_point until) override { r_.drain(until); }
  DrainReport abort_all() override { return r_.abort_all(); }
  void add_traffic(ServerStats& stats) const override {
    stats.messages += r_.counters.messages.load(std::memory_order_relaxed);
    stats.bytes_in += r_.counters.bytes_in.load(std::memory_order_relaxed);
    stats.bytes_out += r_.counters.bytes_out.load(std::memory_order_relaxed);
  }

 private:
  Reactor r_;
};

class ThreadBackend final : public Backend {
 public:
  ThreadBackend(ServeContext& ctx, bool pool, unsigned threads, StreamHandler handler)
      : ctx_(ctx),
        pool_(pool),
        pool_size_(threads == 0 ? 1 : threads),
        handler_(std::move(handler)) {}
  ~ThreadBackend() override { (void)stop(); }

  Status start() override {
    if (pool_) {
      for (unsigned i = 0; i < pool_size_; ++i)
        pool_threads_.emplace_back([this] { work(); });
    }
    return {};
  }

  void adopt(UniqueFd fd, std::string remote) override {
    if (peer_reset(fd.get())) {  // nothing can be read or written: no thread for it
      ctx_.live.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    if (pool_) {
      {
        std::lock_guard lock(mutex_);
        queue_.push_back(Pending{std::move(fd), std::move(remote)});
      }
      queued_.notify_one();
      return;
    }
    reap();
    std::lock_guard lock(mutex_);
    const std::uint64_t key = next_key_++;
    auto thread = std::thread([this, key, p = Pending{std::move(fd), std::move(remote)}]() mutable {
      serve(std::move(p));
      std::lock_guard done_lock(mutex_);
      finished_.push_back(key);
    });
    threads_.emplace(key, std::move(thread));
  }

  void drain(Clock::time_point until) override {
    std::lock_guard lock(mutex_);
    draining_ = true;
    drain_until_ = until;
    for (auto* s : active_)
      s->loop().post([s, until] { s->drain(until); });
  }

  DrainReport stop() override;

  void add_stats(ServerStats& stats) const override {
    std::lock_guard lock(mutex_);
    stats.threads += serving_;
    stats.waiting += queue_.size();
    stats.messages += retired_.messages;
    stats.bytes_in += retired_.bytes_in;
    stats.bytes_out += retired_.bytes_out;
    for (const auto* s : active_)
      s->add_traffic(stats);
  }

  // Every serving thread opens an epoll and an eventfd: the reserved-descriptor trick would race.
  bool only_acceptor_opens_fds() const override { return false; }
  // thread: the socket, an epoll and an eventfd for each connection. pool: that for the one
  // each worker serves; a queued connection holds only its socket.
  std::size_t conns_for_descriptors(std::size_t descriptors) const override {
    if (!pool_ || descriptors < 3 * std::size_t{pool_size_})
      return std::max<std::size_t>(1, descriptors / 3);
    return descriptors - 2 * std::size_t{pool_size_};
  }

 private:
  void serve(Pending p);
  void work();
  void reap();

  ServeContext& ctx_;
  const bool pool_;
  const unsigned pool_size_;
  const StreamHandler handler_;  // empty: the service's sessions (a Reactor per connection)
  mutable std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Pending> queue_;                               // pool: waiting connections
  std::vector<std::thread> pool_threads_;                   // pool
  std::unordered_map<std::uint64_t, std::thread> threads_;  // thread model, by key
  std::vector<std::uint64_t> finished_;                     // thread model: ready to join
  std::uint64_t next_key_ = 0;
  std::vector<SoloServer*> active_;  // serving a connection now
  std::uint64_t serving_ = 0;
  bool draining_ = false;
  Clock::time_point drain_until_;
  bool stopping_ = false;
  DrainReport cut_;
  ServerStats retired_;  // traffic of the connections served and gone
};

void ThreadBackend::serve(Pending p) {
  auto loop = EventLoop::create();
  if (!loop) {  // out of descriptors: say so, count it, free the connection's place under the cap
    ctx_.refused.fetch_add(1, std::memory_order_relaxed);
    const std::string_view line = ctx_.refusal;  // TLS: none (see ServeContext::refusal)
    refuse_connection(p.fd.get(), line, kRefusalLinger);
    ctx_.live.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  std::unique_ptr<SoloServer> solo;
  if (handler_) {
    solo = make_solo_handler(ctx_, **loop, handler_);
  } else {
    solo = std::make_unique<SoloReactor>(ctx_, **loop);
  }
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      cut_.cut += 1;
      cut_.unread += unread_bytes(p.fd.get());
      (void)set_abortive_close(p.fd.get());
      ctx_.live.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    if (draining_) solo->drain(drain_until_);
    active_.push_back(solo.get());
    ++serving_;
  }
  solo->serve(std::move(p.fd), std::move(p.remote));
  std::lock_guard lock(mutex_);
  std::erase(active_, solo.get());
  --serving_;
  solo->add_traffic(retired_);
}

void ThreadBackend::work() {
  for (;;) {
    Pending p;
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      p = std::move(queue_.front());
      queue_.pop_front();
    }
    serve(std::move(p));
  }
}

void ThreadBackend::reap() {
  std::vector<std::thread> done;
  {
    std::lock_guard lock(mutex_);
    for (auto key : finished_) {
      done.push_back(std::move(threads_[key]));
      threads_.erase(key);
    }
    finished_.clear();
  }
  for (auto& t : done)
    t.join();
}

DrainReport ThreadBackend::stop() {
  std::vector<std::thread> all;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return {};
    stopping_ = true;
    for (auto& p : queue_) {  // never served: reset, and what they sent counted as unread
      cut_.cut += 1;
      cut_.unread += unread_bytes(p.fd.get());
      (void)set_abortive_close(p.fd.get());
    }
    ctx_.live.fetch_sub(queue_.size(), std::memory_order_relaxed);
    queue_.clear();
    for (auto* s : active_) {
      s->loop().post([this, s] {
        const DrainReport n = s->abort_all();
        std::lock_guard inner(mutex_);
        cut_.cut += n.cut;
        cut_.unsent += n.unsent;
        cut_.unread += n.unread;
      });
    }
    for (auto& [key, t] : threads_)
      all.push_back(std::move(t));
    threads_.clear();
    for (auto& t : pool_threads_)
      all.push_back(std::move(t));
    pool_threads_.clear();
  }
  queued_.notify_all();
  for (auto& t : all)
    t.join();
  std::lock_guard lock(mutex_);
  return cut_;
}

}  // namespace

std::unique_ptr<Backend> make_thread_backend(ServeContext& ctx, bool pool, unsigned threads,
                                             StreamHandler handler) {
  return std::make_unique<ThreadBackend>(ctx, pool, threads, std::move(handler));
}

}  // namespace sockit
