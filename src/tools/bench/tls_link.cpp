// TlsLink: a TlsSession driven over a non-blocking socket for the load loops, and the connect
// phase's handshakes.
#include "tls_link.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "internal.hpp"
#include "sys/stream_io.hpp"

namespace sockit::bench::detail {

// The largest TLS record with its header and tag: one take_output() rarely holds more.
constexpr std::size_t kRecord = 16 * 1024 + 512;

TlsLink::TlsLink(TlsSession session, std::vector<std::byte>* scratch)
    : session_(std::move(session)), scratch_(scratch) {}

bool TlsLink::has_output() const noexcept {
  return out_begin_ < out_.size() || session_->pending_output() > 0;
}

// Ciphertext goes from the session through the thread's scratch buffer straight to the socket;
// only what the socket refuses is copied into the link, and that copy is freed once sent, so a
// quiet connection holds no buffer of its own (it held a 16.5 KB one each before).
int TlsLink::flush(int fd) {
  for (;;) {
    const std::byte* data = nullptr;
    std::size_t size = 0;
    bool from_scratch = false;
    if (out_begin_ < out_.size()) {
      data = out_.data() + out_begin_;
      size = out_.size() - out_begin_;
    } else {
      if (!out_.empty()) {
        std::vector<std::byte>().swap(out_);
        out_begin_ = 0;
      }
      if (session_->pending_output() == 0) return 0;
      size = session_->take_output(*scratch_);
      data = scratch_->data();
      from_scratch = true;
    }
    std::size_t sent = 0;
    while (sent < size) {
      const ssize_t n =
          stream_io::transmit(fd, {reinterpret_cast<const char*>(data + sent), size - sent});
      if (n < 0) {
        if (!stream_io::would_block(n)) return static_cast<int>(n);
        if (from_scratch) {
          out_.assign(data + sent, data + size);
          out_begin_ = 0;
        } else {
          out_begin_ += sent;
        }
        return 0;
      }
      sent += static_cast<std::size_t>(n);
    }
    if (!from_scratch) out_begin_ = out_.size();
  }
}

ssize_t TlsLink::send(int fd, const std::byte* data, std::size_t n) {
  auto wrote = session_->write({data, n});
  if (!wrote) {
    error_ = wrote.error();
    return -EIO;
  }
  if (const int e = flush(fd); e < 0) return e;
  if (wrote->bytes == 0) return -EAGAIN;  // the session holds enough ciphertext: wait
  return static_cast<ssize_t>(wrote->bytes);
}

// Moves what the socket holds (up to the scratch buffer) into the session. After a read that
// wanted input the session holds less than one record, so the scratch always fits.
// Returns what the read returned (bytes, 0 at the end, or -errno).
ssize_t TlsLink::fill(int fd, bool& eof) {
  const ssize_t n = stream_io::receive(fd, *scratch_);
  if (n < 0) return n;
  if (n == 0) {
    session_->feed_eof();
    eof = true;
  } else {
    session_->feed({scratch_->data(), static_cast<std::size_t>(n)});
  }
  return n;
}

ssize_t TlsLink::recv(int fd, std::byte* out, std::size_t n) {
  std::size_t got = 0;
  bool eof = false;
  // Bounded: each turn either decrypts plaintext or feeds ciphertext (a 256 KiB buffer takes
  // about 16 records, so 32 turns); a turn that makes no progress ends the call.
  for (int turn = 0; turn < 256 && got < n; ++turn) {
    auto r = session_->read({out + got, n - got});
    if (!r) {
      // An EOF without close_notify ends the echo stream as an EOF would (counted as closed).
      if (r.error() == make_error_code(TlsErrc::truncated)) break;
      error_ = r.error();
      if (got > 0) break;
      return -EIO;
    }
    if (r->bytes > 0) {
      got += r->bytes;
      continue;
    }
    if (r->progress == TlsProgress::closed || eof) break;
    if (const ssize_t filled = fill(fd, eof); filled < 0) {
      if (got > 0 || stream_io::would_block(filled)) break;
      return filled;
    }
  }
  if (has_output()) {  // post-handshake messages (key updates)
    if (const int e = flush(fd); e < 0) return e;
  }
  if (got == 0 && !eof && !session_->peer_closed() && !error_) return -EAGAIN;
  return static_cast<ssize_t>(got);
}

Result<bool> TlsLink::handshake(int fd) {
  for (int turn = 0; turn < 16; ++turn) {
    auto step = session_->handshake();
    if (const int e = flush(fd); e < 0) return fail(sys_error(-e));
    if (!step) return fail(step.error());
    if (*step == TlsProgress::done) return true;
    bool eof = false;
    if (const ssize_t n = fill(fd, eof); n < 0) {
      if (stream_io::would_block(n)) return false;
      return fail(sys_error(static_cast<int>(-n)));
    }
  }
  return false;
}

namespace {

struct Pending {
  std::size_t index = 0;
  bool done = false;
  bool failed = false;
};

void fail_one(Pending& p, std::error_code ec, ErrorCounts& errors, std::error_code& first_error) {
  p.done = p.failed = true;
  ++errors.connect;
  if (!first_error) first_error = ec;
}

}  // namespace

void handshake_all(const Options& o, std::vector<UniqueFd>& fds, std::vector<TlsLink>& links,
                   std::vector<std::byte>* scratch, std::uint64_t deadline_ns, ErrorCounts& errors,
                   std::error_code& first_error) {
  scratch->resize(kRecord);
  links.clear();
  links.reserve(fds.size());
  std::vector<Pending> pending(fds.size());
  auto poller = Poller::create();
  std::size_t waiting = 0;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    pending[i].index = i;
    auto session = TlsSession::client(*o.tls, o.tls_host);
    if (!session) {  // the same for every connection (e.g. a name OpenSSL refuses)
      errors.connect += fds.size();
      if (!first_error) first_error = session.error();
      fds.clear();
      links.clear();
      return;
    }
    links.emplace_back(std::move(*session), scratch);
    auto step = links[i].handshake(fds[i].get());
    if (!step) {
      fail_one(pending[i], step.error(), errors, first_error);
      continue;
    }
    if (*step) {
      pending[i].done = true;
      continue;
    }
    if (!poller) {
      fail_one(pending[i], poller.error(), errors, first_error);
      continue;
    }
    if (auto added = (*poller)->add(fds[i].get(), kPollRead, &pending[i]); !added) {
      fail_one(pending[i], added.error(), errors, first_error);
      continue;
    }
    ++waiting;
  }
  PollEvent events[64];
  while (waiting > 0) {
    const std::uint64_t now = now_ns();
    if (now >= deadline_ns) break;
    const auto ms =
        static_cast<int>(std::min<std::uint64_t>((deadline_ns - now) / 1'000'000 + 1, 100));
    auto n = (*poller)->wait(events, ms);
    if (!n) break;
    for (std::size_t e = 0; e < *n; ++e) {
      auto& p = *static_cast<Pending*>(events[e].token);
      auto step = links[p.index].handshake(fds[p.index].get());
      if (step && !*step) continue;
      (void)(*poller)->remove(fds[p.index].get());
      --waiting;
      if (!step) {
        fail_one(p, step.error(), errors, first_error);
      } else {
        p.done = true;
      }
    }
  }
  for (Pending& p : pending) {
    if (!p.done) fail_one(p, make_error_code(std::errc::timed_out), errors, first_error);
  }
  // Keep the connections whose handshake finished, in order.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (pending[i].failed) continue;
    if (kept != i) {
      fds[kept] = std::move(fds[i]);
      links[kept] = std::move(links[i]);
    }
    ++kept;
  }
  fds.resize(kept);
  links.erase(links.begin() + static_cast<std::ptrdiff_t>(kept), links.end());
}

}  // namespace sockit::bench::detail
