#include "sockit/http/client.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <limits>

#include "http/exchange.hpp"
#include "http/transport.hpp"
#include "sockit/core/unique_fd.hpp"
#include "sockit/stream/io.hpp"

namespace sockit::http {

const Field* find_field(const Fields& fields, std::string_view name) noexcept {
  for (const auto& f : fields) {
    if (http_iequals(f.name, name)) return &f;
  }
  return nullptr;
}

struct Client::Impl {
  ClientOptions options;
  std::vector<std::unique_ptr<Transport>> idle;
  Phase phase = Phase::none;

  Result<std::unique_ptr<Transport>> open(const Url& url, Exchange& x);
  Result<std::vector<Endpoint>> endpoints(const Url& url, Deadline deadline);
  Result<Response> attempt(const Request& request, const Events& events, Exchange& x,
                           std::unique_ptr<Transport>& conn);
};

namespace {

Clock::duration since(Clock::time_point start) {
  return Clock::now() - start;
}

}  // namespace

Result<std::vector<Endpoint>> Client::Impl::endpoints(const Url& url, Deadline deadline) {
  for (const auto& o : options.resolve) {
    if (http_iequals(o.host, url.host) && o.port == url.port)
      return std::vector<Endpoint>{Endpoint(o.address, url.port)};
  }
  return resolve(url.host, std::to_string(url.port),
                 {.family = options.family, .deadline = deadline});
}

Result<std::unique_ptr<Transport>> Client::Impl::open(const Url& url, Exchange& x) {
  Deadline connect_by = x.deadline;
  if (options.connect_timeout.count() > 0)
    connect_by = earliest(connect_by, Deadline::after(options.connect_timeout));
  phase = Phase::resolve;
  auto addresses = endpoints(url, connect_by);
  if (!addresses) return fail(addresses.error());
  x.response.timings.namelookup = since(x.start);
  phase = Phase::connect;
  auto tcp = TcpStream::connect(*addresses, {.family = options.family, .deadline = connect_by});
  if (!tcp) return fail(tcp.error());
  x.response.timings.connect = since(x.start);
  auto peer = tcp->peer_endpoint();
  auto local = tcp->local_endpoint();
  std::unique_ptr<Transport> t;
  if (url.https()) {
    phase = Phase::tls;
    if (!options.tls) {
      auto ctx = TlsClientContext::create();
      if (!ctx) return fail(ctx.error());
      options.tls = std::move(*ctx);
    }
    auto tls = tls_connect(std::move(*tcp), *options.tls, url.host, connect_by);
    if (!tls) return fail(tls.error());
    x.response.timings.appconnect = since(x.start);
    t = std::make_unique<Transport>(std::move(*tls));
  } else {
    t = std::make_unique<Transport>(std::move(*tcp));
  }
  t->origin = url.origin();
  if (peer) t->peer = *peer;
  if (local) t->local = *local;
  return t;
}

Result<Response> Client::Impl::attempt(const Request& request, const Events& events, Exchange& x,
                                       std::unique_ptr<Transport>& conn) {
  x.response.reused = conn != nullptr;
  if (!conn) {
    auto opened = open(request.url, x);
    if (!opened) return fail(opened.error());
    conn = std::move(*opened);
  }
  x.response.peer = conn->peer;
  x.response.local = conn->local;
  if (const TlsSession* s = conn->session()) x.response.tls_protocol = s->protocol();
  if (events.on_connect) events.on_connect(conn->peer, x.response.reused, conn->session());
  x.response.timings.pretransfer = since(x.start);
  phase = Phase::send;
  if (auto sent = send_request(*conn, request, events, x); !sent) return fail(sent.error());
  return receive_response(*conn, request, events, x, phase);
}

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->options.limits.max_body = std::numeric_limits<std::uint64_t>::max();
  if (impl_->options.read_chunk < 4096) impl_->options.read_chunk = 4096;
}

Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

Result<Response> Client::send(const Request& request, const Events& events, Deadline deadline) {
  Impl& m = *impl_;
  m.phase = Phase::none;
  const std::string origin = request.url.origin();
  std::unique_ptr<Transport> conn;
  for (auto it = m.idle.begin(); it != m.idle.end(); ++it) {
    if ((*it)->origin == origin) {
      conn = std::move(*it);
      m.idle.erase(it);
      break;
    }
  }
  // A kept connection may have been closed by the server since: if nothing at all came back
  // on it, the request is sent once more on a fresh one (as browsers and curl do).
  for (int round = 0; round < 2; ++round) {
    Exchange x{.start = Clock::now(),
               .deadline = deadline,
               .limits = m.options.limits,
               .read_chunk = m.options.read_chunk};
    const bool was_reused = conn != nullptr;
    auto r = m.attempt(request, events, x, conn);
    if (r) {
      r->timings.total = since(x.start);
      if (r->keep_alive && conn && conn->in.empty()) {
        m.idle.push_back(std::move(conn));
      } else {
        r->keep_alive = false;
      }
      return r;
    }
    conn.reset();
    if (!was_reused || x.received_any || m.phase == Phase::handler) return fail(r.error());
  }
  return fail(std::make_error_code(std::errc::connection_reset));
}

Phase Client::failed_phase() const noexcept {
  return impl_->phase;
}

std::size_t Client::idle_connections() const noexcept {
  return impl_->idle.size();
}

void Client::close_idle() noexcept {
  impl_->idle.clear();
}

}  // namespace sockit::http
