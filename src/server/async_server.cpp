// start_server: the coroutine server on the shared accept path (Acceptor), so that it admits
// exactly as Server does: cap, allow/deny, refusal line, descriptor exhaustion.
#include "sockit/server/async_server.hpp"

#include <utility>

#include "acceptor.hpp"

namespace sockit {

struct AsyncServer::Impl final : Acceptor::Owner {
  Impl(EventLoop& l, Endpoint at, StreamHandler h)
      : loop(l), local(std::move(at)), handler(std::move(h)) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    acceptor.reset();       // no new handler from here on
    handlers.cancel_all();  // before `handler`, whose captures the handlers may use
  }

  std::size_t live() const override { return handlers.size(); }
  void adopt(UniqueFd fd, const Endpoint&) override {
    auto stream = AsyncStream::adopt(loop, std::move(fd));
    if (stream) handlers.spawn(handler(std::move(*stream)));
  }

  EventLoop& loop;
  Endpoint local;
  StreamHandler handler;
  TaskSet handlers;
  std::unique_ptr<Acceptor> acceptor;
};

AsyncServer::AsyncServer(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
AsyncServer::AsyncServer(AsyncServer&&) noexcept = default;
AsyncServer& AsyncServer::operator=(AsyncServer&&) noexcept = default;
AsyncServer::~AsyncServer() = default;

const Endpoint& AsyncServer::local_endpoint() const noexcept {
  return impl_->local;
}
std::size_t AsyncServer::connections() const noexcept {
  return impl_->handlers.size();
}
std::uint64_t AsyncServer::accepted() const noexcept {
  return impl_->acceptor->admitted() + impl_->acceptor->refused();
}
std::uint64_t AsyncServer::refused() const noexcept {
  return impl_->acceptor->refused();
}
void AsyncServer::close() noexcept {
  impl_->acceptor->close();
}

Result<AsyncServer> start_server(EventLoop& loop, const Endpoint& at, StreamHandler handler,
                                 AsyncServerOptions options) {
  if (!handler) return fail(sys_error(EINVAL));
  auto listener = TcpListener::bind(at, options.listen);
  if (!listener) return fail(listener.error());
  auto local = listener->local_endpoint();
  if (!local) return fail(local.error());
  auto impl = std::make_unique<AsyncServer::Impl>(loop, std::move(*local), std::move(handler));
  AcceptRules rules;
  rules.max_connections = options.max_connections;
  rules.allow = std::move(options.allow);
  rules.deny = std::move(options.deny);
  rules.refusal = std::move(options.full_message);
  rules.pause = options.accept_retry;
  // One loop serves every connection, as in Server's loop model: the spare descriptor turns
  // clients away with the refusal line while descriptors are exhausted, instead of leaving
  // them in the backlog. (A handler opening descriptors runs on this thread, never during the
  // acceptor's own accept-and-refuse step.)
  rules.reserve = true;
  impl->acceptor = std::make_unique<Acceptor>(loop, listener->release(), *impl, std::move(rules));
  if (auto st = impl->acceptor->start(); !st) return fail(st.error());
  return AsyncServer(std::move(impl));
}

}  // namespace sockit
