// AsyncTlsStream: the coroutine driver of a TlsSession over an AsyncStream. The coroutines take
// the State by pointer, never the AsyncTlsStream, so moving the stream is safe while they run.
#include "sockit/tls/async_stream.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "sockit/async/async_io.hpp"
#include "sockit/core/buffer.hpp"
#include "sockit/stream/stream.hpp"

namespace sockit {

static_assert(AsyncByteStream<AsyncTlsStream>);

struct AsyncTlsStream::State {
  State(AsyncStream s, TlsSession t) : stream(std::move(s)), session(std::move(t)) {}
  AsyncStream stream;
  TlsSession session;
  Buffer in{0};                // ciphertext read but not yet taken by the session
  Buffer plain{0};             // plaintext recv_until read past its line
  std::vector<std::byte> out;  // ciphertext being sent by the one running flush
  bool flushing = false;
};

namespace {

using State = AsyncTlsStream::State;
constexpr std::size_t kReadChunk = 16 * 1024 + 512;  // one full record and its overhead

// Sends every queued record. A second flush while one is sending (a reader and a writer task
// side by side) takes its own copy: AsyncStream's send_all keeps concurrent messages whole and
// in order, so the records stay in sequence.
Task<Status> op_flush(State* s, Deadline deadline) {
  while (s->session.pending_output() > 0) {
    if (s->flushing) {
      std::vector<std::byte> own(s->session.pending_output());
      own.resize(s->session.take_output(own));
      co_return co_await s->stream.send_all(std::span<const std::byte>(own), deadline);
    }
    s->out.resize(s->session.pending_output());
    s->out.resize(s->session.take_output(s->out));
    s->flushing = true;
    auto sent = co_await s->stream.send_all(std::span<const std::byte>(s->out), deadline);
    s->flushing = false;
    if (!sent) co_return sent;
  }
  co_return Status{};
}

// One read of ciphertext into the session (leftovers from a full session go first).
Task<Status> op_fill(State* s, Deadline deadline) {
  if (s->in.empty()) {
    s->in.ensure_writable(kReadChunk);
    auto n = co_await s->stream.read_some(s->in.writable().first(kReadChunk), deadline);
    if (!n) co_return fail(n.error());
    if (*n == 0) {
      s->session.feed_eof();  // the session turns it into truncated / handshake_eof
      co_return Status{};
    }
    s->in.commit(*n);
  }
  s->in.consume(s->session.feed(s->in.readable()));
  co_return Status{};
}

Task<Status> op_handshake(State* s, Deadline deadline) {
  for (;;) {
    auto progress = s->session.handshake();
    if (auto sent = co_await op_flush(s, deadline); !sent && progress) co_return sent;
    if (!progress) co_return fail(progress.error());
    if (*progress == TlsProgress::done) co_return Status{};
    if (*progress == TlsProgress::want_input) {
      if (auto got = co_await op_fill(s, deadline); !got) co_return got;
    }
  }
}

// Plaintext straight from the session (not from `plain`).
Task<Result<std::size_t>> op_read_tls(State* s, std::span<std::byte> out, Deadline deadline) {
  if (out.empty() || s->session.peer_closed()) co_return std::size_t{0};
  for (;;) {
    auto io = s->session.read(out);
    if (auto sent = co_await op_flush(s, deadline); !sent && io) co_return fail(sent.error());
    if (!io) co_return fail(io.error());
    if (io->bytes > 0 || io->progress == TlsProgress::closed) co_return io->bytes;
    if (io->progress == TlsProgress::want_input) {
      if (auto got = co_await op_fill(s, deadline); !got) co_return fail(got.error());
    }
  }
}

Task<Result<std::size_t>> op_read_some(State* s, std::span<std::byte> out, Deadline deadline) {
  if (!s->plain.empty() && !out.empty()) {
    const std::size_t n = std::min(out.size(), s->plain.readable_bytes());
    std::memcpy(out.data(), s->plain.readable().data(), n);
    s->plain.consume(n);
    co_return n;
  }
  co_return co_await op_read_tls(s, out, deadline);
}

Task<Result<std::size_t>> op_write_some(State* s, std::span<const std::byte> data,
                                        Deadline deadline) {
  if (data.empty()) co_return std::size_t{0};
  for (;;) {
    auto io = s->session.write(data);
    if (auto sent = co_await op_flush(s, deadline); !sent && io) co_return fail(sent.error());
    if (!io) co_return fail(io.error());
    if (io->bytes > 0) co_return io->bytes;
    if (io->progress == TlsProgress::want_input) {  // the handshake needs the peer first
      if (auto got = co_await op_fill(s, deadline); !got) co_return fail(got.error());
    }
  }
}

Task<Status> op_shutdown(State* s, ShutdownHow how, Deadline deadline) {
  if (how != ShutdownHow::read) {
    if (auto closed = s->session.close(); !closed) co_return closed;
    if (auto sent = co_await op_flush(s, deadline); !sent) co_return sent;
  }
  co_return co_await s->stream.shutdown(how, deadline);
}

// AsyncByteStream views of one State for async_io.hpp's templates: Buffered reads the
// plaintext recv_until left over first, Direct goes to the session (recv_until's own reads).
struct Buffered {
  State* s;
  TlsOp<Result<std::size_t>> read_some(std::span<std::byte> b, Deadline d) {
    return TlsOp(op_read_some(s, b, d));
  }
  TlsOp<Result<std::size_t>> write_some(std::span<const std::byte> b, Deadline d) {
    return TlsOp(op_write_some(s, b, d));
  }
  TlsOp<Status> shutdown(ShutdownHow how, Deadline d) { return TlsOp(op_shutdown(s, how, d)); }
};
struct Direct : Buffered {
  TlsOp<Result<std::size_t>> read_some(std::span<std::byte> b, Deadline d) {
    return TlsOp(op_read_tls(s, b, d));
  }
};

Task<Status> op_send_all(State* s, std::span<const std::byte> data, Deadline d, std::size_t* sent) {
  Buffered view{s};
  co_return co_await async_send_all(view, data, d, sent);
}
Task<Status> op_recv_exact(State* s, std::span<std::byte> out, Deadline d, std::size_t* received) {
  Buffered view{s};
  co_return co_await async_recv_exact(view, out, d, received);
}
Task<Result<std::string_view>> op_recv_until(State* s, std::string_view delimiter, std::size_t max,
                                             Deadline d) {
  Direct view{{s}};
  co_return co_await async_recv_until(view, s->plain, delimiter, max, d);
}

// What an empty (default-constructed or moved-from) stream answers, as AsyncStream does.
template <class T>
Task<T> op_empty() {
  co_return fail(sys_error(EBADF));
}

Task<Result<AsyncTlsStream>> handshaken(Result<AsyncTlsStream> tls, Deadline deadline) {
  if (!tls) co_return fail(tls.error());
  if (auto shaken = co_await tls->handshake(deadline); !shaken) co_return fail(shaken.error());
  co_return std::move(tls);
}

}  // namespace

AsyncTlsStream::AsyncTlsStream(AsyncStream stream, TlsSession session)
    : state_(std::make_unique<State>(std::move(stream), std::move(session))) {}
AsyncTlsStream::AsyncTlsStream() noexcept = default;
AsyncTlsStream::AsyncTlsStream(AsyncTlsStream&&) noexcept = default;
AsyncTlsStream& AsyncTlsStream::operator=(AsyncTlsStream&&) noexcept = default;
AsyncTlsStream::~AsyncTlsStream() = default;

TlsOp<Status> AsyncTlsStream::handshake(Deadline deadline) {
  if (!state_) return TlsOp(op_empty<Status>());
  return TlsOp(op_handshake(state_.get(), deadline));
}
TlsOp<Result<std::size_t>> AsyncTlsStream::read_some(std::span<std::byte> buffer,
                                                     Deadline deadline) {
  if (!state_) return TlsOp(op_empty<Result<std::size_t>>());
  return TlsOp(op_read_some(state_.get(), buffer, deadline));
}
TlsOp<Result<std::size_t>> AsyncTlsStream::write_some(std::span<const std::byte> data,
                                                      Deadline deadline) {
  if (!state_) return TlsOp(op_empty<Result<std::size_t>>());
  return TlsOp(op_write_some(state_.get(), data, deadline));
}
TlsOp<Status> AsyncTlsStream::shutdown(ShutdownHow how, Deadline deadline) {
  if (!state_) return TlsOp(op_empty<Status>());
  return TlsOp(op_shutdown(state_.get(), how, deadline));
}
TlsOp<Status> AsyncTlsStream::send_all(std::span<const std::byte> data, Deadline deadline,
                                       std::size_t* sent) {
  if (!state_) return TlsOp(op_empty<Status>());
  return TlsOp(op_send_all(state_.get(), data, deadline, sent));
}
TlsOp<Status> AsyncTlsStream::recv_exact(std::span<std::byte> buffer, Deadline deadline,
                                         std::size_t* received) {
  if (!state_) return TlsOp(op_empty<Status>());
  return TlsOp(op_recv_exact(state_.get(), buffer, deadline, received));
}
TlsOp<Result<std::string_view>> AsyncTlsStream::recv_until(std::string_view delimiter,
                                                           std::size_t max, Deadline deadline) {
  if (!state_) return TlsOp(op_empty<Result<std::string_view>>());
  return TlsOp(op_recv_until(state_.get(), delimiter, max, deadline));
}

void AsyncTlsStream::close() noexcept {
  if (state_) state_->stream.close();
}
bool AsyncTlsStream::valid() const noexcept {
  return state_ && state_->stream.valid();
}
std::size_t AsyncTlsStream::buffered() const noexcept {
  return state_ ? state_->plain.readable_bytes() : 0;
}
std::string AsyncTlsStream::protocol() const {
  return state_ ? state_->session.protocol() : "";
}
std::string AsyncTlsStream::cipher() const {
  return state_ ? state_->session.cipher() : "";
}
std::string AsyncTlsStream::alpn() const {
  return state_ ? state_->session.alpn() : "";
}
bool AsyncTlsStream::resumed() const noexcept {
  return state_ && state_->session.resumed();
}
std::string AsyncTlsStream::peer_fingerprint() const {
  return state_ ? state_->session.peer_fingerprint() : "";
}
bool AsyncTlsStream::peer_closed() const noexcept {
  return state_ && state_->session.peer_closed();
}
AsyncStream& AsyncTlsStream::next_layer() noexcept {
  return state_->stream;
}
const TlsSession& AsyncTlsStream::session() const noexcept {
  return state_->session;
}

TlsOp<Result<AsyncTlsStream>> tls_connect(AsyncStream stream, const TlsClientContext& context,
                                          std::string_view host, Deadline deadline,
                                          std::string_view cache_key) {
  // The session is made now, so `host` and `cache_key` need not outlive this call.
  auto session = TlsSession::client(context, host, cache_key);
  Result<AsyncTlsStream> tls =
      session ? Result<AsyncTlsStream>(AsyncTlsStream(std::move(stream), std::move(*session)))
              : fail(session.error());
  return TlsOp(handshaken(std::move(tls), deadline));
}

TlsOp<Result<AsyncTlsStream>> tls_accept(AsyncStream stream, const TlsServerContext& context,
                                         Deadline deadline) {
  auto session = TlsSession::server(context);
  Result<AsyncTlsStream> tls =
      session ? Result<AsyncTlsStream>(AsyncTlsStream(std::move(stream), std::move(*session)))
              : fail(session.error());
  return TlsOp(handshaken(std::move(tls), deadline));
}

}  // namespace sockit
