// http::Client: a blocking HTTP/1.1 client over the strict codec (codec/http.hpp), TCP with
// Happy Eyeballs (stream/tcp.hpp) and TLS (tls/stream.hpp).
//
//   http::Client client;
//   auto url = http::parse_url("https://example.org/");
//   http::Events events{.on_body = [](std::string_view piece) { ...; return Status{}; }};
//   auto response = client.send({.url = *url}, events, Deadline::after(10s));
//
// The body is never buffered: each decoded piece goes to Events::on_body as it arrives, so a
// 1 GiB download costs one read buffer. Bodies may be Content-Length, chunked (trailers are
// kept in Response::trailers) or close-delimited; 1xx interim responses are reported and
// skipped; a HEAD request and 204/304 answers never wait for a body. A body that ends early
// or a malformed chunk is an error (HttpErrc::truncated_body, invalid_chunk_size, ...), never a
// short success.
//
// One Deadline covers everything send() does: resolving, connecting, the TLS handshake,
// sending and receiving. ClientOptions::connect_timeout bounds the first three in addition.
// https verifies the certificate and the name unless the context given says otherwise.
//
// Connections are kept per origin (scheme, host, port) after a complete keep-alive exchange
// and reused by the next request there; a reused connection the server closed meanwhile is
// replaced once, transparently (the request is sent again on a fresh connection).
//
// Thread rule: one Client, one thread at a time. The library never prints; failures come back
// as error codes, and failed_phase() says where the last one happened.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/codec/http.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/http/url.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/net/resolver.hpp"
#include "sockit/tls/context.hpp"
#include "sockit/tls/session.hpp"

namespace sockit::http {

struct Field {
  std::string name;
  std::string value;
  friend bool operator==(const Field&, const Field&) = default;
};
using Fields = std::vector<Field>;

/// The first field named `name` (case-insensitive), or nullptr.
const Field* find_field(const Fields& fields, std::string_view name) noexcept;

struct Request {
  std::string method = "GET";
  Url url;
  /// Sent in this order after Host (added from the URL unless present here). Framing fields
  /// (Content-Length, Transfer-Encoding) are the client's: giving one is invalid_argument.
  Fields headers{};
  std::string body{};       ///< sent as is with a Content-Length ...
  std::string body_file{};  ///< ... or the content of this file, read as it is sent
  /// Announce a Content-Length even when empty (curl does for -d '' and POST).
  bool empty_body_has_length = false;
};

/// Durations from the start of send(), as curl's -w variables mean them.
struct Timings {
  Clock::duration namelookup{};     ///< name resolved (0 for a reused connection)
  Clock::duration connect{};        ///< TCP connected
  Clock::duration appconnect{};     ///< TLS handshake done (0 for http)
  Clock::duration pretransfer{};    ///< request about to be sent
  Clock::duration starttransfer{};  ///< first byte of the response
  Clock::duration total{};          ///< body complete
};

struct Response {
  HttpVersion version;
  int status = 0;
  std::string reason;
  std::string raw_head;  ///< the final head's bytes as received (status line to empty line)
  Fields headers;
  Fields trailers;  ///< chunked bodies only
  HttpBody framing;
  std::uint64_t body_bytes = 0;     ///< as received (before any content decoding)
  std::uint64_t header_bytes = 0;   ///< every head received, interim ones included
  std::uint64_t request_bytes = 0;  ///< head and body sent
  bool keep_alive = false;          ///< the connection was kept for reuse
  bool reused = false;              ///< sent on a connection kept from an earlier request
  Endpoint peer;
  Endpoint local;
  std::string tls_protocol;  ///< "TLSv1.3", empty for http
  Timings timings;
  std::string_view find(std::string_view name) const noexcept {
    const Field* f = find_field(headers, name);
    return f ? std::string_view(f->value) : std::string_view();
  }
};

/// What send() reports as it goes; every member may be empty.
struct Events {
  /// A connection is ready: `session` is its TLS session (nullptr for http); `reused` says it
  /// was kept from an earlier request.
  std::function<void(const Endpoint& peer, bool reused, const TlsSession* session)> on_connect;
  /// The request head exactly as sent (CRLFs included).
  std::function<void(std::string_view head)> on_request_head;
  /// An interim (1xx) response, skipped.
  std::function<void(const Response&)> on_interim;
  /// The final head, before any body byte. An error stops send() with that error.
  std::function<Status(const Response&)> on_head;
  /// Each body piece, in order. An error stops send() with that error.
  std::function<Status(std::string_view piece)> on_body;
};

/// curl's --resolve: connect to `address` for requests to host:port.
struct ResolveOverride {
  std::string host;
  std::uint16_t port = 0;
  IpAddress address;
};

struct ClientOptions {
  FamilyHint family = FamilyHint::any;
  /// Bounds resolving, connecting and the TLS handshake (zero: only send()'s deadline).
  Clock::duration connect_timeout{};
  /// For https; empty: a verifying context with the system CAs, made on first use.
  std::optional<TlsClientContext> tls;
  std::vector<ResolveOverride> resolve;
  /// Bounds on heads and chunk lines; max_body is ignored (a client takes any length).
  HttpLimits limits{};
  /// Bytes asked of each read.
  std::size_t read_chunk = 256 * 1024;
};

/// Where the last failure happened, for the message a tool prints.
enum class Phase : std::uint8_t { none, resolve, connect, tls, send, receive, handler };

class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  /// Sends `request` and receives its response (see the header comment). std::errc::
  /// invalid_argument for a request the serializer refuses; errno, resolver, TLS and
  /// http_category() codes otherwise.
  [[nodiscard]] Result<Response> send(const Request& request, const Events& events = {},
                                      Deadline deadline = {});

  Phase failed_phase() const noexcept;
  /// Connections kept for reuse.
  std::size_t idle_connections() const noexcept;
  /// Closes every kept connection.
  void close_idle() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sockit::http
