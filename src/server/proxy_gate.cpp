#include "proxy_gate.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <chrono>
#include <span>
#include <string_view>

#include "sockit/codec/proxy_protocol.hpp"
#include "sockit/sys/io.hpp"

namespace sockit {
namespace {

bool in_loopback(const IpAddress& a) noexcept {
  return a.is_v4() ? (a.v4().to_uint() >> 24) == 127 : a.v6() == IPv6Address::loopback();
}

}  // namespace

bool trusted_proxy(const Endpoint& peer, const std::vector<IpNetwork>& trusted) noexcept {
  if (!peer.is_ip()) return true;
  IpAddress address = peer.address();
  // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; lists are written in IPv4.
  if (address.is_v6()) {
    if (auto v4 = address.v6().to_v4()) address = *v4;
  }
  if (trusted.empty()) return in_loopback(address);
  for (const auto& net : trusted) {
    if (net.contains(address)) return true;
  }
  return false;
}

// One connection waiting for its header: watched for input, with a deadline.
class ProxyGate::Pending final : public EventLoop::Handler, public EventLoop::TimerEntry {
 public:
  Pending(ProxyGate& gate, UniqueFd fd, const Endpoint& peer)
      : gate_(gate), fd_(std::move(fd)), peer_(peer) {}
  UniqueFd& fd() { return fd_; }
  const Endpoint& peer() const { return peer_; }
  bool watched = false;

  void on_ready(std::uint32_t) override;
  void on_timer() override {
    if (local_wait_) {  // a LOCAL connection that stayed: the proxy's own, served as itself
      gate_.finish(*this, {}, &peer_);
    } else {
      gate_.finish(*this, make_error_code(ProxyErrc::timed_out), nullptr);
    }
  }

 private:
  // Reads what the header still needs; on failure or completion finish() destroys *this.
  void step();
  bool hung_up();

  ProxyGate& gate_;
  UniqueFd fd_;
  Endpoint peer_;
  std::string held_;         // header bytes consumed so far (a proper prefix of a header)
  bool local_wait_ = false;  // a LOCAL header is in: waiting to see a hang-up or more bytes
};

// How long a LOCAL connection may take to show it is a health check (its FIN or reset after the
// header) before it is served: HAProxy sends the header and closes back to back.
constexpr std::chrono::milliseconds kLocalGrace{100};

void ProxyGate::Pending::on_ready(std::uint32_t) {
  step();  // may destroy *this: nothing after it
}

void ProxyGate::Pending::step() {
  if (local_wait_) {  // more bytes, a FIN or a reset after a LOCAL header
    gate_.finish(*this, {}, hung_up() ? nullptr : &peer_);
    return;
  }
  const ProxyLimits& limits = gate_.options_.proxy_limits;
  const std::size_t cap =
      std::max({ProxyLimits::kV1MaxBytes, limits.max_v2_bytes, ProxyLimits::kV2FixedBytes});
  if (held_.size() >= cap) {  // unreachable: the codec decides within `cap` bytes
    gate_.finish(*this, make_error_code(ProxyErrc::oversized), nullptr);
    return;
  }
  // One scratch per thread, not per waiting connection (a header may be 4 KiB; most are not).
  thread_local std::string peek;
  peek.resize(cap - held_.size());
  const auto peeked = try_peek(fd_.get(), std::as_writable_bytes(std::span(peek)));
  if (!peeked) {
    if (would_block(peeked.error())) return;
    gate_.finish(*this, peeked.error(), nullptr);
    return;
  }
  const std::size_t n = *peeked;
  if (n == 0) {
    const auto why = held_.empty() ? ProxyErrc::missing : ProxyErrc::truncated;
    gate_.finish(*this, make_error_code(why), nullptr);
    return;
  }
  const std::size_t before = held_.size();
  held_.append(peek.data(), n);
  const ProxyParse parse = parse_proxy_header(held_, limits);
  if (parse.status == ProxyStatus::error) {
    gate_.finish(*this, parse.error, nullptr);
    return;
  }
  // need_more: every byte peeked is header; complete: only the header's own bytes are taken.
  const std::size_t take =
      parse.status == ProxyStatus::complete ? parse.header.size - before : held_.size() - before;
  held_.resize(before + take);
  // The bytes are already queued in the kernel, so this read takes exactly `take` of them.
  const auto got = try_read(fd_.get(), std::as_writable_bytes(std::span(peek.data(), take)));
  if (!got || *got != take) {
    gate_.finish(*this, got ? make_error_code(ProxyErrc::truncated) : got.error(), nullptr);
    return;
  }
  if (parse.status == ProxyStatus::need_more) return;
  const ProxyHeader& h = parse.header;
  // A LOCAL header from a proxy that hangs up right after it is its health check (HAProxy's
  // `check` with send-proxy-v2 connects, sends LOCAL and closes): closed here, so a service
  // never sees it (a chat room would announce a guest joining and leaving every few seconds).
  // The FIN may trail the header by a moment: wait up to kLocalGrace for it or for more bytes.
  if (h.command == ProxyCommand::local) {
    if (hung_up()) {
      gate_.finish(*this, {}, nullptr);
      return;
    }
    local_wait_ = true;
    (void)gate_.loop_.disarm(*this);
    gate_.loop_.arm(*this, gate_.loop_.now() + kLocalGrace);
    return;
  }
  const bool has_client = h.command == ProxyCommand::proxy && h.source && h.source->is_ip();
  gate_.finish(*this, {}, has_client ? &*h.source : &peer_);
}

// The peer's end is already closed (FIN or reset queued): nothing more can come from it.
bool ProxyGate::Pending::hung_up() {
  std::array<std::byte, 1> byte{};
  const auto n = try_peek(fd_.get(), byte);
  return n ? *n == 0 : n.error() == std::errc::connection_reset;
}

ProxyGate::ProxyGate(EventLoop& loop, const ServerOptions& options, Ready ready, Closed closed)
    : loop_(loop), options_(options), ready_(std::move(ready)), closed_(std::move(closed)) {}

ProxyGate::~ProxyGate() {
  (void)close_all();
}

void ProxyGate::admit(UniqueFd fd, const Endpoint& peer) {
  assert(loop_.in_loop_thread());
  if (!trusted_proxy(peer, options_.proxy_from)) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    fd.reset();
    if (options_.on_proxy_failure)
      options_.on_proxy_failure(peer.to_string(), make_error_code(ProxyErrc::untrusted_source));
    closed_();
    return;
  }
  auto p = std::make_unique<Pending>(*this, std::move(fd), peer);
  Pending& ref = *p;
  pending_.emplace(&ref, std::move(p));
  if (options_.proxy_header_timeout.count() > 0)
    loop_.arm(ref, loop_.now() + options_.proxy_header_timeout);
  if (auto st = loop_.watch(ref.fd().get(), kPollRead, ref); !st) {
    finish(ref, st.error(), nullptr);
    return;
  }
  ref.watched = true;
}

// Ends a wait: handed on with `client`, or closed because of `why` (neither: a health check).
// Destroys `p`.
void ProxyGate::finish(Pending& p, std::error_code why, const Endpoint* client) {
  if (p.watched) (void)loop_.unwatch(p.fd().get());
  loop_.forget(p);
  (void)loop_.disarm(p);
  auto node = pending_.extract(&p);
  UniqueFd fd = std::move(p.fd());
  if (!why && client != nullptr) {
    const Endpoint address = *client;
    node = {};  // the Pending goes before the connection moves on
    ready_(std::move(fd), address);
    return;
  }
  if (!why) {  // a proxy's health check: closed without a word
    health_checks_.fetch_add(1, std::memory_order_relaxed);
    node = {};
    fd.reset();
    closed_();
    return;
  }
  failures_.fetch_add(1, std::memory_order_relaxed);
  const std::string remote = p.peer().is_ip() ? p.peer().to_string() : std::string("unix");
  node = {};
  fd.reset();
  if (options_.on_proxy_failure) options_.on_proxy_failure(remote, why);
  closed_();
}

std::size_t ProxyGate::close_all() {
  std::size_t n = 0;
  while (!pending_.empty()) {
    Pending& p = *pending_.begin()->first;
    if (p.watched) (void)loop_.unwatch(p.fd().get());
    loop_.forget(p);
    (void)loop_.disarm(p);
    pending_.erase(pending_.begin());
    ++n;
    closed_();
  }
  return n;
}

}  // namespace sockit
