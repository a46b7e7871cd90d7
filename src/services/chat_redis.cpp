// The room over Redis: the link (two connections, reconnect with backoff), the stream reader
// and delivery. The order every client sees is the stream's: a node delivers nothing it has
// not read back from Redis, its own clients' lines included, and reads strictly after the last
// entry it delivered (XREAD from last_id_), so nothing comes twice, even across reconnects.
#include "services/chat_redis.hpp"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "services/chat_redis_scripts.hpp"

namespace sockit::chat_detail {
namespace {

constexpr Millis kFirstBackoff{100};
constexpr Millis kMaxBackoff{2000};
constexpr Millis kHeartbeat{1000};
constexpr Millis kSweep{2000};
constexpr const char* kAliveMs = "3000";  // a node is gone 3 s after its last heartbeat
constexpr const char* kReadBlockMs = "2000";
constexpr const char* kReadCount = "512";

std::string default_node_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::string id = host[0] != '\0' ? host : "node";
  return id + "-" + std::to_string(::getpid());
}

// The value of `name` in an entry's flat field list [f1, v1, f2, v2...].
const std::string* field_of(const RedisReply& fields, std::string_view name) {
  for (std::size_t i = 0; i + 1 < fields.element.size(); i += 2) {
    if (fields.element[i].str == name) return &fields.element[i + 1].str;
  }
  return nullptr;
}

}  // namespace

RedisRoom::RedisRoom(EventLoop& loop, RedisChatOptions options)
    : loop_(loop), opts_(std::move(options)) {
  node_ = opts_.node_id.empty() ? default_node_id() : opts_.node_id;
  stream_ = "sockit:chat:" + opts_.room;
  seq_key_ = stream_ + ":seq";
  members_key_ = stream_ + ":members";
  guests_key_ = stream_ + ":guests";
  alive_prefix_ = stream_ + ":alive:";
}

RedisRoom::~RedisRoom() {
  alive_.reset();
  for (auto id : {reconnect_timer_, heartbeat_timer_, sweep_timer_})
    if (id != 0) loop_.cancel(id);
  sub_.reset();
  pub_.reset();
  graveyard_.clear();
}

Status RedisRoom::start(std::string* why) {
  auto sync = RedisBlocking::connect(opts_.host, opts_.port, Millis(2000), why);
  if (!sync) return fail(sync.error());
  auto run = [&](std::vector<std::string> args) -> Result<RedisReply> {
    auto reply = (*sync)->command(args, why);
    if (reply && reply->is_error()) {
      if (why != nullptr) *why = reply->str;
      return fail(std::make_error_code(std::errc::protocol_error));
    }
    return reply;
  };
  auto last = run({"XREVRANGE", stream_, "+", "-", "COUNT", "1"});
  if (!last) return fail(last.error());
  if (!last->element.empty() && last->element[0].element.size() == 2) {
    last_id_ = last->element[0].element[0].str;
    if (const auto* seq = field_of(last->element[0].element[1], "seq"))
      last_seq_ = std::atoll(seq->c_str());
  }
  auto guests = run({"INCRBY", guests_key_, std::to_string(kGuestBlock)});
  if (!guests) return fail(guests.error());
  guest_end_ = guests->integer + 1;
  guest_next_ = guest_end_ - kGuestBlock;
  for (auto args :
       {std::vector<std::string>{"SET", alive_prefix_ + node_, "1", "PX", kAliveMs},
        std::vector<std::string>{"EVAL", kSweepScript, "3", members_key_, stream_, seq_key_,
                                 alive_prefix_, std::to_string(opts_.max_len), node_}}) {
    if (auto r = run(args); !r) return fail(r.error());
  }
  connect_link();
  heartbeat_timer_ = loop_.run_every(kHeartbeat, [this] { heartbeat(); });
  sweep_timer_ = loop_.run_every(kSweep, [this] { sweep(); });
  return {};
}

// ---- the link -------------------------------------------------------------------------------

void RedisRoom::connect_link() {
  reconnect_timer_ = 0;
  graveyard_.clear();
  const std::uint64_t gen = ++gen_;
  auto down = [this, gen](const RedisFailure& why) { on_down(gen, why); };
  auto pub = RedisClient::connect(loop_, opts_.host, opts_.port, nullptr, down);
  auto sub = RedisClient::connect(loop_, opts_.host, opts_.port, nullptr, down);
  if (!pub || !sub) {
    on_down(gen, {pub ? sub.error() : pub.error(), "cannot start a Redis connection"});
    return;
  }
  pub_ = std::move(*pub);
  sub_ = std::move(*sub);
  if (degraded_) {  // restored only once Redis answers, not when TCP connects
    pub_->command({"PING"}, [this, gen](Result<RedisReply> r) { on_ping(gen, r); });
  }
  read_next();
}

void RedisRoom::on_ping(std::uint64_t gen, const Result<RedisReply>& reply) {
  if (gen != gen_ || !reply) return;  // a failure arrives through on_down
  if (reply->is_error()) {            // e.g. LOADING: try again later
    on_down(gen, {make_error_code(std::errc::protocol_error), reply->str});
    return;
  }
  degraded_ = false;
  backoff_ = Millis(0);
  heartbeat();  // alive again before anyone sweeps us, then our members again (Redis may be new)
  eval(kForgetNodeScript, {members_key_}, {node_ + "/"}, [](Result<RedisReply>) {});
  {
    std::lock_guard lock(members_mutex_);
    for (const auto& [id, m] : members_)
      pub_->command({"HSET", members_key_, field(id), m.name}, [](Result<RedisReply>) {});
  }
  tell_local("* room restored");
}

void RedisRoom::on_down(std::uint64_t gen, const RedisFailure& why) {
  (void)why;
  if (gen != gen_ || reconnect_timer_ != 0) return;
  if (!degraded_) {
    degraded_ = true;
    tell_local(kDegradedNotice);
  }
  drop_link();
  backoff_ = std::min(kMaxBackoff, backoff_ == Millis(0) ? kFirstBackoff : backoff_ * 2);
  reconnect_timer_ = loop_.run_after(backoff_, [this] { connect_link(); });
}

// We may be inside a reply handler of the clients we drop: they are destroyed by the next
// connect_link (a timer callback, outside hiredis) or by our destructor, never from a posted
// task, which might outlive us in a loop that is being destroyed.
void RedisRoom::drop_link() {
  ++gen_;
  if (pub_) graveyard_.push_back(std::move(pub_));
  if (sub_) graveyard_.push_back(std::move(sub_));
}

// ---- reading the stream ---------------------------------------------------------------------

void RedisRoom::read_next() {
  if (!sub_) return;
  const std::uint64_t gen = gen_;
  sub_->command({"XREAD", "COUNT", kReadCount, "BLOCK", kReadBlockMs, "STREAMS", stream_, last_id_},
                [this, gen](Result<RedisReply> r) { on_read(gen, std::move(r)); });
}

void RedisRoom::on_read(std::uint64_t gen, Result<RedisReply> reply) {
  if (gen != gen_ || !reply) return;  // a failure arrives through on_down
  if (reply->is_error()) {
    on_down(gen, {make_error_code(std::errc::protocol_error), reply->str});
    return;
  }
  // [[stream, [[id, [field, value...]]...]]], or nil when BLOCK timed out.
  if (reply->type == RedisReply::Type::array && !reply->element.empty() &&
      reply->element[0].element.size() == 2) {
    for (const auto& entry : reply->element[0].element[1].element)
      deliver_entry(entry);
  }
  read_next();
}

void RedisRoom::deliver_entry(const RedisReply& entry) {
  if (entry.element.size() != 2) return;
  last_id_ = entry.element[0].str;
  const RedisReply& fields = entry.element[1];
  const std::string* seq_text = field_of(fields, "seq");
  const std::string* node = field_of(fields, "node");
  const std::string* client = field_of(fields, "client");
  const std::string* text = field_of(fields, "text");
  if (seq_text && text) {
    const long long seq = std::atoll(seq_text->c_str());
    // Lower than expected: Redis lost the room (restarted without its data) and the counter
    // started again; the entries before this one in the new stream were trimmed.
    const long long missed = last_seq_ == 0 ? 0 : (seq > last_seq_ ? seq - last_seq_ - 1 : seq - 1);
    if (missed > 0) {
      tell_local("* this node missed " + std::to_string(missed) + " line" +
                 (missed == 1 ? "" : "s") + " (it fell more than " + std::to_string(opts_.max_len) +
                 " lines behind the room)");
    }
    last_seq_ = seq;
  }
  if (!text) return;
  std::uint64_t except = 0;
  std::string origin;
  if (node && client && *node == node_) {
    except = std::strtoull(client->c_str(), nullptr, 10);
    origin = join_origin(except, *text);
  }
  tell_local(visible_text(*text), except, origin);
}

std::string RedisRoom::join_origin(std::uint64_t client, const std::string& text) {
  auto it = joins_.find(client);
  if (it == joins_.end()) return {};
  const bool notice = text == it->second.notice;
  std::string origin = notice ? joined_from(it->second.remote) : std::string();
  joins_.erase(it);
  return origin;
}

void RedisRoom::tell_local(const std::string& text, std::uint64_t except,
                           std::string_view operator_only) {
  {
    std::lock_guard lock(observer_mutex_);
    if (observer_) observer_(operator_only.empty() ? text : text + std::string(operator_only));
  }
  auto shared = std::make_shared<const std::string>(text);
  std::lock_guard lock(members_mutex_);
  for (const auto& [id, m] : members_) {
    if (id != except) m.mailbox->deliver(shared);
  }
}

void RedisRoom::tell(std::uint64_t id, std::string text) {
  std::lock_guard lock(members_mutex_);
  if (auto it = members_.find(id); it != members_.end())
    it->second.mailbox->deliver(std::make_shared<const std::string>(std::move(text)));
}

// ---- writing --------------------------------------------------------------------------------

void RedisRoom::eval(const char* script, std::vector<std::string> keys,
                     std::vector<std::string> args, Done done) {
  std::vector<std::string> argv{"EVAL", script, std::to_string(keys.size())};
  argv.insert(argv.end(), std::make_move_iterator(keys.begin()),
              std::make_move_iterator(keys.end()));
  argv.insert(argv.end(), std::make_move_iterator(args.begin()),
              std::make_move_iterator(args.end()));
  if (!pub_) {
    loop_.post([done = std::move(done)]() mutable { done(fail(Errc::cancelled)); });
    return;
  }
  pub_->command(std::move(argv), std::move(done));
}

void RedisRoom::append(std::uint64_t client, std::string text, Done done) {
  eval(kAppendScript, {stream_, seq_key_},
       {std::to_string(opts_.max_len), node_, std::to_string(client), std::move(text)},
       std::move(done));
}

void RedisRoom::heartbeat() {
  if (degraded_ || !pub_) return;
  pub_->command({"SET", alive_prefix_ + node_, "1", "PX", kAliveMs}, [](Result<RedisReply>) {});
}

void RedisRoom::sweep() {
  if (degraded_ || !pub_) return;
  eval(kSweepScript, {members_key_, stream_, seq_key_},
       {alive_prefix_, std::to_string(opts_.max_len), ""}, [](Result<RedisReply>) {});
}

void RedisRoom::refill_guests() {
  if (refilling_ || degraded_ || !pub_) return;
  refilling_ = true;
  pub_->command({"INCRBY", guests_key_, std::to_string(kGuestBlock)},
                [this, alive = std::weak_ptr<bool>(alive_)](Result<RedisReply> r) {
                  if (alive.expired()) return;
                  refilling_ = false;
                  if (!r || r->type != RedisReply::Type::integer) return;
                  std::lock_guard lock(guests_mutex_);
                  guest_end_ = r->integer + 1;
                  guest_next_ = guest_end_ - kGuestBlock;
                });
}

}  // namespace sockit::chat_detail
