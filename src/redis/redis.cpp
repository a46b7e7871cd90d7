// hiredis on our EventLoop. hiredis owns the socket and the RESP parsing; it tells us through
// its ev hooks when it wants to read or write, and we call redisAsyncHandleRead/Write when the
// loop says the descriptor is ready. The hooks are idempotent, so Impl keeps the interest it
// registered and only talks to the poller on a change.
//
// Lifetimes: hiredis frees its context itself when the connection fails or ends (after calling
// `cleanup`, the pending commands' callbacks with a NULL reply, then onDisconnect). From then
// on Impl holds no context. RedisClient's destructor frees a live context; the callbacks it
// triggers find `closing_` set and drop their handlers uncalled, because the owner that is
// destroying us cannot take replies any more.
#include "sockit/redis/redis.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <cerrno>
#include <utility>

namespace sockit {
namespace {

RedisReply copy_reply(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::string;
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::status;
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::error;
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = r.integer;
      return out;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      out.element.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i)
        out.element.push_back(copy_reply(*r.element[i]));
      return out;
    default:
      out.type = RedisReply::Type::nil;
      return out;
  }
  out.str.assign(r.str, r.len);
  return out;
}

// hiredis's error kinds as our codes. For an I/O error hiredis has just set errno.
std::error_code failure_code(int err, int saved_errno) {
  switch (err) {
    case REDIS_ERR_IO:
      return saved_errno != 0 ? sys_error(saved_errno) : make_error_code(Errc::closed_early);
    case REDIS_ERR_EOF:
      return make_error_code(Errc::closed_early);
    case REDIS_ERR_PROTOCOL:
      return make_error_code(Errc::malformed_frame);
    default:
      return make_error_code(Errc::closed_early);
  }
}

std::vector<const char*> argv_of(const std::vector<std::string>& args,
                                 std::vector<std::size_t>& lengths) {
  std::vector<const char*> argv;
  argv.reserve(args.size());
  lengths.clear();
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  return argv;
}

}  // namespace

class RedisClient::Impl final : public EventLoop::Handler,
                                public std::enable_shared_from_this<RedisClient::Impl> {
 public:
  Impl(EventLoop& loop, UpHandler on_up, DownHandler on_down)
      : loop_(loop), on_up_(std::move(on_up)), on_down_(std::move(on_down)) {}

  Status start(const std::string& host, std::uint16_t port) {
    ac_ = redisAsyncConnect(host.c_str(), port);
    if (ac_ == nullptr) return fail(std::make_error_code(std::errc::not_enough_memory));
    if (ac_->err != 0) {  // an immediate failure (e.g. no such address): report it as a down
      const int saved = errno;
      fail_later({failure_code(ac_->err, saved), ac_->errstr});
      redisAsyncFree(ac_);
      ac_ = nullptr;
      return {};
    }
    ac_->data = this;
    ac_->ev.data = this;
    ac_->ev.addRead = [](void* p) { static_cast<Impl*>(p)->want(kPollRead, true); };
    ac_->ev.delRead = [](void* p) { static_cast<Impl*>(p)->want(kPollRead, false); };
    ac_->ev.addWrite = [](void* p) { static_cast<Impl*>(p)->want(kPollWrite, true); };
    ac_->ev.delWrite = [](void* p) { static_cast<Impl*>(p)->want(kPollWrite, false); };
    ac_->ev.cleanup = [](void* p) { static_cast<Impl*>(p)->cleanup(); };
    fd_ = ac_->c.fd;
    redisAsyncSetConnectCallback(ac_, [](const redisAsyncContext* ac, int status) {
      static_cast<Impl*>(ac->data)->on_connect(ac, status);
    });
    redisAsyncSetDisconnectCallback(ac_, [](const redisAsyncContext* ac, int status) {
      static_cast<Impl*>(ac->data)->on_disconnect(ac, status);
    });
    // hiredis registers write interest only when a command is queued; the connect completes
    // on the first writable event, so ask for it now.
    want(kPollWrite, true);
    return {};
  }

  void close() {
    if (ac_ == nullptr) return;
    closing_ = true;
    redisAsyncContext* ac = std::exchange(ac_, nullptr);
    redisAsyncFree(ac);  // calls cleanup() and the pending callbacks (dropped: closing_)
    release_fd();
    loop_.forget(*this);  // no event of the current batch may reach us once we are gone
  }

  void command(std::vector<std::string> args, ReplyHandler on_reply) {
    if (ac_ == nullptr || down_) {
      loop_.post([h = std::move(on_reply)]() mutable { h(fail(Errc::cancelled)); });
      return;
    }
    std::vector<std::size_t> lengths;
    auto argv = argv_of(args, lengths);
    auto* pending = new Pending{weak_from_this(), std::move(on_reply)};
    const int rc = redisAsyncCommandArgv(
        ac_, &Impl::on_reply, pending, static_cast<int>(argv.size()), argv.data(), lengths.data());
    if (rc != REDIS_OK) {  // hiredis refuses commands on a context that is disconnecting
      loop_.post([pending] {
        std::unique_ptr<Pending> own(pending);
        own->handler(fail(Errc::cancelled));
      });
    }
  }

  bool up() const noexcept { return up_ && !down_; }
  bool down() const noexcept { return down_; }

  void on_ready(std::uint32_t events) override {
    // A ready error or hangup is found by the read (hiredis sees the EOF or the errno).
    if (ac_ != nullptr && (events & (kPollRead | kPollError | kPollHangup)) != 0)
      redisAsyncHandleRead(ac_);
    if (ac_ != nullptr && (events & kPollWrite) != 0) redisAsyncHandleWrite(ac_);
  }

 private:
  struct Pending {
    std::weak_ptr<Impl> owner;
    ReplyHandler handler;
  };

  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata) {
    std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
    auto* self = static_cast<Impl*>(ac->data);
    if (self == nullptr || self->closing_) return;
    if (reply == nullptr) {
      const std::error_code code =
          ac->c.err != 0 ? failure_code(ac->c.err, errno) : make_error_code(Errc::closed_early);
      pending->handler(fail(code));
      return;
    }
    pending->handler(copy_reply(*static_cast<const redisReply*>(reply)));
  }

  void want(std::uint32_t bit, bool on) {
    const std::uint32_t next = on ? (interest_ | bit) : (interest_ & ~bit);
    if (next == interest_ || fd_ < 0) return;
    Status st;
    if (!watched_) {
      st = loop_.watch(fd_, next, *this);
      watched_ = static_cast<bool>(st);
    } else {
      st = loop_.rewatch(fd_, next, *this);
    }
    interest_ = next;
    if (!st) fail_later({st.error(), "cannot watch the Redis connection"});
  }

  void cleanup() {
    release_fd();
    ac_ = nullptr;  // hiredis frees the context after this
  }

  void release_fd() {
    if (watched_) (void)loop_.unwatch(fd_);
    watched_ = false;
    interest_ = 0;
    fd_ = -1;
  }

  void on_connect(const redisAsyncContext* ac, int status) {
    if (status != REDIS_OK) {  // hiredis frees the context next; no onDisconnect follows
      // hiredis has not copied the error into ac->err yet: the context's own is the one.
      fail_later({failure_code(ac->c.err, errno), ac->c.errstr});
      return;
    }
    up_ = true;
    if (on_up_) on_up_();
  }

  void on_disconnect(const redisAsyncContext* ac, int status) {
    if (closing_) return;
    if (status == REDIS_OK)
      fail_later({make_error_code(Errc::closed_early), "connection closed"});
    else
      fail_later({failure_code(ac->c.err, errno), ac->c.errstr});
  }

  // Reports the end once, from a posted task: we are inside hiredis here.
  void fail_later(RedisFailure why) {
    if (down_) return;
    down_ = true;
    loop_.post([weak = weak_from_this(), why = std::move(why)] {
      if (auto self = weak.lock(); self && self->on_down_ && !self->closing_) {
        auto handler = std::move(self->on_down_);
        handler(why);
      }
    });
  }

  EventLoop& loop_;
  UpHandler on_up_;
  DownHandler on_down_;
  redisAsyncContext* ac_ = nullptr;
  int fd_ = -1;
  std::uint32_t interest_ = 0;
  bool watched_ = false;
  bool up_ = false;
  bool down_ = false;
  bool closing_ = false;
};

Result<std::unique_ptr<RedisClient>> RedisClient::connect(EventLoop& loop, const std::string& host,
                                                          std::uint16_t port, UpHandler on_up,
                                                          DownHandler on_down) {
  auto impl = std::make_shared<Impl>(loop, std::move(on_up), std::move(on_down));
  if (auto st = impl->start(host, port); !st) return fail(st.error());
  return std::unique_ptr<RedisClient>(new RedisClient(std::move(impl)));
}

RedisClient::RedisClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

RedisClient::~RedisClient() {
  impl_->close();
}

void RedisClient::command(std::vector<std::string> args, ReplyHandler on_reply) {
  impl_->command(std::move(args), std::move(on_reply));
}

bool RedisClient::up() const noexcept {
  return impl_->up();
}

bool RedisClient::down() const noexcept {
  return impl_->down();
}

// ---- blocking ----------------------------------------------------------------------------

Result<std::unique_ptr<RedisBlocking>> RedisBlocking::connect(const std::string& host,
                                                              std::uint16_t port, Millis timeout,
                                                              std::string* why) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  redisContext* c = redisConnectWithTimeout(host.c_str(), port, tv);
  if (c == nullptr) return fail(std::make_error_code(std::errc::not_enough_memory));
  if (c->err != 0) {
    const std::error_code code = failure_code(c->err, errno);
    if (why != nullptr) *why = c->errstr;
    redisFree(c);
    return fail(code);
  }
  if (redisSetTimeout(c, tv) != REDIS_OK) {
    const std::error_code code = failure_code(c->err, errno);
    if (why != nullptr) *why = c->errstr;
    redisFree(c);
    return fail(code);
  }
  return std::unique_ptr<RedisBlocking>(new RedisBlocking(c));
}

RedisBlocking::~RedisBlocking() {
  redisFree(static_cast<redisContext*>(context_));
}

Result<RedisReply> RedisBlocking::command(const std::vector<std::string>& args, std::string* why) {
  auto* c = static_cast<redisContext*>(context_);
  std::vector<std::size_t> lengths;
  auto argv = argv_of(args, lengths);
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    if (why != nullptr) *why = c->errstr;
    return fail(failure_code(c->err, errno));
  }
  RedisReply out = copy_reply(*reply);
  freeReplyObject(reply);
  return out;
}

}  // namespace sockit
