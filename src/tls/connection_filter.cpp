// The TLS transport filter: pumps a server TlsSession with the ciphertext a Connection read, and
// turns what the owner sends into records in the connection's output.
#include "sockit/tls/connection_filter.hpp"

#include <string>

#include "sockit/tls/session.hpp"

namespace sockit {
namespace {

// Plaintext is decrypted at most one record (16 KiB) at a time; room for one is made first.
constexpr std::size_t kRecordPlaintext = 16 * 1024;
// Each round feeds what the session takes (it holds kMaxBufferedInput unread bytes) and
// decrypts all of it; a Connection reads 64 KiB at most, so a few rounds always suffice.
constexpr int kMaxRounds = 64;

class TlsServerFilter final : public ConnectionFilter {
 public:
  TlsServerFilter(TlsSession session, const TlsFilterOptions& options, Clock::time_point now)
      : session_(std::move(session)),
        max_held_(options.max_held),
        has_deadline_(options.handshake_timeout.count() > 0),
        deadline_(now + options.handshake_timeout) {}

  Result<bool> receive(std::span<const std::byte> wire, Buffer& plain, Buffer& wire_out) override {
    for (int round = 0; round < kMaxRounds; ++round) {
      wire = wire.subspan(session_.feed(wire));
      auto ended = pump(plain, wire_out);
      if (!ended || *ended || wire.empty()) return ended;
    }
    return fail(TlsErrc::internal);  // the session took no more input: cannot happen
  }

  std::error_code receive_eof() override {
    session_.feed_eof();
    if (auto why = session_.error()) return why;
    return make_error_code(session_.handshake_done() ? TlsErrc::truncated : TlsErrc::handshake_eof);
  }

  Status send(std::string_view data, Buffer& wire_out) override {
    if (session_.handshake_done()) return encrypt(data, wire_out);
    if (held_.size() + data.size() > max_held_) return fail(Errc::output_limit);
    held_.append(data);
    return {};
  }

  void close(Buffer& wire_out) override {
    held_ = std::string();
    if (!session_.handshake_done() || session_.error()) return;  // nothing to end cleanly
    if (session_.close()) take(wire_out);
  }

  bool ready() const noexcept override { return session_.handshake_done(); }

  std::error_code expired(Clock::time_point now) const noexcept override {
    if (!has_deadline_ || session_.handshake_done() || now < deadline_) return {};
    return make_error_code(Errc::deadline_passed);
  }

 private:
  // Runs the handshake as far as the input allows, then decrypts everything buffered. True
  // once the peer's close_notify has been read.
  Result<bool> pump(Buffer& plain, Buffer& wire_out) {
    if (!session_.handshake_done()) {
      auto progress = session_.handshake();
      take(wire_out);  // our flight, or the alert that explains a failure
      if (!progress) return fail(progress.error());
      if (*progress != TlsProgress::done) return false;
      if (!held_.empty()) {
        const std::string held = std::move(held_);
        held_ = std::string();
        if (auto sent = encrypt(held, wire_out); !sent) return fail(sent.error());
      }
    }
    for (;;) {
      plain.ensure_writable(kRecordPlaintext);
      auto io = session_.read(plain.writable());
      if (!io) {
        take(wire_out);
        return fail(io.error());
      }
      plain.commit(io->bytes);
      if (io->progress == TlsProgress::closed) break;
      if (io->bytes == 0) {
        take(wire_out);  // e.g. a key update's answer
        return false;
      }
    }
    take(wire_out);
    return true;
  }

  Status encrypt(std::string_view data, Buffer& wire_out) {
    auto bytes = std::as_bytes(std::span(data.data(), data.size()));
    while (!bytes.empty()) {
      auto io = session_.write(bytes);
      if (!io) {
        take(wire_out);
        return fail(io.error());
      }
      bytes = bytes.subspan(io->bytes);
      // The session's own buffer is drained after every write, so it never answers
      // want_output twice in a row; a call that moved nothing either way is a dead end.
      if (take(wire_out) == 0 && io->bytes == 0) return fail(TlsErrc::internal);
    }
    return {};
  }

  // Moves every waiting ciphertext byte to the end of `wire_out`. Returns how many.
  std::size_t take(Buffer& wire_out) {
    std::size_t moved = 0;
    for (std::size_t pending = session_.pending_output(); pending > 0;
         pending = session_.pending_output()) {
      wire_out.ensure_writable(pending);
      const std::size_t n = session_.take_output(wire_out.writable().first(pending));
      if (n == 0) break;
      wire_out.commit(n);
      moved += n;
    }
    return moved;
  }

  TlsSession session_;
  std::string held_;  // plaintext sent before the handshake finished
  std::size_t max_held_;
  bool has_deadline_;
  Clock::time_point deadline_;
};

}  // namespace

Result<std::unique_ptr<ConnectionFilter>> tls_server_filter(const TlsServerContext& context,
                                                            const TlsFilterOptions& options,
                                                            Clock::time_point now) {
  auto session = TlsSession::server(context);
  if (!session) return fail(session.error());
  return std::unique_ptr<ConnectionFilter>(
      std::make_unique<TlsServerFilter>(std::move(*session), options, now));
}

}  // namespace sockit
