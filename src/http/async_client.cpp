#include "sockit/http/async_client.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <limits>
#include <variant>

#include "http/reader.hpp"
#include "sockit/core/unique_fd.hpp"
#include "sockit/tls/async_stream.hpp"

namespace sockit::http {
namespace {

Clock::duration since(Clock::time_point start) {
  return Clock::now() - start;
}

struct AsyncConn {
  std::variant<AsyncStream, AsyncTlsStream> s;
  Buffer in{0};
  std::string origin;
  Endpoint peer;
  Endpoint local;

  const TlsSession* session() const {
    const auto* tls = std::get_if<AsyncTlsStream>(&s);
    return tls ? &tls->session() : nullptr;
  }
};

Task<Result<std::size_t>> read_some(AsyncConn& c, std::span<std::byte> out, Deadline d) {
  if (auto* tls = std::get_if<AsyncTlsStream>(&c.s)) co_return co_await tls->read_some(out, d);
  co_return co_await std::get<AsyncStream>(c.s).read_some(out, d);
}

Task<Status> send_all(AsyncConn& c, std::string_view data, Deadline d) {
  if (auto* tls = std::get_if<AsyncTlsStream>(&c.s)) co_return co_await tls->send_all(data, d);
  co_return co_await std::get<AsyncStream>(c.s).send_all(data, d);
}

}  // namespace

struct AsyncClient::Impl {
  EventLoop& loop;
  ClientOptions options;
  std::vector<std::unique_ptr<AsyncConn>> idle;
  Phase phase = Phase::none;

  Task<Result<std::unique_ptr<AsyncConn>>> open(const Url& url, Response& r, Clock::time_point t0,
                                                Deadline deadline);
  Task<Status> send_request(AsyncConn& c, const Request& request, const Events& events, Response& r,
                            Deadline deadline);
  Task<Result<bool>> receive(AsyncConn& c, ResponseReader& reader, Response& r,
                             Clock::time_point t0, Deadline deadline, bool& received_any);
};

Task<Result<std::unique_ptr<AsyncConn>>> AsyncClient::Impl::open(const Url& url, Response& r,
                                                                 Clock::time_point t0,
                                                                 Deadline deadline) {
  Deadline by = deadline;
  if (options.connect_timeout.count() > 0)
    by = earliest(by, Deadline::after(options.connect_timeout));
  phase = Phase::resolve;
  std::vector<Endpoint> addresses;
  for (const auto& o : options.resolve) {
    if (http_iequals(o.host, url.host) && o.port == url.port)
      addresses.emplace_back(o.address, url.port);
  }
  if (addresses.empty()) {
    auto found =
        resolve(url.host, std::to_string(url.port), {.family = options.family, .deadline = by});
    if (!found) co_return fail(found.error());
    addresses = std::move(*found);
  }
  r.timings.namelookup = since(t0);
  phase = Phase::connect;
  std::error_code last = make_error_code(Errc::no_addresses);
  std::optional<AsyncStream> stream;
  for (const auto& at : addresses) {
    auto s = co_await AsyncStream::connect(loop, at, by);
    if (s) {
      stream = std::move(*s);
      break;
    }
    last = s.error();
  }
  if (!stream) co_return fail(last);
  r.timings.connect = since(t0);
  auto conn = std::make_unique<AsyncConn>();
  if (auto p = stream->peer_endpoint()) conn->peer = *p;
  if (auto l = stream->local_endpoint()) conn->local = *l;
  conn->origin = url.origin();
  if (!url.https()) {
    conn->s = std::move(*stream);
    co_return conn;
  }
  phase = Phase::tls;
  if (!options.tls) {
    auto ctx = TlsClientContext::create();
    if (!ctx) co_return fail(ctx.error());
    options.tls = std::move(*ctx);
  }
  auto tls = co_await tls_connect(std::move(*stream), *options.tls, url.host, by);
  if (!tls) co_return fail(tls.error());
  r.timings.appconnect = since(t0);
  conn->s = std::move(*tls);
  co_return conn;
}

Task<Status> AsyncClient::Impl::send_request(AsyncConn& c, const Request& request,
                                             const Events& events, Response& r, Deadline deadline) {
  phase = Phase::send;
  HttpBody body;
  int raw_fd = -1;
  auto head = request_head(request, body, raw_fd);
  if (!head) co_return fail(head.error());
  const UniqueFd file(raw_fd);
  if (events.on_request_head) events.on_request_head(*head);
  r.request_bytes = head->size() + (file.valid() ? body.length : request.body.size());
  if (!file.valid()) {
    *head += request.body;
    co_return co_await send_all(c, *head, deadline);
  }
  if (auto ok = co_await send_all(c, *head, deadline); !ok) co_return ok;
  std::array<char, 64 * 1024> chunk;
  for (std::uint64_t left = body.length; left > 0;) {
    const ssize_t n = ::read(file.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) co_return fail(sys_error());
    if (n == 0) co_return fail(Errc::closed_early);
    const auto len = std::min<std::uint64_t>(static_cast<std::uint64_t>(n), left);
    if (auto ok = co_await send_all(c, std::string_view(chunk.data(), len), deadline); !ok)
      co_return ok;
    left -= len;
  }
  co_return Status{};
}

Task<Result<bool>> AsyncClient::Impl::receive(AsyncConn& c, ResponseReader& reader, Response& r,
                                              Clock::time_point t0, Deadline deadline,
                                              bool& received_any) {
  phase = Phase::receive;
  for (;;) {
    auto done = reader.feed(c.in);
    if (!done || *done) co_return done;
    c.in.ensure_writable(options.read_chunk);
    auto n = co_await read_some(c, c.in.writable().first(options.read_chunk), deadline);
    if (!n) co_return fail(n.error());
    if (*n == 0) co_return reader.eof(c.in);
    if (!received_any) {
      received_any = true;
      r.timings.starttransfer = since(t0);
    }
    c.in.commit(*n);
  }
}

AsyncClient::AsyncClient(EventLoop& loop, ClientOptions options)
    : impl_(std::make_unique<Impl>(Impl{loop, std::move(options), {}, Phase::none})) {
  impl_->options.limits.max_body = std::numeric_limits<std::uint64_t>::max();
  if (impl_->options.read_chunk < 4096) impl_->options.read_chunk = 4096;
}

AsyncClient::~AsyncClient() = default;
AsyncClient::AsyncClient(AsyncClient&&) noexcept = default;
AsyncClient& AsyncClient::operator=(AsyncClient&&) noexcept = default;

Task<Result<Response>> AsyncClient::send(Request request, Events events, Deadline deadline) {
  Impl& m = *impl_;
  m.phase = Phase::none;
  std::unique_ptr<AsyncConn> conn;
  const std::string origin = request.url.origin();
  for (auto it = m.idle.begin(); it != m.idle.end(); ++it) {
    if ((*it)->origin == origin) {
      conn = std::move(*it);
      m.idle.erase(it);
      break;
    }
  }
  for (int round = 0; round < 2; ++round) {
    const auto t0 = Clock::now();
    Response r;
    r.reused = conn != nullptr;
    bool received_any = false;
    if (!conn) {
      auto opened = co_await m.open(request.url, r, t0, deadline);
      if (!opened) co_return fail(opened.error());
      conn = std::move(*opened);
    }
    r.peer = conn->peer;
    r.local = conn->local;
    if (const TlsSession* s = conn->session()) r.tls_protocol = s->protocol();
    if (events.on_connect) events.on_connect(conn->peer, r.reused, conn->session());
    r.timings.pretransfer = since(t0);
    auto sent = co_await m.send_request(*conn, request, events, r, deadline);
    Result<bool> done = sent ? Result<bool>(true) : Result<bool>(fail(sent.error()));
    if (sent) {
      ResponseReader reader(request, events, r, m.options.limits, m.phase);
      done = co_await m.receive(*conn, reader, r, t0, deadline, received_any);
    }
    if (done) {
      r.timings.total = since(t0);
      if (r.keep_alive && conn->in.empty())
        m.idle.push_back(std::move(conn));
      else
        r.keep_alive = false;
      co_return r;
    }
    const bool retry = r.reused && !received_any && m.phase != Phase::handler;
    conn.reset();
    if (!retry) co_return fail(done.error());
  }
  co_return fail(std::make_error_code(std::errc::connection_reset));
}

Phase AsyncClient::failed_phase() const noexcept {
  return impl_->phase;
}

std::size_t AsyncClient::idle_connections() const noexcept {
  return impl_->idle.size();
}

void AsyncClient::close_idle() noexcept {
  impl_->idle.clear();
}

}  // namespace sockit::http
