#include "sockit/server/async_server.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "async/io_core.hpp"

namespace sockit {

namespace {

// `co_await AcceptOp(core)`: the next queued connection, O_NONBLOCK | CLOEXEC (accept4). The
// core owns the listening socket (TcpListener::release) and waits for its readability.
class AcceptOp : detail::IoWaiter {
 public:
  explicit AcceptOp(detail::IoCore* core) noexcept
      : IoWaiter(core, Dir::read, &attempt, Deadline::never()) {}
  bool await_ready() noexcept { return begin(); }
  bool await_suspend(std::coroutine_handle<> h) noexcept { return suspend(h); }
  Result<UniqueFd> await_resume() noexcept {
    if (error_) return fail(error_);
    return std::move(accepted_);
  }

 private:
  static bool attempt(IoWaiter& self, detail::IoCore& core) {
    auto& op = static_cast<AcceptOp&>(self);
    for (;;) {
      // The peer's address is not needed: a handler that wants it asks its stream.
      const int fd = ::accept4(core.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        op.accepted_ = UniqueFd(fd);
        return true;
      }
      // ECONNABORTED: a queued peer reset before we took it; the next one may be fine.
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      op.error_ = sys_error();
      return true;
    }
  }
  UniqueFd accepted_;
};

}  // namespace

struct AsyncServer::Impl {
  Impl(EventLoop& l, Endpoint at, StreamHandler h, AsyncServerOptions o)
      : loop(l), local(std::move(at)), handler(std::move(h)), options(std::move(o)) {}
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

  void admit(UniqueFd fd) {
    ++accepted;
    if (handlers.size() >= options.max_connections) {
      // One best-effort line, never waiting; the client is closed either way.
      const auto& msg = options.full_message;
      if (!msg.empty()) (void)::send(fd.get(), msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      return;
    }
    auto stream = AsyncStream::adopt(loop, std::move(fd));
    if (stream) handlers.spawn(handler(std::move(*stream)));
  }

  static Task<void> accept_loop(Impl& s) {
    while (s.watch != nullptr) {
      auto got = co_await AcceptOp(s.watch);
      if (s.watch == nullptr) co_return;  // closed while waiting
      if (got) {
        s.admit(std::move(*got));
      } else {
        // EMFILE and friends leave the listener readable: pause rather than spin.
        co_await sleep(s.loop, s.options.accept_retry);
      }
    }
  }

  EventLoop& loop;
  Endpoint local;
  StreamHandler handler;
  AsyncServerOptions options;
  detail::IoCore* watch = nullptr;  // owns the listening socket; null once closed
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
  auto impl = std::make_unique<AsyncServer::Impl>(loop, std::move(*local), std::move(handler),
                                                  std::move(options));
  impl->watch = new detail::IoCore(loop, listener->release());
  impl->acceptor.spawn(AsyncServer::Impl::accept_loop(*impl));
  return AsyncServer(std::move(impl));
}

}  // namespace sockit
