// http_get: fetch a URL with the blocking http::Client and write the body to stdout, streamed
// (a 1 GiB download costs one read buffer). https verifies the certificate and the name.
//
// Usage: http_get URL [URL...]   e.g. http_get http://127.0.0.1:8000/ http://127.0.0.1:8000/a
// Several URLs on one host share one keep-alive connection. Exit 1 on any failure.
#include <unistd.h>

#include <cstdio>

#include "sockit/sockit.hpp"

using namespace sockit;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  if (argc < 2) return std::fprintf(stderr, "usage: http_get URL [URL...]\n"), 2;
  http::Client client;
  http::Events events;
  events.on_body = [](std::string_view piece) {  // straight to stdout, piece by piece
    return piece.size() == static_cast<std::size_t>(::write(1, piece.data(), piece.size()))
               ? Status{}
               : fail(sys_error());
  };
  for (int i = 1; i < argc; ++i) {
    auto url = http::parse_url(argv[i]);
    if (!url) return std::fprintf(stderr, "%s\n", explain(url.error(), argv[i]).c_str()), 2;
    auto r = client.send({.url = *url}, events, Deadline::after(30s));  // one deadline for all
    if (!r) return std::fprintf(stderr, "%s\n", explain(r.error(), argv[i]).c_str()), 1;
    std::fprintf(stderr, "%s: %d %s, %llu bytes%s\n", argv[i], r->status, r->reason.c_str(),
                 static_cast<unsigned long long>(r->body_bytes),
                 r->reused ? " (connection reused)" : "");
  }
  return 0;
}
