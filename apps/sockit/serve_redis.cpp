// `sockit serve chat --redis HOST:PORT [--room NAME] [--node-id ID] [--redis-maxlen N]`.
#include "serve_redis.hpp"

#include <algorithm>
#include <cctype>

#include "exit_codes.hpp"
#include "options.hpp"
#include "output.hpp"

namespace sockit::cli {
namespace {

constexpr std::size_t kMaxRoomName = 64;

// HOST:PORT or [V6]:PORT; false when it is not one.
bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string digits = text.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos)
    return false;
  const unsigned long value = std::stoul(digits);
  if (value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

// Room names and node ids become parts of Redis keys and of "node/client" fields: visible
// ASCII without '/', '@' or spaces, so that /who's "name@node" stays readable.
bool valid_label(const std::string& s) {
  return !s.empty() && s.size() <= kMaxRoomName && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isgraph(static_cast<unsigned char>(c)) != 0 && c != '/' && c != '@';
  });
}

}  // namespace

void add_redis_flags(CLI::App& cmd, RedisFlags& flags) {
  cmd.add_option("--redis", flags.redis,
                 "chat: keep the room in a Redis Stream at HOST:PORT, shared with other nodes")
      ->type_name("HOST:PORT");
  cmd.add_option("--room", flags.room, "chat --redis: the room's name (default lobby)")
      ->type_name("NAME");
  cmd.add_option("--node-id", flags.node_id,
                 "chat --redis: this node's name in the room (default HOSTNAME-PID)")
      ->type_name("ID");
  cmd.add_option("--redis-maxlen", flags.max_len,
                 "chat --redis: keep about N lines in the stream (how far a node may fall behind)")
      ->type_name("N")
      ->capture_default_str()
      ->check(count_check(1, 100'000'000));
}

void note_redis_flags(CLI::App& cmd, RedisFlags& flags) {
  flags.room_given = cmd.count("--room") > 0;
  flags.node_given = cmd.count("--node-id") > 0;
  flags.max_len_given = cmd.count("--redis-maxlen") > 0;
}

std::string check_redis_flags(const RedisFlags& flags, const std::string& service, bool udp,
                              Model model) {
  if (flags.redis.empty()) {
    if (flags.room_given || flags.node_given || flags.max_len_given)
      return "--room, --node-id and --redis-maxlen are for serve chat --redis";
    return {};
  }
  if (service != "chat" || udp) return "--redis is for serve chat (over TCP or a Unix socket)";
  if (model != Model::loop && model != Model::reactors)
    return "chat --redis runs on --model loop or reactors, not " + std::string(model_name(model));
  std::string host;
  std::uint16_t port = 0;
  if (!split_host_port(flags.redis, host, port))
    return "--redis wants HOST:PORT (port 1-65535), not " + quote_arg(flags.redis);
  if (flags.room_given && !valid_label(flags.room))
    return "--room: 1-64 visible characters without '/' or '@', not " + quote_arg(flags.room);
  if (flags.node_given && !valid_label(flags.node_id))
    return "--node-id: 1-64 visible characters without '/' or '@', not " + quote_arg(flags.node_id);
  return {};
}

std::unique_ptr<Service> make_redis_chat(EventLoop& loop, const RedisFlags& flags, int& exit_code) {
  RedisChatOptions options;
  (void)split_host_port(flags.redis, options.host, options.port);  // checked before
  if (flags.room_given) options.room = flags.room;
  options.node_id = flags.node_id;
  options.max_len = flags.max_len;
  std::string why;
  auto chat = make_redis_chat_service(loop, options, &why);
  if (!chat) {
    // A Redis error reply (e.g. a wrong database type) is not a network failure: say it.
    exit_code = chat.error() == std::errc::protocol_error
                    ? report_error(chat.error(), "Redis at " + flags.redis + " answered: " + why)
                    : report_error(chat.error(), "cannot reach Redis at " + flags.redis);
    return nullptr;
  }
  return std::move(*chat);
}

}  // namespace sockit::cli
