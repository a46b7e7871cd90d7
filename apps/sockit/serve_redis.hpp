// `sockit serve chat --redis HOST:PORT`: the flags of the room over Redis (docs/scale-out.md)
// and the service they make.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "sockit/server/server.hpp"
#include "sockit/services/services.hpp"

namespace sockit::cli {

struct RedisFlags {
  std::string redis;    // HOST:PORT, empty: the room lives in this process
  std::string room;     // --room
  std::string node_id;  // --node-id
  std::size_t max_len = 10000;
  bool room_given = false, node_given = false, max_len_given = false;
};

void add_redis_flags(CLI::App& cmd, RedisFlags& flags);
/// Records which flags were given (call from the command's callback).
void note_redis_flags(CLI::App& cmd, RedisFlags& flags);
/// A usage message when the flags cannot work for this service and model, or "".
std::string check_redis_flags(const RedisFlags& flags, const std::string& service, bool udp,
                              Model model);
/// The chat service over Redis on `loop` (blocks up to 2 s to reach Redis). On failure prints
/// the error line and sets `exit_code`.
std::unique_ptr<Service> make_redis_chat(EventLoop& loop, const RedisFlags& flags, int& exit_code);

}  // namespace sockit::cli
