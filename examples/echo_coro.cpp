// echo_coro: an echo server written with sockit's coroutine API, in the style of asyncio's
// start_server. Every connection is one coroutine; nothing here knows about epoll.
//
// Usage: echo_coro [PORT]   (listens on 127.0.0.1; default 12345; 0 lets the kernel choose)
// Prints "echo_coro listening on 127.0.0.1:PORT" once ready; SIGINT/SIGTERM stop it (exit 0).
#include <array>
#include <csignal>
#include <cstdio>
#include <string>

#include "sockit/async/async.hpp"
#include "sockit/server/async_server.hpp"

using namespace sockit;
using namespace std::chrono_literals;

// Reads whatever arrives and writes it back, until the client closes, fails or idles 5 min.
Task<void> echo(AsyncStream stream) {
  std::array<std::byte, 16384> buf;
  for (;;) {
    auto n = co_await stream.read_some(buf, Deadline::after(5min));
    if (!n || *n == 0) co_return;
    if (!co_await stream.send_all(std::span(buf).first(*n))) co_return;
  }
}

int main(int argc, char** argv) {
  const std::string port = argc > 1 ? argv[1] : "12345";
  auto at = Endpoint::parse("127.0.0.1:" + port);
  if (!at) {
    std::fprintf(stderr, "usage: echo_coro [PORT]\n");
    return 2;
  }
  auto loop = EventLoop::create();
  if (!loop) {
    std::fprintf(stderr, "%s\n", explain(loop.error(), "cannot create the event loop").c_str());
    return 1;
  }
  auto server = start_server(**loop, *at, echo);
  if (!server) {
    std::fprintf(stderr, "%s\n",
                 explain(server.error(), "cannot listen on " + at->to_string()).c_str());
    return 1;
  }
  for (int signo : {SIGINT, SIGTERM})
    (void)(*loop)->on_signal(signo, [&](int) { (*loop)->stop(); });
  std::printf("echo_coro listening on %s\n", server->local_endpoint().to_string().c_str());
  std::fflush(stdout);
  return (*loop)->run() ? 0 : 1;
}
