#include "http/exchange.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "sockit/codec/http_writer.hpp"
#include "sockit/core/unique_fd.hpp"
#include "sockit/stream/io.hpp"

namespace sockit::http {
namespace {

Clock::duration since(Clock::time_point start) {
  return Clock::now() - start;
}

Result<UniqueFd> open_body_file(const std::string& path, std::uint64_t& size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return fail(sys_error());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(sys_error());
  size = static_cast<std::uint64_t>(st.st_size);
  return fd;
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

Fields copy_fields(std::span<const HttpHeader> in) {
  Fields out;
  out.reserve(in.size());
  for (const auto& h : in)
    out.push_back({std::string(h.name), std::string(h.value)});
  return out;
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

// Heads until the final one (1xx skipped); the body framing in x.response.framing.
Status read_head(Transport& t, const Request& request, const Events& events, Exchange& x) {
  HttpResponseParser parser(x.limits);
  for (;;) {
    auto p = parser.parse(t.in.view(), request.method);
    if (p.status == HttpParseStatus::error) return fail(p.error);
    if (p.status == HttpParseStatus::need_more) {
      auto n = fill(t, x);
      if (!n) return fail(n.error());
      if (*n == 0) return fail(t.in.empty() ? Errc::end_of_stream : Errc::closed_early);
      continue;
    }
    Response& r = x.response;
    r.version = p.head.version;
    r.status = p.head.status;
    r.reason = std::string(p.head.reason);
    r.headers = copy_fields(p.head.headers);
    r.framing = p.head.body;
    r.keep_alive = p.head.keep_alive;
    r.header_bytes += p.consumed;
    r.raw_head = std::string(t.in.view().substr(0, p.consumed));
    t.in.consume(p.consumed);
    parser.reset();
    if (!p.head.interim()) return {};
    if (events.on_interim) events.on_interim(r);
  }
}

}  // namespace

Status send_request(Transport& t, const Request& request, const Events& events, Exchange& x) {
  std::vector<HttpHeader> fields;
  const std::string authority = request.url.authority();
  if (!find_field(request.headers, "host")) fields.push_back({"Host", authority});
  for (const auto& f : request.headers)
    fields.push_back({f.name, f.value});
  HttpBody body;
  UniqueFd file;
  std::uint64_t file_size = 0;
  if (!request.body_file.empty()) {
    auto opened = open_body_file(request.body_file, file_size);
    if (!opened) return fail(opened.error());
    file = std::move(*opened);
    body = {HttpBodyKind::length, file_size};
  } else if (!request.body.empty() || request.empty_body_has_length) {
    body = {HttpBodyKind::length, request.body.size()};
  }
  std::string head;
  if (auto ok = write_request_head(head, request.method, request.url.target, fields, body); !ok)
    return ok;
  if (events.on_request_head) events.on_request_head(head);
  x.response.request_bytes = head.size() + request.body.size();
  if (!file.valid() && request.body.size() < 64 * 1024) {
    head += request.body;  // one write for a small request
    return send_all(t, head, x.deadline);
  }
  if (auto ok = send_all(t, head, x.deadline); !ok) return ok;
  if (!file.valid()) return send_all(t, request.body, x.deadline);
  return send_file_body(t, file.get(), file_size, x);
}

Result<Response> receive_response(Transport& t, const Request& request, const Events& events,
                                  Exchange& x, Phase& phase) {
  phase = Phase::receive;
  if (auto ok = read_head(t, request, events, x); !ok) return fail(ok.error());
  Response& r = x.response;
  if (events.on_head) {
    if (auto ok = events.on_head(r); !ok) {
      phase = Phase::handler;
      return fail(ok.error());
    }
  }
  HttpBodyDecoder decoder(r.framing, x.limits);
  bool ended = r.framing.kind == HttpBodyKind::none;
  while (!ended) {
    auto step = decoder.decode(t.in.view());
    if (step.status == HttpBodyStatus::need_more) {
      t.in.consume(step.consumed);
      auto n = fill(t, x);
      if (!n) return fail(n.error());
      if (*n != 0) continue;
      step = decoder.finish();  // the server closed: the end of the body, or too early
    }
    if (step.status == HttpBodyStatus::error) return fail(step.error);
    if (step.status == HttpBodyStatus::data) {
      r.body_bytes += step.data.size();
      if (events.on_body) {
        if (auto ok = events.on_body(step.data); !ok) {
          phase = Phase::handler;
          return fail(ok.error());
        }
      }
    } else if (step.status == HttpBodyStatus::done) {
      r.trailers = copy_fields(step.trailers);
      ended = true;
    }
    t.in.consume(step.consumed);
  }
  if (r.framing.kind == HttpBodyKind::until_close) r.keep_alive = false;
  return r;
}

}  // namespace sockit::http
