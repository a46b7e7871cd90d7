// The room over Redis, the session's side: what a client's commands do, posted to the room's
// loop. The session itself is chat's (same commands, same backpressure): a sender is charged
// per line until Redis has answered the XADD, and paused above the marks.
#include <algorithm>
#include <deque>
#include <optional>
#include <utility>

#include "services/chat_member.hpp"
#include "services/chat_redis.hpp"
#include "services/chat_redis_scripts.hpp"

namespace sockit::chat_detail {
namespace {

class RedisChatSession final : public MemberSession {
 public:
  explicit RedisChatSession(RedisRoom& room) : room_(room) {}

  void on_open(Peer& peer) override {
    const std::string name = room_.take_guest_name();
    room_.join(peer.id(), name, peer.mailbox(), peer.remote());  // before the welcome: see members_
    joined(peer, name);
  }

 private:
  void speak(Peer& peer, std::string line, const std::shared_ptr<Credit>& credit) override {
    room_.speak(peer.id(), std::move(line), credit);
  }
  void rename(Peer& peer, std::string_view name) override {
    room_.rename(peer.id(), std::string(name));
  }
  void who(Peer& peer) override { room_.who(peer.id()); }
  void leave(std::uint64_t id) override { room_.leave(id); }

  RedisRoom& room_;
};

constexpr const char* kRefused = "* not sent, the room is degraded (Redis unreachable): ";

}  // namespace

std::unique_ptr<Session> RedisRoom::open_session() {
  return std::make_unique<RedisChatSession>(*this);
}

void RedisRoom::set_observer(Observer observer) {
  std::lock_guard lock(observer_mutex_);
  observer_ = std::move(observer);
}

// Numbers come in blocks from the room's counter, so guest names are unique across nodes
// without a round trip per join; a node that ran out (Redis away) names guests after itself.
std::string RedisRoom::take_guest_name() {
  std::lock_guard lock(guests_mutex_);
  if (guest_next_ < guest_end_) {
    const long long n = guest_next_++;
    if (guest_end_ - guest_next_ == kGuestBlockLow)
      loop_.post([this, alive = std::weak_ptr<bool>(alive_)] {
        if (!alive.expired()) refill_guests();
      });
    return "guest" + std::to_string(n);
  }
  return "guest-" + node_ + "-" + std::to_string(++guest_overflow_);
}

void RedisRoom::join(std::uint64_t id, std::string name, std::shared_ptr<Mailbox> mailbox,
                     std::string remote) {
  {
    std::lock_guard lock(members_mutex_);
    members_.emplace(id, Member{name, std::move(mailbox)});
    count_.store(members_.size());
  }
  loop_.post([this, alive = std::weak_ptr<bool>(alive_), id, name = std::move(name),
              remote = std::move(remote)]() mutable {
    if (alive.expired()) return;
    if (degraded_ || !pub_) return tell(id, kDegradedNotice);
    pub_->command({"HSET", members_key_, field(id), name}, [](Result<RedisReply>) {});
    std::string notice = "* " + name + " joined";
    joins_[id] = {notice, std::move(remote)};
    append(id, std::move(notice), [](Result<RedisReply>) {});
  });
}

void RedisRoom::leave(std::uint64_t id) {
  std::string name;
  {
    std::lock_guard lock(members_mutex_);
    auto it = members_.find(id);
    if (it == members_.end()) return;
    name = std::move(it->second.name);
    members_.erase(it);
    count_.store(members_.size());
  }
  loop_.post([this, alive = std::weak_ptr<bool>(alive_), id, name = std::move(name)] {
    if (alive.expired()) return;
    if (degraded_ || !pub_) {  // no leave entry will come to end the wait: the join's is lost
      joins_.erase(id);        // or, read back after the outage, shown without the address
      return;
    }
    pub_->command({"HDEL", members_key_, field(id)}, [](Result<RedisReply>) {});
    append(id, "* " + name + " left", [](Result<RedisReply>) {});
  });
}

// The member's name and mailbox, if it is still here.
std::optional<RedisRoom::Member> RedisRoom::member(std::uint64_t id) const {
  std::lock_guard lock(members_mutex_);
  auto it = members_.find(id);
  if (it == members_.end()) return std::nullopt;
  return it->second;
}

void RedisRoom::speak(std::uint64_t id, std::string text, std::shared_ptr<Credit> credit) {
  const std::size_t n = text.size();
  credit->charge(n);
  loop_.post(
      [this, alive = std::weak_ptr<bool>(alive_), id, text = std::move(text), credit, n]() mutable {
        if (alive.expired()) return credit->release(n);
        auto m = member(id);
        if (!m) return credit->release(n);
        if (degraded_ || !pub_) {
          tell(id, kRefused + text);
          return credit->release(n);
        }
        auto mailbox = m->mailbox;
        append(id, m->name + ": " + text, [credit, n, mailbox, text](Result<RedisReply> r) mutable {
          credit->release(n);
          if (r && !r->is_error()) return;
          const std::string why = r ? "Redis said " + r->str : "the connection to Redis failed";
          mailbox->deliver(std::make_shared<const std::string>(
              "* your line may not have reached the room (" + why + "): " + text));
        });
      });
}

void RedisRoom::rename(std::uint64_t id, std::string wanted) {
  loop_.post([this, alive = std::weak_ptr<bool>(alive_), id, wanted = std::move(wanted)] {
    if (alive.expired()) return;
    if (!member(id)) return;
    if (!valid_name(wanted) || wanted.find('@') != std::string::npos || wanted.starts_with("guest"))
      return tell(id, "* invalid name (1-32 visible characters, no '@', not 'server' or guest...)");
    if (degraded_ || !pub_)
      return tell(id, "* the room is degraded (Redis unreachable): try later");
    eval(kNickScript, {members_key_}, {field(id), wanted},
         [this, alive, id, wanted](Result<RedisReply> r) {
           if (alive.expired()) return;
           if (!r || r->type != RedisReply::Type::integer)
             return tell(id, "* rename failed (Redis unreachable)");
           if (r->integer == 0) return tell(id, "* name taken: " + wanted);
           std::string old;
           {
             std::lock_guard lock(members_mutex_);
             auto it = members_.find(id);
             if (it == members_.end()) return;
             old = std::exchange(it->second.name, wanted);
           }
           append(id, "* " + old + " is now " + wanted, [](Result<RedisReply>) {});
           tell(id, "* you are now " + wanted);
         });
  });
}

void RedisRoom::who(std::uint64_t id) {
  loop_.post([this, alive = std::weak_ptr<bool>(alive_), id] {
    if (alive.expired()) return;
    if (degraded_ || !pub_)
      return tell(id, "* the room is degraded (Redis unreachable): try later");
    eval(kWhoScript, {members_key_}, {alive_prefix_}, [this, alive, id](Result<RedisReply> r) {
      if (alive.expired()) return;
      if (!r || r->type != RedisReply::Type::array)
        return tell(id, "* /who failed (Redis unreachable)");
      std::vector<std::string> names;
      for (const auto& e : r->element)
        names.push_back(e.str);
      std::sort(names.begin(), names.end());
      std::string out = "* online:";
      for (const auto& n : names)
        out += " " + n;
      tell(id, out);
    });
  });
}

void RedisRoom::say(std::string_view text) {
  loop_.post([this, alive = std::weak_ptr<bool>(alive_), line = "server: " + visible_text(text)] {
    if (alive.expired()) return;
    if (!degraded_ && pub_) return append(0, line, [](Result<RedisReply>) {});
    std::lock_guard lock(observer_mutex_);  // the operator hears the refusal like a client
    if (observer_) observer_(kRefused + line);
  });
}

}  // namespace sockit::chat_detail

namespace sockit {

Result<std::unique_ptr<ChatService>> make_redis_chat_service(EventLoop& loop,
                                                             RedisChatOptions options,
                                                             std::string* why) {
  auto room = std::make_unique<chat_detail::RedisRoom>(loop, std::move(options));
  if (auto st = room->start(why); !st) return fail(st.error());
  return std::unique_ptr<ChatService>(std::move(room));
}

}  // namespace sockit
