// The HTTP file service: one session per connection answers each request head the codec
// adapter hands over. Answers to one read's worth of pipelined requests are collected and sent
// with one Peer::send (one writev), since the adapter marks the last complete request of a read.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <limits>
#include <string>
#include <vector>

#include "http_internal.hpp"
#include "sockit/codec/http_writer.hpp"
#include "sockit/services/http.hpp"

namespace sockit {
namespace http_service {
namespace {

constexpr std::size_t kFlushAt = 64 * 1024;
constexpr std::size_t kKeepBytes = 256 * 1024;

bool known_method(std::string_view m) {
  for (std::string_view k : {"POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
    if (m == k) return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// If-None-Match: weak comparison (RFC 9110 §13.1.2): "W/" is ignored on both sides.
bool etag_matches(std::string_view list, std::string_view etag) {
  if (trim(list) == "*") return true;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view one = trim(list.substr(0, comma));
    if (one.starts_with("W/")) one.remove_prefix(2);
    if (one == etag) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

struct Range {
  enum Kind : std::uint8_t { none, one, unsatisfiable } kind = none;
  std::uint64_t first = 0, last = 0;
};

bool to_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return true;
}

// One "bytes=a-b", "bytes=a-" or "bytes=-n". A malformed header or several ranges are
// ignored (the whole file is sent, which RFC 9110 §14.2 allows).
Range parse_range(std::string_view value, std::uint64_t size) {
  Range r;
  if (!value.starts_with("bytes=")) return r;
  value = trim(value.substr(6));
  if (value.find(',') != std::string_view::npos) return r;
  const auto dash = value.find('-');
  if (dash == std::string_view::npos) return r;
  const std::string_view a = trim(value.substr(0, dash)), b = trim(value.substr(dash + 1));
  std::uint64_t x = 0, y = 0;
  if (a.empty()) {
    if (!to_u64(b, y)) return r;
    if (y == 0 || size == 0) return Range{Range::unsatisfiable};
    return Range{Range::one, y >= size ? 0 : size - y, size - 1};
  }
  if (!to_u64(a, x) || (!b.empty() && (!to_u64(b, y) || y < x))) return r;
  if (x >= size) return Range{Range::unsatisfiable};
  return Range{Range::one, x, b.empty() || y >= size ? size - 1 : y};
}

struct Shared {
  HttpServiceOptions options;
  UniqueFd root;
};

// Per-thread memory for answering: every session on the thread builds its answers here, since
// a read's batch of answers is built and flushed within one delivery (the codec hands over a
// whole read's requests in one go, the last one marked). An idle keep-alive connection then
// holds no answer buffer, header array or cached validator (issue 12), and a busy thread
// allocates nothing per request once warm.
struct Reply {
  std::string out;  // answers not sent yet (one read's worth); empty between deliveries
  std::vector<HttpHeader> headers;
  std::string etag, modified, range, location;
  bool keep = true;
  bool http10 = false;
  int status = 0;
  std::uint64_t sent = 0;  // body bytes of the last answer, for the log
  // A body to send with sendfile once the heads before it are handed to the peer.
  UniqueFd file;
  std::uint64_t file_at = 0, file_length = 0;
  // Re-reads the head the codec accepted (for views into this request). The codec enforced the
  // service's limits already, and limits only ever reject: this parser needs none, so one
  // serves every service on the thread with nothing to check per request.
  HttpRequestParser parser{no_limits()};
  const void* owner = nullptr;  // the session that used it last

  static Reply& get() {
    thread_local Reply reply;
    return reply;
  }
  static HttpLimits no_limits() {
    constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();
    return {kAll, kAll, kAll, std::numeric_limits<std::uint64_t>::max(), kAll, kAll, kAll, kAll};
  }
};

// One delivery's worth of work for a session, on the thread's Reply.
class Responder {
 public:
  Responder(const Shared& shared, Reply& reply, std::size_t& served)
      : s_(shared), o_(shared.options), r_(reply), served_(served) {}
  void on_message(std::string_view message, Peer& peer);

 private:
  void handle(const HttpRequest& req, bool body_unread);
  void serve_path(const HttpRequest& req, bool head);
  void serve_file(const HttpRequest& req, Opened& file, std::string_view name, bool head);
  void answer(int status, std::string_view type, std::string_view body, bool head,
              std::uint64_t length);
  void error(int status, bool head);
  void log(Peer& peer, std::string_view method, std::string_view target, HttpVersion v);
  void flush(Peer& peer);

  const Shared& s_;
  const HttpServiceOptions& o_;
  Reply& r_;
  std::size_t& served_;
};

// What a connection keeps between requests: its request count.
class HttpSession final : public Session {
 public:
  explicit HttpSession(const Shared& shared) : s_(shared) {}
  void on_message(std::string_view message, Peer& peer) override {
    Reply& reply = Reply::get();
    if (reply.owner != this) {  // never another session's leftovers (there are none: belt)
      reply.out.clear();
      reply.file.reset();
      reply.owner = this;
    }
    Responder(s_, reply, served_).on_message(message, peer);
  }

 private:
  const Shared& s_;
  std::size_t served_ = 0;
};

void Responder::on_message(std::string_view message, Peer& peer) {
  const char kind = message.empty() ? kError : message[0];
  message.remove_prefix(message.empty() ? 0 : 1);
  if (kind == kError) {
    int code = 0;
    for (char c : message)
      code = code * 10 + (c - '0');
    r_.keep = false;
    r_.http10 = false;
    error(http_status(make_error_code(static_cast<HttpErrc>(code))), false);
    log(peer, "-", "-", {});
  } else {
    const auto r = r_.parser.parse(message);
    if (r.status != HttpParseStatus::done) {  // the adapter parsed it already: cannot happen
      r_.parser.reset();  // (a failed parser stays failed, and it serves the whole thread)
      r_.keep = false;
      error(400, false);
    } else {
      handle(r.head, kind == kUnread);
      log(peer, r.head.method, r.head.target, r.head.version);
    }
  }
  if (r_.file) {
    peer.send_file(std::move(r_.file), r_.file_at, r_.file_length, r_.out);
    r_.out.clear();
  }
  // At the end of a read's worth, or once a batch is big: a read of tiny requests for inline
  // files must not build megabytes here (the Connection's output limit then judges the peer).
  // A closing peer takes nothing more and stops the delivery: nothing may stay behind then.
  if (!r_.keep || kind != kMore || r_.out.size() >= kFlushAt || peer.closing()) flush(peer);
}

// Sends the collected answers; `out` is empty afterwards, and the thread keeps at most
// kKeepBytes of it (a big directory listing must not pin its size for the thread's life).
void Responder::flush(Peer& peer) {
  if (!r_.out.empty()) peer.send(r_.out);
  r_.out.clear();
  if (r_.out.capacity() > kKeepBytes) std::string().swap(r_.out);
  if (!r_.keep) peer.close();
}

void Responder::handle(const HttpRequest& req, bool body_unread) {
  r_.keep = !body_unread && req.keep_alive && ++served_ < o_.max_requests;
  r_.http10 = req.version.minor == 0;
  const bool head = req.method == "HEAD";
  if (req.method != "GET" && !head) {
    const int status = known_method(req.method) ? 405 : 501;
    error(status, false);
    return;
  }
  if (o_.plaintext && req.target == "/plaintext") {
    answer(200, "text/plain", "Hello, World!", head, 13);
    return;
  }
  serve_path(req, head);
}

void Responder::serve_path(const HttpRequest& req, bool head) {
  const DecodedPath d = decode_target(req.target);
  if (d.status != 0) return error(d.status, head);
  if (!o_.show_hidden && has_hidden_segment(d.path)) return error(404, head);
  std::string relative = d.path.substr(d.path.find_first_not_of('/') == std::string::npos
                                           ? d.path.size()
                                           : d.path.find_first_not_of('/'));
  Opened o = open_below(s_.root.get(), relative, o_.follow_symlinks);
  if (o.status != 0) return error(o.status, head);
  if (S_ISREG(o.st.st_mode)) return serve_file(req, o, d.path, head);
  if (!d.path.ends_with('/')) {
    r_.location = d.raw + "/" + d.query;
    r_.headers = {{"Location", r_.location}};
    return answer(301, "text/html", "", head, 0);
  }
  Opened index = open_below(s_.root.get(), relative + "index.html", o_.follow_symlinks);
  if (index.status == 0 && S_ISREG(index.st.st_mode))
    return serve_file(req, index, "index.html", head);
  const std::string page =
      directory_listing(o.fd.get(), d.path, o_.show_hidden, o_.follow_symlinks);
  answer(200, "text/html; charset=utf-8", page, head, page.size());
}

void Responder::serve_file(const HttpRequest& req, Opened& file, std::string_view name, bool head) {
  const auto size = static_cast<std::uint64_t>(file.st.st_size);
  char tag[64];
  std::snprintf(
      tag, sizeof tag, "\"%llx-%lx-%llx\"", static_cast<unsigned long long>(file.st.st_mtim.tv_sec),
      static_cast<unsigned long>(file.st.st_mtim.tv_nsec), static_cast<unsigned long long>(size));
  r_.etag = tag;
  r_.modified = http_date_of(file.st.st_mtim.tv_sec);
  r_.headers = {{"ETag", r_.etag}, {"Last-Modified", r_.modified}};
  const std::string_view inm = req.find("If-None-Match");
  bool not_modified = !inm.empty() && etag_matches(inm, r_.etag);
  if (inm.empty()) {
    const auto since = parse_http_date(req.find("If-Modified-Since"));
    not_modified = since && file.st.st_mtim.tv_sec <= *since;
  }
  if (not_modified) return answer(304, "", "", true, 0);
  r_.headers.push_back({"Accept-Ranges", "bytes"});
  Range range;
  if (const auto value = req.find("Range"); !value.empty() && !head) {
    const std::string_view if_range = trim(req.find("If-Range"));
    if (if_range.empty() || if_range == r_.etag || if_range == r_.modified)
      range = parse_range(value, size);
  }
  if (range.kind == Range::unsatisfiable) {
    r_.range = "bytes */" + std::to_string(size);
    r_.headers.push_back({"Content-Range", r_.range});
    return answer(416, "text/html", "", head, 0);
  }
  std::uint64_t first = 0, count = size;
  int status = 200;
  if (range.kind == Range::one) {
    first = range.first;
    count = range.last - range.first + 1;
    status = 206;
    r_.range = "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
               std::to_string(size);
    r_.headers.push_back({"Content-Range", r_.range});
  }
  const std::size_t at = r_.out.size();
  answer(status, content_type(name), "", true, count);
  r_.sent = head ? 0 : count;
  if (head) return;
  if (count > o_.inline_file_bytes) {
    r_.file = std::move(file.fd);
    r_.file_at = first;
    r_.file_length = count;
    return;
  }
  const std::size_t body_at = r_.out.size();
  r_.out.resize(body_at + count);
  std::uint64_t done = 0;
  while (done < count) {
    const ssize_t n = ::pread(file.fd.get(), r_.out.data() + body_at + done, count - done,
                              static_cast<off_t>(first + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::uint64_t>(n);
  }
  if (done != count) {  // the file shrank or failed under us: what was announced cannot be sent
    r_.out.resize(at);
    r_.keep = false;
    error(500, false);
  }
}

// The head (Server, Connection and the headers collected so far), then `body` unless `head`.
// `length` is the Content-Length announced.
void Responder::answer(int status, std::string_view type, std::string_view body, bool head,
                       std::uint64_t length) {
  r_.headers.push_back({"Server", "sockit"});
  if (!type.empty()) r_.headers.push_back({"Content-Type", type});
  if (!r_.keep)
    r_.headers.push_back({"Connection", "close"});
  else if (r_.http10)
    r_.headers.push_back({"Connection", "keep-alive"});
  const bool bodiless = status == 304 || status < 200 || status == 204;
  const HttpBody framing{bodiless ? HttpBodyKind::none : HttpBodyKind::length, length};
  (void)write_response_head(r_.out, status, r_.headers, framing);
  r_.headers.clear();
  r_.status = status;
  r_.sent = 0;
  if (!head && !bodiless) {
    r_.out.append(body);
    r_.sent = body.size();
  }
}

void Responder::error(int status, bool head) {
  if (status == 405)
    r_.headers = {{"Allow", "GET, HEAD"}};
  else
    r_.headers.clear();
  const std::string what = std::to_string(status) + " " + std::string(http_reason(status));
  const std::string page = "<!DOCTYPE html>\n<html><head><title>" + what +
                           "</title></head><body><h1>" + what + "</h1></body></html>\n";
  answer(status, "text/html", page, head, page.size());
}

void Responder::log(Peer& peer, std::string_view method, std::string_view target, HttpVersion v) {
  if (o_.log_format == HttpLogFormat::none || !o_.log) return;
  std::string_view host = peer.remote();
  if (const auto colon = host.rfind(':'); colon != std::string_view::npos)
    host = host.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char when[32];
  const std::string_view version = method == "-" ? "-" : (v.minor == 0 ? "HTTP/1.0" : "HTTP/1.1");
  if (o_.log_format == HttpLogFormat::json) {
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    // The target is visible ASCII (the parser checked): only '"' and '\' need escaping.
    std::string t;
    for (char c : target) {
      if (c == '"' || c == '\\') t.push_back('\\');
      t.push_back(c);
    }
    std::string line = R"({"time":")";
    line.append(when).append(R"(","remote":")").append(host).append(R"(","method":")");
    line.append(method).append(R"(","target":")").append(t).append(R"(","version":")");
    line.append(version).append(R"(","status":)").append(std::to_string(r_.status));
    line.append(R"(,"bytes":)").append(std::to_string(r_.sent)).append("}");
    o_.log(line);
    return;
  }
  std::strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
  std::string line(host);
  line.append(" - - [").append(when).append("] \"");
  if (method == "-")
    line.append("-");
  else
    line.append(method).append(" ").append(target).append(" ").append(version);
  line.append("\" ").append(std::to_string(r_.status)).append(" ").append(std::to_string(r_.sent));
  o_.log(line);
}

class HttpService final : public Service {
 public:
  explicit HttpService(Shared shared) : shared_(std::move(shared)) {}
  std::string_view name() const override { return "http"; }
  CodecPtr make_codec(std::size_t) const override {
    return make_http_codec(shared_.options.limits);
  }
  std::unique_ptr<Session> open_session() override {
    return std::make_unique<HttpSession>(shared_);
  }

 private:
  Shared shared_;
};

}  // namespace
}  // namespace http_service

Result<std::unique_ptr<Service>> make_http_service(HttpServiceOptions options) {
  const int fd = ::open(options.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(sys_error(errno));
  http_service::Shared shared{std::move(options), UniqueFd(fd)};
  return std::unique_ptr<Service>(std::make_unique<http_service::HttpService>(std::move(shared)));
}

}  // namespace sockit
