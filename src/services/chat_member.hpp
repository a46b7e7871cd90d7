// A chat member's session, the part both rooms share (the in-memory room in chat.cpp, the room
// over Redis in chat_redis_session.cpp): parsing a line into speech or a command, and the
// sender's backpressure (issue 18). A line a member speaks is charged to its Credit until every
// receiver (or Redis) has it; above the high marks the session stops reading, keeps the rest of
// that read in order, and speaks it once a wake says the credit fell to the low marks. The
// rooms say what joining, speaking, renaming, listing and leaving do.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "services/chat_common.hpp"
#include "sockit/server/service.hpp"

namespace sockit::chat_detail {

class MemberSession : public Session {
 public:
  void on_message(std::string_view raw, Peer& peer) final;
  void on_wake(Peer& peer) final;
  void on_eof(Peer& peer) final;
  void on_close() final;

 protected:
  /// After the room has taken the member in: its credit and the welcome line.
  void joined(Peer& peer, std::string_view name);
  /// A line that is not a command, already made visible text.
  virtual void speak(Peer& peer, std::string line, const std::shared_ptr<Credit>& credit) = 0;
  virtual void rename(Peer& peer, std::string_view name) = 0;
  virtual void who(Peer& peer) = 0;
  virtual void leave(std::uint64_t id) = 0;

 private:
  void handle(std::string_view raw, Peer& peer);
  void pause(Peer& peer);

  std::shared_ptr<Credit> credit_;
  std::deque<std::string> held_;  // read while paused, not yet handled
  std::uint64_t id_ = 0;
  bool paused_ = false;
  bool eof_ = false;  // the peer's EOF came while paused
  bool joined_ = false;
};

}  // namespace sockit::chat_detail
