// http::AsyncClient: the coroutine twin of http::Client (client.hpp) on an EventLoop, with the
// same Request, Response, Events and rules (framing, 1xx, bodiless answers, one deadline,
// keep-alive reuse per origin with one silent replacement of a closed kept connection):
//
//   Task<void> fetch(EventLoop& loop) {
//     http::AsyncClient client(loop);
//     http::Request request;
//     request.url = *http::parse_url("http://127.0.0.1:8000/");
//     auto r = co_await client.send(request, events, Deadline::after(10s));
//   }
//
// Pass named Request and Events objects: g++ 12 destroys a braced temporary that is an argument
// of a co_awaited coroutine call twice (a compiler bug; named objects are copied safely).
//
// Connecting tries the addresses one after another (no Happy Eyeballs here). Host names are
// looked up with the blocking resolver, which may hold the loop up to the deadline; an IP
// literal or a ResolveOverride never blocks.
//
// Thread rule: loop thread only. The client must outlive every send() it started.
#pragma once

#include <memory>

#include "sockit/async/async.hpp"
#include "sockit/async/task.hpp"
#include "sockit/http/client.hpp"

namespace sockit::http {

class AsyncClient {
 public:
  explicit AsyncClient(EventLoop& loop, ClientOptions options = {});
  ~AsyncClient();
  AsyncClient(AsyncClient&&) noexcept;
  AsyncClient& operator=(AsyncClient&&) noexcept;

  /// As Client::send; the request and events are copied into the operation.
  Task<Result<Response>> send(Request request, Events events = {}, Deadline deadline = {});

  Phase failed_phase() const noexcept;
  std::size_t idle_connections() const noexcept;
  void close_idle() noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sockit::http
