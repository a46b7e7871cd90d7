#include "http/exchange.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>

#include "http/reader.hpp"
#include "sockit/core/unique_fd.hpp"
#include "sockit/stream/io.hpp"

namespace sockit::http {
namespace {

Clock::duration since(Clock::time_point start) {
  return Clock::now() - start;
}

// Streams `size` bytes of the file; a file that shrank meanwhile cannot meet the length sent.
Status send_file_body(Transport& t, int fd, std::uint64_t size, Exchange& x) {
  std::array<char, 64 * 1024> chunk;
  while (size > 0) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(sys_error());
    if (n == 0) return fail(Errc::closed_early);
    const auto len = static_cast<std::size_t>(n) < size ? static_cast<std::size_t>(n)
                                                        : static_cast<std::size_t>(size);
    if (auto ok = send_all(t, std::string_view(chunk.data(), len), x.deadline); !ok) return ok;
    size -= len;
    x.response.request_bytes += len;
  }
  return {};
}

// Reads once more into t.in: 0 at end of stream.
Result<std::size_t> fill(Transport& t, Exchange& x) {
  t.in.ensure_writable(x.read_chunk);
  auto n = t.read_some(t.in.writable().first(x.read_chunk), x.deadline);
  if (!n) return n;
  if (*n > 0 && !x.received_any) {
    x.received_any = true;
    x.response.timings.starttransfer = since(x.start);
  }
  t.in.commit(*n);
  return n;
}

}  // namespace

Status send_request(Transport& t, const Request& request, const Events& events, Exchange& x) {
  HttpBody body;
  int raw_fd = -1;
  auto head = request_head(request, body, raw_fd);
  if (!head) return fail(head.error());
  const UniqueFd file(raw_fd);
  if (events.on_request_head) events.on_request_head(*head);
  x.response.request_bytes = head->size() + request.body.size();
  if (!file.valid() && request.body.size() < 64 * 1024) {
    *head += request.body;  // one write for a small request
    return send_all(t, *head, x.deadline);
  }
  if (auto ok = send_all(t, *head, x.deadline); !ok) return ok;
  if (!file.valid()) return send_all(t, request.body, x.deadline);
  return send_file_body(t, file.get(), body.length, x);
}

Result<Response> receive_response(Transport& t, const Request& request, const Events& events,
                                  Exchange& x, Phase& phase) {
  phase = Phase::receive;
  ResponseReader reader(request, events, x.response, x.limits, phase);
  for (;;) {
    auto done = reader.feed(t.in);
    if (!done) return fail(done.error());
    if (*done) return x.response;
    auto n = fill(t, x);
    if (!n) return fail(n.error());
    if (*n == 0) {
      auto ended = reader.eof(t.in);
      if (!ended) return fail(ended.error());
      return x.response;
    }
  }
}

}  // namespace sockit::http
