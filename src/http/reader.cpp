#include "http/reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sockit/codec/http_writer.hpp"

namespace sockit::http {
namespace {

Fields copy_fields(std::span<const HttpHeader> in) {
  Fields out;
  out.reserve(in.size());
  for (const auto& h : in)
    out.push_back({std::string(h.name), std::string(h.value)});
  return out;
}

}  // namespace

Result<std::string> request_head(const Request& request, HttpBody& body, int& file_fd) {
  std::vector<HttpHeader> fields;
  const std::string authority = request.url.authority();
  if (!find_field(request.headers, "host")) fields.push_back({"Host", authority});
  for (const auto& f : request.headers)
    fields.push_back({f.name, f.value});
  body = {};
  file_fd = -1;
  if (!request.body_file.empty()) {
    file_fd = ::open(request.body_file.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (file_fd < 0 || ::fstat(file_fd, &st) != 0) {
      const auto ec = sys_error();
      if (file_fd >= 0) ::close(file_fd);
      file_fd = -1;
      return fail(ec);
    }
    body = {HttpBodyKind::length, static_cast<std::uint64_t>(st.st_size)};
  } else if (!request.body.empty() || request.empty_body_has_length) {
    body = {HttpBodyKind::length, request.body.size()};
  }
  std::string head;
  if (auto ok = write_request_head(head, request.method, request.url.target, fields, body); !ok) {
    if (file_fd >= 0) ::close(file_fd);
    file_fd = -1;
    return fail(ok.error());
  }
  return head;
}

ResponseReader::ResponseReader(const Request& request, const Events& events, Response& response,
                               const HttpLimits& limits, Phase& phase)
    : request_(request),
      events_(events),
      r_(response),
      phase_(phase),
      parser_(limits),
      decoder_(limits) {}

Result<bool> ResponseReader::feed(Buffer& in) {
  return in_body_ ? body(in) : head(in);
}

Result<bool> ResponseReader::head(Buffer& in) {
  for (;;) {
    auto p = parser_.parse(in.view(), request_.method);
    if (p.status == HttpParseStatus::error) return fail(p.error);
    if (p.status == HttpParseStatus::need_more) return false;
    r_.version = p.head.version;
    r_.status = p.head.status;
    r_.reason = std::string(p.head.reason);
    r_.headers = copy_fields(p.head.headers);
    r_.framing = p.head.body;
    r_.keep_alive = p.head.keep_alive;
    r_.header_bytes += p.consumed;
    r_.raw_head = std::string(in.view().substr(0, p.consumed));
    in.consume(p.consumed);
    parser_.reset();
    if (p.head.interim()) {
      if (events_.on_interim) events_.on_interim(r_);
      continue;
    }
    if (events_.on_head) {
      if (auto ok = events_.on_head(r_); !ok) {
        phase_ = Phase::handler;
        return fail(ok.error());
      }
    }
    if (r_.framing.kind == HttpBodyKind::none) return true;
    decoder_.reset(r_.framing);
    in_body_ = true;
    return body(in);
  }
}

Status ResponseReader::deliver(const HttpBodyStep& step) {
  if (step.status == HttpBodyStatus::error) return fail(step.error);
  if (step.status == HttpBodyStatus::done) r_.trailers = copy_fields(step.trailers);
  if (step.status != HttpBodyStatus::data) return {};
  r_.body_bytes += step.data.size();
  if (!events_.on_body) return {};
  if (auto ok = events_.on_body(step.data); !ok) {
    phase_ = Phase::handler;
    return ok;
  }
  return {};
}

Result<bool> ResponseReader::body(Buffer& in) {
  for (;;) {
    auto step = decoder_.decode(in.view());
    if (auto ok = deliver(step); !ok) return fail(ok.error());
    in.consume(step.consumed);
    if (step.status == HttpBodyStatus::done) {
      if (r_.framing.kind == HttpBodyKind::until_close) r_.keep_alive = false;
      return true;
    }
    if (step.status == HttpBodyStatus::need_more) return false;
  }
}

Result<bool> ResponseReader::eof(const Buffer& in) {
  if (!in_body_) return fail(in.empty() ? Errc::end_of_stream : Errc::closed_early);
  auto step = decoder_.finish();
  if (auto ok = deliver(step); !ok) return fail(ok.error());
  r_.keep_alive = false;
  return true;
}

}  // namespace sockit::http
