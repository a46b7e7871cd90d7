// MemberSession: see chat_member.hpp.
#include "services/chat_member.hpp"

#include "sockit/services/services.hpp"

namespace sockit::chat_detail {

void MemberSession::joined(Peer& peer, std::string_view name) {
  credit_ = std::make_shared<Credit>(peer.mailbox());
  peer.send("* welcome " + std::string(name) + "; commands: /nick NAME, /who, /quit");
  joined_ = true;
  id_ = peer.id();
}

void MemberSession::on_message(std::string_view raw, Peer& peer) {
  if (paused_) {  // the rest of the read that paused us: kept, in order, for on_wake
    held_.emplace_back(raw);
    return;
  }
  handle(raw, peer);
  if (credit_->high()) pause(peer);
}

// Our lines in flight fell to the low marks: speak what was held back, and read again once it
// is all out without passing the high marks.
void MemberSession::on_wake(Peer& peer) {
  if (!paused_) return;
  while (!held_.empty() && !credit_->high() && !peer.closing()) {
    handle(held_.front(), peer);
    held_.pop_front();
  }
  if (peer.closing()) return;
  if (!held_.empty() || credit_->high()) {
    credit_->want_wake();
    return;
  }
  paused_ = false;
  peer.pause_reading(false);
  if (eof_) peer.close();
}

void MemberSession::on_eof(Peer& peer) {
  if (paused_) {
    eof_ = true;  // close once what is held back is spoken
  } else {
    peer.close();
  }
}

void MemberSession::on_close() {
  if (credit_) credit_->forget();
  if (joined_) leave(id_);
}

void MemberSession::pause(Peer& peer) {
  paused_ = true;
  peer.pause_reading(true);
  credit_->want_wake();
}

void MemberSession::handle(std::string_view raw, Peer& peer) {
  if (raw.empty()) return;
  // Escaped once, here: every later use (the room, the operator, replies) sees safe text.
  std::string line = visible_text(raw);
  if (line.front() != '/') {
    speak(peer, std::move(line), credit_);
    return;
  }
  const std::string_view text = line;
  const auto space = text.find(' ');
  const std::string_view command = text.substr(0, space);
  const std::string_view arg = space == std::string_view::npos ? "" : text.substr(space + 1);
  if (command == "/nick") {
    rename(peer, arg);
  } else if (command == "/who") {
    who(peer);
  } else if (command == "/quit") {
    peer.send("* bye");
    peer.close();
  } else {
    peer.send("* unknown command: " + std::string(command));
  }
}

}  // namespace sockit::chat_detail
