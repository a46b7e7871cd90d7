// Server: accepting, admission (allow/deny, connection cap), descriptor exhaustion and
// draining, shared by every model. What happens to an admitted connection is the Backend's job.
#include "sockit/server/server.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cassert>
#include <cerrno>
#include <limits>
#include <optional>
#include <thread>

#include "backend.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/stream/unix.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {
namespace {

// Accept at most this many connections per readiness event, so that a flood of new
// connections cannot starve the ones already being served on the same loop.
constexpr int kAcceptBatch = 64;
// How long the thread and pool models stop accepting after EMFILE/ENFILE: the listener stays
// out of epoll meanwhile (level-triggered, it would otherwise wake the loop in a tight spin).
// Short, because serving threads free descriptors at any moment (a backlog of clients that have
// already left ends each connection within microseconds); one failed accept4() per pause costs
// nothing measurable.
constexpr auto kAcceptPause = std::chrono::milliseconds(10);
constexpr auto kDrainPoll = std::chrono::milliseconds(10);
// More than any listen backlog the kernel allows (somaxconn is 4096 by default).
constexpr int kBacklogLimit = 65536;

UniqueFd open_reserve() {
  return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

// Descriptors kept free for what the server itself opens at run time (a refusal's accept, the
// resolver, the stats line) when the cap is derived from RLIMIT_NOFILE.
constexpr std::size_t kDescriptorHeadroom = 8;

// Descriptors this process may still open: RLIMIT_NOFILE's soft limit minus those open now.
std::optional<std::size_t> free_descriptors() {
  rlimit lim{};
  auto open = count_open_fds();
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || !open || lim.rlim_cur == RLIM_INFINITY) {
    return std::nullopt;
  }
  const auto used = static_cast<rlim_t>(*open) + kDescriptorHeadroom;
  return lim.rlim_cur > used ? static_cast<std::size_t>(lim.rlim_cur - used) : 0;
}

int send_buffer_for(const ServerOptions& o) {
  if (o.send_buffer != 0) return o.send_buffer;
  constexpr std::size_t kIntMax = static_cast<std::size_t>(std::numeric_limits<int>::max());
  return static_cast<int>(std::min(o.connection.output_limit / 4, kIntMax));
}

}  // namespace

void refuse_full_connection(int fd, Clock::duration wait) {
  const std::string_view line = error_line(make_error_code(Errc::server_full));
  (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)shutdown(fd, ShutdownHow::write);
  // Bounded: at most 64 reads, and no waiting past `wait`.
  const auto until = Clock::now() + wait;
  std::array<char, 4096> sink{};
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::recv(fd, sink.data(), sink.size(), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return;  // EOF: a clean close
    if (n > 0) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0 || !wait_ready(fd, Ready::read, Deadline::after(left))) return;
  }
}

std::string_view model_name(Model m) noexcept {
  switch (m) {
    case Model::thread:
      return "thread";
    case Model::pool:
      return "pool";
    case Model::loop:
      return "loop";
    case Model::reactors:
      return "reactors";
  }
  return "?";
}

Result<Model> parse_model(std::string_view text) {
  if (text == "thread") return Model::thread;
  if (text == "pool") return Model::pool;
  if (text == "loop") return Model::loop;
  if (text == "reactors") return Model::reactors;
  return fail(std::make_error_code(std::errc::invalid_argument));
}

bool admitted(const Endpoint& peer, const std::vector<IpNetwork>& allow,
              const std::vector<IpNetwork>& deny) noexcept {
  if (!peer.is_ip()) return true;
  IpAddress address = peer.address();
  // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; lists are written in IPv4.
  if (address.is_v6()) {
    if (auto v4 = address.v6().to_v4()) address = *v4;
  }
  for (const auto& net : deny) {
    if (net.contains(address)) return false;
  }
  if (allow.empty()) return true;
  for (const auto& net : allow) {
    if (net.contains(address)) return true;
  }
  return false;
}

class Server::Acceptor final : public EventLoop::Handler {
 public:
  explicit Acceptor(Server& server) : server_(server) {}
  void on_ready(std::uint32_t) override { server_.on_acceptable(); }

 private:
  Server& server_;
};

Server::Server(EventLoop& base, UniqueFd listener, Service& service, ServerOptions options)
    : base_(base),
      listener_(std::move(listener)),
      service_(service),
      options_(std::move(options)),
      acceptor_(std::make_unique<Acceptor>(*this)) {
  // With the kernel's share bounded by the send buffer, the output limit can count it.
  options_.connection.count_kernel_queue = send_buffer_for(options_) > 0;
  const Framing framing = options_.framing.value_or(service_.default_framing());
  ctx_ = std::make_unique<ServeContext>(service_, options_, framing);
  unsigned threads = options_.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  switch (options_.model) {
    case Model::thread:
      backend_ = make_thread_backend(*ctx_, false, threads);
      break;
    case Model::pool:
      backend_ = make_thread_backend(*ctx_, true, threads);
      break;
    case Model::loop:
      backend_ = make_loop_backend(base_, *ctx_, 0);
      break;
    case Model::reactors:
      backend_ = make_loop_backend(base_, *ctx_, threads);
      break;
  }
}

Server::~Server() {
  assert(base_.in_loop_thread());
  for (auto id : {resume_timer_, drain_poll_, drain_deadline_}) {
    if (id != 0) base_.cancel(id);
  }
  stop_listening();
  backend_.reset();  // joins the model's threads before the context goes
}

Result<std::unique_ptr<Server>> Server::create(EventLoop& base, UniqueFd listener, Service& service,
                                               ServerOptions options) {
  assert(base.in_loop_thread());
  auto local = sockit::local_endpoint(listener.get());
  if (!local) return fail(local.error());
  std::unique_ptr<Server> server(
      new Server(base, std::move(listener), service, std::move(options)));
  server->local_ = *local;
  return server;
}

Result<std::unique_ptr<Server>> Server::listen(EventLoop& base, const Endpoint& at,
                                               Service& service, ServerOptions options) {
  if (at.is_unix()) {
    UnixBindOptions bind_options;
    bind_options.remove_stale = true;
    auto listener = UnixListener::bind(at.unix_path(), bind_options);
    if (!listener) return fail(listener.error());
    // The UnixListener keeps its own descriptor and removes the socket file when destroyed;
    // the server accepts on a duplicate and drops both when it stops listening.
    UniqueFd dup(::fcntl(listener->fd(), F_DUPFD_CLOEXEC, 0));
    if (!dup) return fail(sys_error());
    auto server = create(base, std::move(dup), service, std::move(options));
    if (!server) return server;
    (*server)->listener_owner_ = std::make_shared<UnixListener>(std::move(*listener));
    return server;
  }
  auto listener = TcpListener::bind(at);
  if (!listener) return fail(listener.error());
  // TcpListener does not give its descriptor away: accept on a duplicate of it (the original
  // closes when `listener` goes out of scope; the socket lives on through the duplicate).
  UniqueFd dup(::fcntl(listener->fd(), F_DUPFD_CLOEXEC, 0));
  if (!dup) return fail(sys_error());
  return create(base, std::move(dup), service, std::move(options));
}

Status Server::start() {
  assert(base_.in_loop_thread());
  // A cap the descriptor limit cannot honour is no cap: the thread model spends three
  // descriptors per connection, and past the limit it turned clients away after accepting
  // them. Lowered here so that the cap refuses them cleanly (options() tells the caller).
  if (auto free = free_descriptors()) {
    options_.max_conns = std::min(options_.max_conns, backend_->conns_for_descriptors(*free));
  }
  if (backend_->only_acceptor_opens_fds()) reserve_ = open_reserve();
  if (auto st = backend_->start(); !st) return st;
  if (auto st = base_.watch(listener_.get(), kPollRead, *acceptor_); !st) return st;
  watching_ = true;
  return {};
}

void Server::on_acceptable() {
  accept_some(kAcceptBatch);
}

void Server::accept_some(int max) {
  for (int i = 0; i < max && listener_; ++i) {
    SockAddr peer;
    peer.len = sizeof peer.storage;
    const int fd = ::accept4(listener_.get(), peer.get(), &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (err == EINTR || err == ECONNABORTED) continue;
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        on_descriptors_exhausted();
      }
      return;  // EAGAIN: nothing queued; anything else is the one connection's own problem
    }
    UniqueFd conn(fd);
    auto endpoint = Endpoint::from_sockaddr(peer.get(), peer.len);
    admit(std::move(conn), endpoint ? *endpoint : Endpoint(UnixPath{}));
  }
}

void Server::admit(UniqueFd fd, const Endpoint& peer) {
  if (!admitted(peer, options_.allow, options_.deny)) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return;  // closed at once, without a word: the address is not welcome
  }
  if (ctx_->live.load(std::memory_order_relaxed) >= options_.max_conns) {
    refuse_full(std::move(fd));
    return;
  }
  ctx_->live.fetch_add(1, std::memory_order_relaxed);
  accepted_.fetch_add(1, std::memory_order_relaxed);
  // Small request/response messages must not wait for Nagle's algorithm.
  if (peer.is_ip()) (void)set_no_delay(fd.get(), true);
  if (const int sndbuf = send_buffer_for(options_); sndbuf > 0) {
    (void)set_send_buffer(fd.get(), sndbuf);
  }
  std::string remote = peer.is_ip() ? peer.to_string() : std::string("unix");
  backend_->adopt(std::move(fd), std::move(remote));
}

void Server::refuse_full(UniqueFd fd) {
  refused_.fetch_add(1, std::memory_order_relaxed);
  refuse_full_connection(fd.get(), Clock::duration::zero());  // the base loop must not wait
}

void Server::on_descriptors_exhausted() {
  if (reserve_) {
    // libuv's trick: give back the spare descriptor, accept and refuse with it until the queue
    // is empty, then take the spare again. Safe only when no other thread opens descriptors
    // meanwhile (the loop and reactors models).
    reserve_.reset();
    for (;;) {
      const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        break;
      }
      refuse_full(UniqueFd(fd));
    }
    reserve_ = open_reserve();
    if (reserve_) return;
  }
  pause_accepting();
}

void Server::pause_accepting() {
  if (!watching_ || resume_timer_ != 0) return;
  (void)base_.unwatch(listener_.get());
  watching_ = false;
  resume_timer_ = base_.run_after(kAcceptPause, [this] {
    resume_timer_ = 0;
    if (draining_ || !listener_) return;
    if (base_.watch(listener_.get(), kPollRead, *acceptor_)) watching_ = true;
    if (backend_->only_acceptor_opens_fds() && !reserve_) reserve_ = open_reserve();
  });
}

void Server::stop_listening() {
  if (watching_) (void)base_.unwatch(listener_.get());
  watching_ = false;
  listener_.reset();
  listener_owner_.reset();
}

void Server::drain(Clock::duration deadline, std::function<void(DrainReport)> done) {
  assert(base_.in_loop_thread());
  if (draining_) return;
  draining_ = true;
  drain_done_ = std::move(done);
  // Clients whose connections the kernel completed before we decided to stop may already
  // have sent requests: take them and answer, rather than reset them by closing the listener.
  accept_some(kBacklogLimit);
  stop_listening();
  backend_->drain(Clock::now() + deadline);
  drain_poll_ = base_.run_every(kDrainPoll, [this] {
    if (ctx_->live.load(std::memory_order_relaxed) == 0) finish_drain();
  });
  drain_deadline_ = base_.run_after(deadline, [this] {
    drain_deadline_ = 0;
    finish_drain();
  });
}

void Server::finish_drain() {
  for (auto* id : {&drain_poll_, &drain_deadline_}) {
    if (*id != 0) base_.cancel(*id);
    *id = 0;
  }
  const DrainReport report = backend_->stop();
  if (auto done = std::move(drain_done_)) done(report);
}

ServerStats Server::stats() const {
  ServerStats s;
  s.connections = ctx_->live.load(std::memory_order_relaxed);
  s.accepted = accepted_.load(std::memory_order_relaxed);
  s.refused =
      refused_.load(std::memory_order_relaxed) + ctx_->refused.load(std::memory_order_relaxed);
  backend_->add_stats(s);
  return s;
}

}  // namespace sockit
