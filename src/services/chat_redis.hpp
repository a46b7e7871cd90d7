// The room over Redis (see make_redis_chat_service and docs/scale-out.md).
//
// Threads: the room's state (local members, the Redis link, the stream position) belongs to
// the server's loop ("the room's loop"). Sessions run on their connection's loop (the same one
// with model loop, another with model reactors) and reach the room only through the members
// marked "any thread", which post to the room's loop; the room reaches them only through their
// Mailbox. So a line takes: session -> post -> XADD ... XREAD -> Mailbox::deliver -> receivers.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/chat_common.hpp"
#include "sockit/redis/redis.hpp"
#include "sockit/services/services.hpp"

namespace sockit::chat_detail {

inline constexpr long long kGuestBlock = 1000;    // guest numbers taken from Redis at a time
inline constexpr long long kGuestBlockLow = 500;  // ask for the next block when this many are left
inline constexpr const char* kDegradedNotice =
    "* room degraded: Redis is unreachable; your lines are refused until it is back";

class RedisRoom final : public ChatService {
 public:
  RedisRoom(EventLoop& loop, RedisChatOptions options);
  ~RedisRoom() override;  // the room's loop thread

  /// Blocking start-up (bounded): reaches Redis, finds the stream's end, takes guest numbers,
  /// drops what this node id left behind; then opens the async link. Loop thread.
  Status start(std::string* why);

  std::string_view name() const override { return "chat"; }
  CodecPtr make_codec(std::size_t max_message) const override {
    return sockit::make_codec(Framing::line, max_message);
  }
  std::unique_ptr<Session> open_session() override;
  void set_observer(Observer observer) override;
  void say(std::string_view text) override;  // any thread
  std::size_t members() const override { return count_.load(); }

  // ---- from sessions, any thread -----------------------------------------------------------
  std::string take_guest_name();
  /// Registers at once (call before the welcome), then announces from the loop. `remote`
  /// (behind a proxy, its PROXY header's address) is for this node's operator only.
  void join(std::uint64_t id, std::string name, std::shared_ptr<Mailbox> mailbox,
            std::string remote);
  void leave(std::uint64_t id);
  /// Appends "<name>: text"; `credit` is charged until Redis answered.
  void speak(std::uint64_t id, std::string text, std::shared_ptr<Credit> credit);
  void rename(std::uint64_t id, std::string wanted);
  void who(std::uint64_t id);

 private:
  struct Member {
    std::string name;
    std::shared_ptr<Mailbox> mailbox;
  };
  using Done = RedisClient::ReplyHandler;
  std::optional<Member> member(std::uint64_t id) const;

  // ---- the room's loop -----------------------------------------------------------------------
  void connect_link();
  void on_down(std::uint64_t gen, const RedisFailure& why);
  void on_ping(std::uint64_t gen, const Result<RedisReply>& reply);
  void drop_link();
  void read_next();
  void on_read(std::uint64_t gen, Result<RedisReply> reply);
  void deliver_entry(const RedisReply& entry);
  void append(std::uint64_t client, std::string text, Done done);
  void eval(const char* script, std::vector<std::string> keys, std::vector<std::string> args,
            Done done);
  void heartbeat();
  void sweep();
  void refill_guests();
  /// To every local member except `except` (0: everyone), and to the operator, who also gets
  /// `operator_only` after the text.
  void tell_local(const std::string& text, std::uint64_t except = 0,
                  std::string_view operator_only = {});
  /// The operator's addition to an entry of this node's `client`: where it joined from, when
  /// the entry is its join notice. Forgets the join once any entry of that client came.
  std::string join_origin(std::uint64_t client, const std::string& text);
  void tell(std::uint64_t id, std::string text);
  std::string field(std::uint64_t id) const { return node_ + "/" + std::to_string(id); }

  EventLoop& loop_;
  RedisChatOptions opts_;
  std::string node_, stream_, seq_key_, members_key_, guests_key_, alive_prefix_;

  std::unique_ptr<RedisClient> pub_;  // commands: XADD, presence, /who, /nick
  std::unique_ptr<RedisClient> sub_;  // XREAD BLOCK only (it holds its connection while blocked)
  std::vector<std::unique_ptr<RedisClient>> graveyard_;  // dropped, destroyed outside hiredis
  std::uint64_t gen_ = 0;  // link generation: replies of an older link are ignored
  bool degraded_ = false;
  Millis backoff_{0};
  EventLoop::TimerId reconnect_timer_ = 0, heartbeat_timer_ = 0, sweep_timer_ = 0;
  bool refilling_ = false;

  // Local joins announced but not yet read back: client id -> {the notice, its address}. Its
  // join notice is the first entry a client appends (posted before any of its lines), so the
  // first entry read back from a client ends its wait, whether it is the notice or the notice
  // was lost with a link (room's loop only).
  struct PendingJoin {
    std::string notice;
    std::string remote;
  };
  std::map<std::uint64_t, PendingJoin> joins_;
  std::string last_id_ = "0-0";  // the last entry delivered (or the stream's end at start-up)
  long long last_seq_ = 0;       // its seq; 0 when unknown
  // The local members. Guarded by a mutex rather than owned by the loop: a session registers
  // itself before its welcome goes out, so a client that has seen its welcome receives every
  // entry the node delivers from then on (a post to the loop could land after the delivery of
  // lines sent by a client that reacted to that welcome).
  mutable std::mutex members_mutex_;
  std::map<std::uint64_t, Member> members_;  // guarded by members_mutex_
  std::atomic<std::size_t> count_{0};

  std::mutex guests_mutex_;
  long long guest_next_ = 0, guest_end_ = 0;  // guarded: [next, end) is ours
  long long guest_overflow_ = 0;              // guarded

  mutable std::mutex observer_mutex_;
  Observer observer_;  // guarded by observer_mutex_
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sockit::chat_detail
