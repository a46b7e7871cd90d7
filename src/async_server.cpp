#include "sockit/async_server.hpp"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "io_core.hpp"

namespace sockit {

namespace {

// `co_await AcceptOp(core, listener)`: the next queued connection. Waits for readability on
// the core's descriptor (a duplicate of the listener's, see start_server) and accepts with
// TcpListener::try_accept (accept4, non-blocking, CLOEXEC).
class AcceptOp : detail::IoWaiter {
 public:
  AcceptOp(detail::IoCore* core, TcpListener& listener) noexcept
      : IoWaiter(core, Dir::read, &attempt, Deadline::never()), listener_(listener) {}
  bool await_ready() noexcept { return begin(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return suspend(h); }
  Result<Accepted> await_resume() noexcept {
    if (error_) return fail(error_);
    return std::move(result_);
  }

 private:
  static bool attempt(IoWaiter& self, detail::IoCore&) {
    auto& op = static_cast<AcceptOp&>(self);
    op.result_ = op.listener_.try_accept();
    if (op.result_) return true;
    if (op.result_.error() == std::errc::resource_unavailable_try_again) return false;
    op.error_ = op.result_.error();
    return true;
  }
  TcpListener& listener_;
  Result<Accepted> result_;
};

}  // namespace

struct AsyncServer::Impl {
  Impl(EventLoop& l, TcpListener tcp, Endpoint at, StreamHandler h, AsyncServerOptions o)
      : loop(l),
        listener(std::move(tcp)),
        local(std::move(at)),
        handler(std::move(h)),
        options(std::move(o)) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    close();                // the accept loop sees the cancellation and ends
    acceptor.cancel_all();  // (it was sleeping after an accept error)
    handlers.cancel_all();  // before `handler`, whose captures the handlers may use
  }

  void close() noexcept {
    if (watch != nullptr) detail::IoCore::destroy(std::exchange(watch, nullptr));
  }

  void admit(TcpStream tcp) {
    ++accepted;
    if (handlers.size() >= options.max_connections) {
      // One best-effort line, never waiting; the client is closed either way.
      const auto& msg = options.full_message;
      if (!msg.empty()) (void)::send(tcp.fd(), msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      return;
    }
    auto stream = AsyncStream::adopt(loop, tcp.release());
    if (stream) handlers.spawn(handler(std::move(*stream)));
  }

  static Task<void> accept_loop(Impl& s) {
    while (s.watch != nullptr) {
      auto got = co_await AcceptOp(s.watch, s.listener);
      if (s.watch == nullptr) co_return;  // closed while waiting
      if (got) {
        s.admit(std::move(got->stream));
      } else {
        // EMFILE and friends leave the listener readable: pause rather than spin.
        co_await sleep(s.loop, s.options.accept_retry);
      }
    }
  }

  EventLoop& loop;
  TcpListener listener;
  Endpoint local;
  StreamHandler handler;
  AsyncServerOptions options;
  detail::IoCore* watch = nullptr;  // readiness of the listening socket; null once closed
  std::uint64_t accepted = 0;
  TaskSet acceptor;
  TaskSet handlers;
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
  return impl_->accepted;
}
void AsyncServer::close() noexcept {
  impl_->close();
}

Result<AsyncServer> start_server(EventLoop& loop, const Endpoint& at, StreamHandler handler,
                                 AsyncServerOptions options) {
  if (!handler) return fail(sys_error(EINVAL));
  auto listener = TcpListener::bind(at, options.listen);
  if (!listener) return fail(listener.error());
  auto local = listener->local_endpoint();
  if (!local) return fail(local.error());
  // The loop watches a duplicate of the listening descriptor: TcpListener keeps sole ownership
  // of its own (it has no release()), and both name the same socket, so readiness is shared.
  UniqueFd watched(::fcntl(listener->fd(), F_DUPFD_CLOEXEC, 0));
  if (!watched) return fail(sys_error());
  auto impl = std::make_unique<AsyncServer::Impl>(loop, std::move(*listener), std::move(*local),
                                                  std::move(handler), std::move(options));
  impl->watch = new detail::IoCore(loop, std::move(watched));
  impl->acceptor.spawn(AsyncServer::Impl::accept_loop(*impl));
  return AsyncServer(std::move(impl));
}

}  // namespace sockit
