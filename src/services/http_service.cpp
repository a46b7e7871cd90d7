// The HTTP file service: one session per connection answers each request head the codec
// adapter hands over. Answers to one read's worth of pipelined requests are collected and sent
// with one Peer::send (one writev), since the adapter marks the last complete request of a read.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "http_internal.hpp"
#include "sockit/codec/http_writer.hpp"
#include "sockit/services/http.hpp"

namespace sockit {
namespace http_service {
namespace {

constexpr std::size_t kFlushAt = 64 * 1024;

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

class HttpSession final : public Session {
 public:
  explicit HttpSession(const Shared& shared)
      : s_(shared), o_(shared.options), parser_(shared.options.limits) {}
  void on_message(std::string_view message, Peer& peer) override;

 private:
  void handle(const HttpRequest& req, bool body_unread);
  void serve_path(const HttpRequest& req, bool head);
  void serve_file(const HttpRequest& req, Opened& file, std::string_view name, bool head);
  void answer(int status, std::string_view type, std::string_view body, bool head,
              std::uint64_t length);
  void error(int status, bool head);
  void log(Peer& peer, std::string_view method, std::string_view target, HttpVersion v);

  const Shared& s_;
  const HttpServiceOptions& o_;
  HttpRequestParser parser_;
  std::string out_;  // answers not sent yet (one read's worth)
  std::vector<HttpHeader> headers_;
  std::string etag_, modified_, range_, location_;
  std::size_t served_ = 0;
  bool keep_ = true;
  bool http10_ = false;
  int status_ = 0;
  std::uint64_t sent_ = 0;  // body bytes of the last answer, for the log
  // A body to send with sendfile once the heads before it are handed to the peer.
  UniqueFd file_;
  std::uint64_t file_at_ = 0, file_length_ = 0;
};

void HttpSession::on_message(std::string_view message, Peer& peer) {
  const char kind = message.empty() ? kError : message[0];
  message.remove_prefix(message.empty() ? 0 : 1);
  if (kind == kError) {
    int code = 0;
    for (char c : message)
      code = code * 10 + (c - '0');
    keep_ = false;
    http10_ = false;
    error(http_status(make_error_code(static_cast<HttpErrc>(code))), false);
    log(peer, "-", "-", {});
  } else {
    const auto r = parser_.parse(message);
    if (r.status != HttpParseStatus::done) {  // the adapter parsed it already: cannot happen
      keep_ = false;
      error(400, false);
    } else {
      handle(r.head, kind == kUnread);
      log(peer, r.head.method, r.head.target, r.head.version);
    }
  }
  if (file_) {
    peer.send_file(std::move(file_), file_at_, file_length_, out_);
    out_.clear();
  }
  // At the end of a read's worth, or once a batch is big: a read of tiny requests for inline
  // files must not build megabytes here (the Connection's output limit then judges the peer).
  if (!keep_ || kind != kMore || out_.size() >= kFlushAt) {
    if (!out_.empty()) peer.send(out_);
    out_.clear();
    if (!keep_) peer.close();
  }
}

void HttpSession::handle(const HttpRequest& req, bool body_unread) {
  keep_ = !body_unread && req.keep_alive && ++served_ < o_.max_requests;
  http10_ = req.version.minor == 0;
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

void HttpSession::serve_path(const HttpRequest& req, bool head) {
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
    location_ = d.raw + "/" + d.query;
    headers_ = {{"Location", location_}};
    return answer(301, "text/html", "", head, 0);
  }
  Opened index = open_below(s_.root.get(), relative + "index.html", o_.follow_symlinks);
  if (index.status == 0 && S_ISREG(index.st.st_mode))
    return serve_file(req, index, "index.html", head);
  const std::string page =
      directory_listing(o.fd.get(), d.path, o_.show_hidden, o_.follow_symlinks);
  answer(200, "text/html; charset=utf-8", page, head, page.size());
}

void HttpSession::serve_file(const HttpRequest& req, Opened& file, std::string_view name,
                             bool head) {
  const auto size = static_cast<std::uint64_t>(file.st.st_size);
  char tag[64];
  std::snprintf(
      tag, sizeof tag, "\"%llx-%lx-%llx\"", static_cast<unsigned long long>(file.st.st_mtim.tv_sec),
      static_cast<unsigned long>(file.st.st_mtim.tv_nsec), static_cast<unsigned long long>(size));
  etag_ = tag;
  modified_ = http_date_of(file.st.st_mtim.tv_sec);
  headers_ = {{"ETag", etag_}, {"Last-Modified", modified_}};
  const std::string_view inm = req.find("If-None-Match");
  bool not_modified = !inm.empty() && etag_matches(inm, etag_);
  if (inm.empty()) {
    const auto since = parse_http_date(req.find("If-Modified-Since"));
    not_modified = since && file.st.st_mtim.tv_sec <= *since;
  }
  if (not_modified) return answer(304, "", "", true, 0);
  headers_.push_back({"Accept-Ranges", "bytes"});
  Range range;
  if (const auto value = req.find("Range"); !value.empty() && !head) {
    const std::string_view if_range = trim(req.find("If-Range"));
    if (if_range.empty() || if_range == etag_ || if_range == modified_)
      range = parse_range(value, size);
  }
  if (range.kind == Range::unsatisfiable) {
    range_ = "bytes */" + std::to_string(size);
    headers_.push_back({"Content-Range", range_});
    return answer(416, "text/html", "", head, 0);
  }
  std::uint64_t first = 0, count = size;
  int status = 200;
  if (range.kind == Range::one) {
    first = range.first;
    count = range.last - range.first + 1;
    status = 206;
    range_ = "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
             std::to_string(size);
    headers_.push_back({"Content-Range", range_});
  }
  const std::size_t at = out_.size();
  answer(status, content_type(name), "", true, count);
  sent_ = head ? 0 : count;
  if (head) return;
  if (count > o_.inline_file_bytes) {
    file_ = std::move(file.fd);
    file_at_ = first;
    file_length_ = count;
    return;
  }
  const std::size_t body_at = out_.size();
  out_.resize(body_at + count);
  std::uint64_t done = 0;
  while (done < count) {
    const ssize_t n = ::pread(file.fd.get(), out_.data() + body_at + done, count - done,
                              static_cast<off_t>(first + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::uint64_t>(n);
  }
  if (done != count) {  // the file shrank or failed under us: what was announced cannot be sent
    out_.resize(at);
    keep_ = false;
    error(500, false);
  }
}

// The head (Server, Connection and the headers_ collected so far), then `body` unless `head`.
// `length` is the Content-Length announced.
void HttpSession::answer(int status, std::string_view type, std::string_view body, bool head,
                         std::uint64_t length) {
  headers_.push_back({"Server", "sockit"});
  if (!type.empty()) headers_.push_back({"Content-Type", type});
  if (!keep_)
    headers_.push_back({"Connection", "close"});
  else if (http10_)
    headers_.push_back({"Connection", "keep-alive"});
  const bool bodiless = status == 304 || status < 200 || status == 204;
  const HttpBody framing{bodiless ? HttpBodyKind::none : HttpBodyKind::length, length};
  (void)write_response_head(out_, status, headers_, framing);
  headers_.clear();
  status_ = status;
  sent_ = 0;
  if (!head && !bodiless) {
    out_.append(body);
    sent_ = body.size();
  }
}

void HttpSession::error(int status, bool head) {
  if (status == 405)
    headers_ = {{"Allow", "GET, HEAD"}};
  else
    headers_.clear();
  const std::string what = std::to_string(status) + " " + std::string(http_reason(status));
  const std::string page = "<!DOCTYPE html>\n<html><head><title>" + what +
                           "</title></head><body><h1>" + what + "</h1></body></html>\n";
  answer(status, "text/html", page, head, page.size());
}

void HttpSession::log(Peer& peer, std::string_view method, std::string_view target, HttpVersion v) {
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
    line.append(version).append(R"(","status":)").append(std::to_string(status_));
    line.append(R"(,"bytes":)").append(std::to_string(sent_)).append("}");
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
  line.append("\" ").append(std::to_string(status_)).append(" ").append(std::to_string(sent_));
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
