// tls_client: a verified TLS client with a deadline. Connects to HOST PORT, checks the server's
// certificate chain and name (system trust store, or CAFILE), prints the first line it sends.
//
// Usage: tls_client HOST PORT [CAFILE]    e.g. tls_client smtp.gmail.com 465
#include <cstdio>

#include "sockit/sockit.hpp"

using namespace sockit;
using namespace std::chrono_literals;

static int failed(std::error_code ec, const char* what) {
  std::fprintf(stderr, "%s\n", explain(ec, what).c_str());  // e.g. "... hostname mismatch"
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 3) return std::fprintf(stderr, "usage: tls_client HOST PORT [CAFILE]\n"), 2;
  const Deadline deadline = Deadline::after(10s);  // one deadline for the whole exchange
  auto context = TlsClientContext::create({.ca_file = argc > 3 ? argv[3] : ""});
  if (!context) return failed(context.error(), "cannot load the trust store");
  auto tcp = TcpStream::connect(argv[1], argv[2], {.deadline = deadline});
  if (!tcp) return failed(tcp.error(), "cannot connect");
  auto tls = tls_connect(std::move(*tcp), *context, argv[1], deadline);
  if (!tls) return failed(tls.error(), "TLS handshake failed");
  Buffer in;
  auto line = recv_until(*tls, in, "\n", 4096, deadline);
  if (!line) return failed(line.error(), "no line from the server");
  if (line->ends_with('\r')) line->remove_suffix(1);  // CRLF protocols (SMTP, POP3, ...)
  std::printf("%s %.*s\n", tls->protocol().c_str(), static_cast<int>(line->size()), line->data());
  return tls->shutdown(ShutdownHow::write, deadline) ? 0 : 1;  // close_notify
}
