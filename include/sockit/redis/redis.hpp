// A Redis client on our EventLoop: hiredis's async API (RESP2, Debian's libhiredis 0.14) with its
// event hooks (addRead/delRead/addWrite/delWrite/cleanup) registered with the loop's poller, so
// a Redis connection costs one descriptor on a loop that already runs, never a thread.
//
// One RedisClient is one connection's life: it connects, runs commands in order (hiredis
// pipelines them; a command issued while connecting waits in its output buffer), and goes down
// once, for good. Reconnecting is making a new client: the caller decides the backoff and what
// to resume (chat over Redis resumes a stream from the last entry it delivered).
//
// Also a blocking client (RedisBlocking) for start-up work that must finish before serving.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sockit/async/loop.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

/// One RESP2 reply, copied out of hiredis. A Redis error ("-ERR ...") is a reply of type
/// `error`, not a failed command: the command reached Redis and Redis answered.
struct RedisReply {
  enum class Type { string, status, error, integer, nil, array };
  Type type = Type::nil;
  std::string str;                  ///< string, status and error replies
  long long integer = 0;            ///< integer replies
  std::vector<RedisReply> element;  ///< array replies

  bool is_error() const noexcept { return type == Type::error; }
};

/// Why a connection went down, in hiredis's words ("Connection refused", "Server closed the
/// connection") with an error code: the OS's for I/O errors, Errc::closed_early when Redis
/// closed, Errc::malformed_frame for a protocol error.
struct RedisFailure {
  std::error_code code;
  std::string text;
};

class RedisClient {
 public:
  /// A command's outcome: the reply, or the connection's failure (the command may or may not
  /// have reached Redis). Called on the loop thread, from inside the client: it must not
  /// destroy the client (post that).
  using ReplyHandler = std::move_only_function<void(Result<RedisReply>)>;
  using UpHandler = std::move_only_function<void()>;
  /// Called once, from a posted task (so it may destroy the client).
  using DownHandler = std::move_only_function<void(const RedisFailure&)>;

  /// Starts connecting to host:port (an IP address or "localhost"; hiredis resolves it).
  /// `on_up` runs when the TCP connection is established, `on_down` once when it fails or ends.
  /// Errors here are immediate ones (out of memory, a descriptor the loop cannot watch). Loop
  /// thread only, like every member.
  [[nodiscard]] static Result<std::unique_ptr<RedisClient>> connect(EventLoop& loop,
                                                                    const std::string& host,
                                                                    std::uint16_t port,
                                                                    UpHandler on_up,
                                                                    DownHandler on_down);
  /// Closes the connection. Handlers of pending commands are dropped without being called.
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  /// Sends one command (binary-safe arguments). On a client that is down, `on_reply` gets
  /// Errc::cancelled from a posted task.
  void command(std::vector<std::string> args, ReplyHandler on_reply);
  /// True once connected and until it goes down.
  bool up() const noexcept;
  /// True once the connection has failed or ended (on_down was or is about to be called).
  bool down() const noexcept;

  class Impl;

 private:
  explicit RedisClient(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

/// A blocking connection for start-up and tools. Not for the loop thread of a running server.
class RedisBlocking {
 public:
  /// Connects within `timeout`; the failure carries hiredis's words in `why` when given.
  [[nodiscard]] static Result<std::unique_ptr<RedisBlocking>> connect(const std::string& host,
                                                                      std::uint16_t port,
                                                                      Millis timeout,
                                                                      std::string* why = nullptr);
  ~RedisBlocking();
  RedisBlocking(const RedisBlocking&) = delete;
  RedisBlocking& operator=(const RedisBlocking&) = delete;
  /// Runs one command (bounded by the connect timeout, applied to every read and write).
  [[nodiscard]] Result<RedisReply> command(const std::vector<std::string>& args,
                                           std::string* why = nullptr);

 private:
  explicit RedisBlocking(void* context) : context_(context) {}
  void* context_;  // redisContext*
};

}  // namespace sockit
