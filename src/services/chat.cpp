// Chat: one room shared by every connection, across threads. The room's mutex orders the
// broadcasts, so all clients see lines in the same order; each delivery goes through the
// receiver's Mailbox, which never blocks (a receiver that cannot keep up is dropped at its
// output limit instead of slowing the room).
//
// Backpressure (issue 18): a line is "in flight" from the moment the room accepts it until every
// receiver's connection has taken it (the Mailbox releases it then, or when the receiver is
// gone). A member with more than kHighLines lines or kHighBytes bytes in flight is not read any
// more (Peer::pause_reading): what the current read already brought waits in its session, in
// order, and the client's further lines wait in its own kernel buffers, where TCP slows it down.
// Once its lines in flight fall to half those marks, the last receiver to take one wakes it
// (Mailbox::wake). Before, nothing slowed a sender: 200 clients at 2,000 lines/s queued lines on
// the receivers' loops without bound (hundreds of MB). Now the room holds at most the marks per
// sender, and a receiver holds nothing back past its own output limit, where it is dropped.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "services/chat_common.hpp"
#include "services/chat_member.hpp"
#include "sockit/services/services.hpp"

namespace sockit {
namespace {
using namespace chat_detail;

// The length of the well-formed UTF-8 sequence that starts `s`, when it encodes a character a
// terminal shows (U+00A0 and up); 0 for anything else. Overlong forms, surrogates, code points
// past U+10FFFF and the C1 controls (U+0080..U+009F, which some terminals obey) all give 0.
std::size_t visible_utf8_length(std::string_view s) {
  const auto lead = static_cast<unsigned char>(s.front());
  std::size_t length = 0;
  std::uint32_t code = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    code = lead & 0x1fU;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    code = lead & 0x0fU;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    code = lead & 0x07U;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(s[i]);
    if ((next & 0xc0U) != 0x80U) return 0;
    code = (code << 6) | (next & 0x3fU);
  }
  constexpr std::uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
  const bool ok = code >= kShortest[length] && code >= 0xa0 && code <= 0x10ffff &&
                  (code < 0xd800 || code > 0xdfff);
  return ok ? length : 0;
}

class ChatRoom final : public ChatService {
 public:
  std::string_view name() const override { return "chat"; }
  CodecPtr make_codec(std::size_t max_message) const override {
    return sockit::make_codec(Framing::line, max_message);
  }
  std::unique_ptr<Session> open_session() override;
  void set_observer(Observer observer) override {
    std::lock_guard lock(mutex_);
    observer_ = std::move(observer);
  }
  void say(std::string_view text) override {
    std::lock_guard lock(mutex_);
    broadcast_locked(0, "server: " + visible_text(text));
  }
  std::size_t members() const override {
    std::lock_guard lock(mutex_);
    return members_.size();
  }

  /// The operator also learns where the member comes from (`remote`: behind a proxy, the
  /// address its PROXY header named); the other members do not.
  std::string join(std::uint64_t id, std::shared_ptr<Mailbox> mailbox, std::string_view remote) {
    std::lock_guard lock(mutex_);
    std::string name = "guest" + std::to_string(next_guest_++);
    while (taken_locked(name))
      name = "guest" + std::to_string(next_guest_++);
    broadcast_locked(id, "* " + name + " joined", nullptr, joined_from(remote));
    members_.emplace(id, Member{name, std::move(mailbox)});
    return name;
  }
  void leave(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = members_.find(id);
    if (it == members_.end()) return;
    const std::string name = std::move(it->second.name);
    members_.erase(it);
    broadcast_locked(id, "* " + name + " left");
  }
  /// Broadcasts a member's line, counted in flight on `credit` until every receiver has it.
  void speak(std::uint64_t id, std::string_view text, const std::shared_ptr<Credit>& credit) {
    std::lock_guard lock(mutex_);
    auto it = members_.find(id);
    if (it == members_.end()) return;
    broadcast_locked(id, it->second.name + ": " + std::string(text), credit);
  }
  /// Renames; returns the reply for the client.
  std::string rename(std::uint64_t id, std::string_view wanted) {
    std::lock_guard lock(mutex_);
    auto it = members_.find(id);
    if (it == members_.end()) return "* not in the room";
    if (!valid_name(wanted)) return "* invalid name (1-32 visible characters, not 'server')";
    if (taken_locked(wanted)) return "* name taken: " + std::string(wanted);
    const std::string old = std::exchange(it->second.name, std::string(wanted));
    broadcast_locked(id, "* " + old + " is now " + it->second.name);
    return "* you are now " + it->second.name;
  }
  std::string who() const {
    std::lock_guard lock(mutex_);
    std::string out = "* online:";
    for (const auto& [id, m] : members_)
      out += " " + m.name;
    return out;
  }

 private:
  struct Member {
    std::string name;
    std::shared_ptr<Mailbox> mailbox;
  };

  bool taken_locked(std::string_view name) const {
    return std::any_of(members_.begin(), members_.end(),
                       [&](const auto& entry) { return entry.second.name == name; });
  }
  // One shared copy of the line for all receivers: a broadcast to N clients allocates once.
  // With a credit, the copy's deleter (run where the last receiver lets go) releases it.
  void broadcast_locked(std::uint64_t from, std::string line,
                        const std::shared_ptr<Credit>& credit = nullptr,
                        std::string_view operator_only = {}) {
    if (observer_) {
      if (operator_only.empty()) {
        observer_(line);
      } else {
        observer_(line + std::string(operator_only));
      }
    }
    std::shared_ptr<const std::string> shared;
    if (credit) {
      const std::size_t n = line.size();
      credit->charge(n);
      shared.reset(new std::string(std::move(line)), [credit, n](const std::string* s) {
        delete s;
        credit->release(n);
      });
    } else {
      shared = std::make_shared<const std::string>(std::move(line));
    }
    for (const auto& [id, member] : members_) {
      if (id != from) member.mailbox->deliver(shared);
    }
  }

  mutable std::mutex mutex_;
  std::map<std::uint64_t, Member> members_;  // guarded by mutex_
  std::uint64_t next_guest_ = 1;             // guarded by mutex_
  Observer observer_;                        // guarded by mutex_
};

class ChatSession final : public MemberSession {
 public:
  explicit ChatSession(ChatRoom& room) : room_(room) {}

  void on_open(Peer& peer) override {
    joined(peer, room_.join(peer.id(), peer.mailbox(), peer.remote()));
  }

 private:
  void speak(Peer& peer, std::string line, const std::shared_ptr<Credit>& credit) override {
    room_.speak(peer.id(), line, credit);
  }
  void rename(Peer& peer, std::string_view name) override {
    peer.send(room_.rename(peer.id(), name));
  }
  void who(Peer& peer) override { peer.send(room_.who()); }
  void leave(std::uint64_t id) override { room_.leave(id); }

  ChatRoom& room_;
};

std::unique_ptr<Session> ChatRoom::open_session() {
  return std::make_unique<ChatSession>(*this);
}

}  // namespace

std::string visible_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if ((byte >= 0x20 && byte < 0x7f) || byte == '\t') {
      out += text[i++];
      continue;
    }
    if (const std::size_t n = byte >= 0x80 ? visible_utf8_length(text.substr(i)) : 0; n != 0) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    out += '\\';
    out += static_cast<char>('0' + (byte >> 6));
    out += static_cast<char>('0' + ((byte >> 3) & 7U));
    out += static_cast<char>('0' + (byte & 7U));
    ++i;
  }
  return out;
}

std::unique_ptr<ChatService> make_chat_service() {
  return std::make_unique<ChatRoom>();
}

}  // namespace sockit
