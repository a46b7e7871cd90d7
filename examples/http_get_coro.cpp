// http_get_coro: http_get with http::AsyncClient on an event loop. One coroutine fetches the
// URLs in order over one keep-alive connection per host and prints "STATUS BYTES URL" for each.
//
// Usage: http_get_coro URL [URL...]
#include <cstdio>

#include "sockit/sockit.hpp"

using namespace sockit;
using namespace std::chrono_literals;

Task<int> fetch_all(EventLoop& loop, std::vector<std::string> urls) {
  http::AsyncClient client(loop);
  const http::Events events;  // none: only the summary line is printed
  for (const auto& text : urls) {
    auto url = http::parse_url(text);
    if (!url) co_return 2;
    http::Request request;  // named: g++ 12 destroys a braced temporary argument twice here
    request.url = *url;
    auto r = co_await client.send(request, events, Deadline::after(30s));
    if (!r) {
      std::fprintf(stderr, "%s\n", explain(r.error(), text).c_str());
      co_return 1;
    }
    std::printf("%d %llu %s%s\n", r->status, static_cast<unsigned long long>(r->body_bytes),
                text.c_str(), r->reused ? " (reused)" : "");
  }
  co_return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return std::fprintf(stderr, "usage: http_get_coro URL [URL...]\n"), 2;
  auto loop = EventLoop::create();
  if (!loop) return std::fprintf(stderr, "%s\n", explain(loop.error(), "event loop").c_str()), 1;
  auto code = run_until_complete(**loop, fetch_all(**loop, {argv + 1, argv + argc}));
  return code.value_or(1);
}
