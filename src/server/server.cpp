// Server: the accept path (Acceptor: allow/deny, connection cap, descriptor exhaustion) and
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

#include "acceptor.hpp"
#include "backend.hpp"
#include "proxy_gate.hpp"
#include "sockit/stream/tcp.hpp"
#include "sockit/stream/unix.hpp"
#include "sockit/sys/socket.hpp"

namespace sockit {
namespace {

// How long the server stops accepting after EMFILE/ENFILE when the spare descriptor cannot
// help (the thread and pool models, whose serving threads open descriptors): short, because
// serving threads free descriptors at any moment; one failed accept4() per pause costs nothing
// measurable.
constexpr auto kAcceptPause = std::chrono::milliseconds(10);
constexpr auto kDrainPoll = std::chrono::milliseconds(10);
// More than any listen backlog the kernel allows (somaxconn is 4096 by default).
constexpr int kBacklogLimit = 65536;

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

// See ServeContext::refusal.
std::string refusal_line(const ServeContext& ctx) {
  const auto full = make_error_code(Errc::server_full);
  if (ctx.options.tls) return {};
  if (ctx.service != nullptr) {
    if (auto codec = ctx.new_codec()) {
      if (auto own = codec->close_reply(full); own && !own->empty()) return std::string(*own);
    }
  }
  return std::string(error_line(full));
}

}  // namespace

CodecFactory codec_factory(Framing framing) {
  return [framing](std::size_t max_message) { return make_codec(framing, max_message); };
}

CodecPtr ServeContext::new_codec() const {
  if (options.codec) return options.codec(options.max_message);
  if (service != nullptr) return service->make_codec(options.max_message);
  return make_codec(Framing::raw, options.max_message);
}

// Before the handshake every failure is the client's (or the network's): it never got served.
// After it, only TLS's own errors count: a reset or an idle timeout is no TLS failure.
void ServeContext::filter_closed(const std::string& remote, std::error_code why, bool ready) {
  if (!why || why == Errc::cancelled) return;  // an orderly end, or the server stopping
  if (ready && why.category() != tls_category()) return;
  tls_failures.fetch_add(1, std::memory_order_relaxed);
  if (options.on_tls_failure) options.on_tls_failure(remote, why, !ready);
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

// What the shared accept path needs from the server: the count under the cap, and a place for
// an admitted connection.
class Server::Admission final : public Acceptor::Owner {
 public:
  explicit Admission(Server& server) : server_(server) {}
  std::size_t live() const override { return server_.ctx_->live.load(std::memory_order_relaxed); }
  void adopt(UniqueFd fd, const Endpoint& peer) override { server_.adopt(std::move(fd), peer); }

 private:
  Server& server_;
};

namespace {

// The model's backend; with a handler, the coroutine one on the same loops (loop, reactors) or
// on each serving thread's own loop (thread, pool).
std::unique_ptr<Backend> backend_for(EventLoop& base, ServeContext& ctx,
                                     const ServerOptions& options, StreamHandler handler) {
  unsigned threads = options.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  const bool one_loop = options.model == Model::loop;
  const bool threaded = options.model == Model::thread || options.model == Model::pool;
  if (handler && !threaded) {
    return make_stream_backend(base, ctx, one_loop ? 0 : threads, std::move(handler));
  }
  switch (options.model) {
    case Model::thread:
      return make_thread_backend(ctx, false, threads, std::move(handler));
    case Model::pool:
      return make_thread_backend(ctx, true, threads, std::move(handler));
    case Model::loop:
      return make_loop_backend(base, ctx, 0);
    case Model::reactors:
      return make_loop_backend(base, ctx, threads);
  }
  return nullptr;
}

}  // namespace

Server::Server(EventLoop& base, UniqueFd listener, Service* service, StreamHandler handler,
               TlsStreamHandler tls_handler, ServerOptions options)
    : base_(base), service_(service), options_(std::move(options)) {
  // With the kernel's share bounded by the send buffer, the output limit can count it.
  options_.connection.count_kernel_queue = send_buffer_for(options_) > 0;
  ctx_ = std::make_unique<ServeContext>(service_, options_);
  if (tls_handler) handler = tls_stream_handler(*ctx_, std::move(tls_handler));
  backend_ = backend_for(base_, *ctx_, options_, std::move(handler));
  AcceptRules rules;
  rules.max_connections = options_.max_connections;
  // Behind a proxy the socket's peer is the proxy: allow/deny wait for the header's address.
  if (!options_.proxy_protocol) {
    rules.allow = options_.allow;
    rules.deny = options_.deny;
  } else {
    proxy_gate_ = std::make_unique<ProxyGate>(
        base_, options_,
        [this](UniqueFd fd, const Endpoint& client) {
          if (sockit::admitted(client, options_.allow, options_.deny)) {
            serve(std::move(fd), client);
            return;
          }
          ctx_->refused.fetch_add(1, std::memory_order_relaxed);
          ctx_->live.fetch_sub(1, std::memory_order_relaxed);
        },
        [this] { ctx_->live.fetch_sub(1, std::memory_order_relaxed); });
  }
  // A TLS client cannot read a plaintext line, and a handshake only to refuse would spend the
  // CPU the cap protects: it is closed without a word.
  ctx_->refusal = refusal_line(*ctx_);
  rules.refusal = ctx_->refusal;
  rules.pause = kAcceptPause;
  // The spare-descriptor trick is race-free only when no serving thread opens descriptors.
  rules.reserve = backend_->only_acceptor_opens_fds();
  admission_ = std::make_unique<Admission>(*this);
  acceptor_ = std::make_unique<Acceptor>(base_, std::move(listener), *admission_, std::move(rules));
}

Server::~Server() {
  assert(base_.in_loop_thread());
  for (auto id : {drain_poll_, drain_deadline_}) {
    if (id != 0) base_.cancel(id);
  }
  acceptor_.reset();
  proxy_gate_.reset();
  listener_owner_.reset();
  backend_.reset();  // joins the model's threads before the context goes
}

Result<std::unique_ptr<Server>> Server::make(EventLoop& base, UniqueFd listener, Service* service,
                                             StreamHandler handler, TlsStreamHandler tls_handler,
                                             ServerOptions options) {
  assert(base.in_loop_thread());
  auto local = sockit::local_endpoint(listener.get());
  if (!local) return fail(local.error());
  std::unique_ptr<Server> server(new Server(base, std::move(listener), service, std::move(handler),
                                            std::move(tls_handler), std::move(options)));
  server->local_ = *local;
  return server;
}

Result<std::unique_ptr<Server>> Server::create(EventLoop& base, UniqueFd listener, Service& service,
                                               ServerOptions options) {
  return make(base, std::move(listener), &service, nullptr, nullptr, std::move(options));
}

Result<std::unique_ptr<Server>> Server::create(EventLoop& base, UniqueFd listener,
                                               StreamHandler handler, ServerOptions options) {
  if (!handler) return fail(std::make_error_code(std::errc::invalid_argument));
  // A StreamHandler would read ciphertext: TLS handlers use the TlsStreamHandler form below.
  if (options.tls) return fail(std::make_error_code(std::errc::not_supported));
  return make(base, std::move(listener), nullptr, std::move(handler), nullptr, std::move(options));
}

Result<std::unique_ptr<Server>> Server::create(EventLoop& base, UniqueFd listener,
                                               TlsStreamHandler handler, ServerOptions options) {
  if (!handler || !options.tls) return fail(std::make_error_code(std::errc::invalid_argument));
  return make(base, std::move(listener), nullptr, nullptr, std::move(handler), std::move(options));
}

Result<std::unique_ptr<Server>> Server::listen(EventLoop& base, const Endpoint& at,
                                               Service& service, ServerOptions options) {
  return bind_and_make(base, at, &service, nullptr, nullptr, std::move(options));
}

Result<std::unique_ptr<Server>> Server::listen(EventLoop& base, const Endpoint& at,
                                               StreamHandler handler, ServerOptions options) {
  if (!handler) return fail(std::make_error_code(std::errc::invalid_argument));
  if (options.tls) return fail(std::make_error_code(std::errc::not_supported));  // see create()
  return bind_and_make(base, at, nullptr, std::move(handler), nullptr, std::move(options));
}

Result<std::unique_ptr<Server>> Server::listen(EventLoop& base, const Endpoint& at,
                                               TlsStreamHandler handler, ServerOptions options) {
  if (!handler || !options.tls) return fail(std::make_error_code(std::errc::invalid_argument));
  return bind_and_make(base, at, nullptr, nullptr, std::move(handler), std::move(options));
}

Result<std::unique_ptr<Server>> Server::bind_and_make(EventLoop& base, const Endpoint& at,
                                                      Service* service, StreamHandler handler,
                                                      TlsStreamHandler tls_handler,
                                                      ServerOptions options) {
  if (at.is_unix()) {
    UnixBindOptions bind_options;
    bind_options.remove_stale = true;
    auto listener = UnixListener::bind(at.unix_path(), bind_options);
    if (!listener) return fail(listener.error());
    // The UnixListener keeps its own descriptor and removes the socket file when destroyed;
    // the server accepts on a duplicate and drops both when it stops listening.
    UniqueFd dup(::fcntl(listener->fd(), F_DUPFD_CLOEXEC, 0));
    if (!dup) return fail(sys_error());
    auto server = make(base, std::move(dup), service, std::move(handler), std::move(tls_handler),
                       std::move(options));
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
  return make(base, std::move(dup), service, std::move(handler), std::move(tls_handler),
              std::move(options));
}

Status Server::start() {
  assert(base_.in_loop_thread());
  // A cap the descriptor limit cannot honour is no cap: the thread model spends three
  // descriptors per connection, and past the limit it turned clients away after accepting
  // them. Lowered here so that the cap refuses them cleanly (options() tells the caller).
  if (auto free = free_descriptors()) {
    options_.max_connections =
        std::min(options_.max_connections, backend_->conns_for_descriptors(*free));
    acceptor_->rules().max_connections = options_.max_connections;
  }
  if (auto st = backend_->start(); !st) return st;
  return acceptor_->start();
}

// The acceptor has checked allow/deny and the cap; counted here (a connection waiting for its
// PROXY header counts too), then the model takes it.
void Server::adopt(UniqueFd fd, const Endpoint& peer) {
  ctx_->live.fetch_add(1, std::memory_order_relaxed);
  if (proxy_gate_) {
    proxy_gate_->admit(std::move(fd), peer);
    return;
  }
  serve(std::move(fd), peer);
}

void Server::serve(UniqueFd fd, const Endpoint& peer) {
  if (const int sndbuf = send_buffer_for(options_); sndbuf > 0) {
    (void)set_send_buffer(fd.get(), sndbuf);
  }
  std::string remote = peer.is_ip() ? peer.to_string() : std::string("unix");
  backend_->adopt(std::move(fd), std::move(remote));
}

void Server::drain(Clock::duration deadline, std::function<void(DrainReport)> done) {
  assert(base_.in_loop_thread());
  if (draining_) return;
  draining_ = true;
  drain_done_ = std::move(done);
  // Clients whose connections the kernel completed before we decided to stop may already
  // have sent requests: take them and answer, rather than reset them by closing the listener.
  acceptor_->accept_some(kBacklogLimit);
  acceptor_->close();
  listener_owner_.reset();
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
  // Connections still waiting for their PROXY header were never served: cut with the rest.
  const std::size_t waiting = proxy_gate_ ? proxy_gate_->close_all() : 0;
  DrainReport report = backend_->stop();
  report.cut += waiting;
  if (auto done = std::move(drain_done_)) done(report);
}

ServerStats Server::stats() const {
  ServerStats s;
  s.connections = ctx_->live.load(std::memory_order_relaxed);
  s.accepted = acceptor_->admitted();
  s.refused = acceptor_->refused() + ctx_->refused.load(std::memory_order_relaxed);
  s.tls_failures = ctx_->tls_failures.load(std::memory_order_relaxed);
  if (proxy_gate_) {
    s.refused += proxy_gate_->refused();
    s.proxy_failures = proxy_gate_->failures();
  }
  backend_->add_stats(s);
  return s;
}

}  // namespace sockit
