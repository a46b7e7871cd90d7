// Reactor: one EventLoop and the connections it drives, as every model uses it. The loop and
// reactors models run one or N of them for all connections; the thread and pool models give
// each serving thread its own (with one connection at a time), so the code that turns bytes into
// service calls is the same in all four models. Internal to the library.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend.hpp"

namespace sockit {

struct Reactor;

// One served connection: the Connection (bytes), the MessageCodec (messages), the Session
// (service), and the Peer face the session sees. Loop thread only.
class LoopConn final : public Connection::Events,
                       public Peer,
                       public std::enable_shared_from_this<LoopConn> {
 public:
  LoopConn(Reactor& reactor, UniqueFd fd, std::uint64_t id, std::string remote);
  Status open();
  Connection& connection() { return conn_; }
  const MessageCodec* codec() const { return codec_.get(); }
  /// Sends the explanation line for `why` (if it has one) unframed, then closes.
  void send_error_and_close(std::error_code why);
  /// Drains the connection until `until` (Connection::drain).
  void drain_now(Clock::time_point until);
  /// Ends the session and releases its place under the cap, once.
  void finalize();

  bool on_data(Connection& c, Buffer& input) override;
  void on_eof(Connection& c) override;
  void on_close(Connection& c, std::error_code why) override;
  void on_drain_close(Connection&) override {
    if (opened_) session_->on_drain(*this);
  }

  /// Sends one message in the codec's wire form (a message it cannot frame closes the
  /// connection with the codec's error).
  void send(std::string_view message) override;
  /// Sends each message in turn, framed; several are joined into few writes. Loop thread only.
  void send_all(std::span<const std::shared_ptr<const std::string>> messages);
  /// Calls the session's on_wake (Mailbox::wake).
  void wake() { session_->on_wake(*this); }
  void pause_reading(bool paused) override { conn_.pause_reading(paused); }
  MessageCodec* codec() override { return codec_.get(); }
  Status start_filter(std::unique_ptr<ConnectionFilter> filter) override {
    return conn_.start_filter(std::move(filter));
  }
  void send_file(UniqueFd file, std::uint64_t offset, std::uint64_t length,
                 std::string_view head) override {
    conn_.send_file(std::move(file), offset, length, head);
  }
  void close() override { conn_.close(); }
  bool closing() const override { return conn_.closing() || conn_.closed(); }
  std::uint64_t id() const override { return id_; }
  const std::string& remote() const override { return remote_; }
  std::shared_ptr<Mailbox> mailbox() override;

 private:
  Reactor& reactor_;
  std::uint64_t id_;
  std::string remote_;
  Connection conn_;
  CodecPtr codec_;  // null only when a codec factory failed: open() refuses the connection
  std::unique_ptr<Session> session_;
  std::shared_ptr<Mailbox> mailbox_;
  bool opened_ = false;
  bool finalized_ = false;
};

struct Reactor {
  Reactor(ServeContext& c, EventLoop& l) : ctx(c), loop(l) {}
  ServeContext& ctx;
  EventLoop& loop;
  std::unordered_map<std::uint64_t, std::shared_ptr<LoopConn>> conns;  // loop thread only
  TrafficCounters counters;
  bool draining = false;
  Clock::time_point drain_until;  // draining: when the server cuts what is left
  bool stop_when_empty = false;   // thread/pool models: the loop serves one connection
  EventLoop::TimerId sweep = 0;
  EventLoop::TimerId drain_poll = 0;  // draining: lets go of peers that have everything
  std::optional<SplicePipe> pipe;     // kernel echo for raw echo connections (loop models only)
  /// Connections a sweep found past a deadline and not yet closed, closed at most
  /// expire_batch per loop turn (5,000 closed in one sweep stalled the loop 60-126 ms).
  struct Expiry {
    std::uint64_t id;
    std::error_code why;
  };
  static constexpr std::size_t kExpireBatch = 256;
  std::vector<Expiry> expiring;
  std::size_t expire_batch = kExpireBatch;
  EventLoop::TimerId expire_next = 0;  // the next batch, one turn later

  /// Opens the loop's SplicePipe when the service is a pure echo behind a transparent (raw)
  /// codec and splice is safe
  /// in this process; without it (or if it cannot open) connections use the copying path.
  void enable_kernel_echo();

  /// Starts the periodic deadline sweep. Loop thread only.
  void start_sweep();
  /// Serves a new connection on this loop. Loop thread only.
  void adopt(UniqueFd fd, std::string remote);
  /// Drains every connection until `until`. Loop thread only.
  void drain(Clock::time_point until);
  /// Marks the reactor draining (new connections drain at once) and starts the drain poll.
  void begin_drain(Clock::time_point until);
  /// Resets everything at once; returns how many were open and what they were owed. Loop
  /// thread only.
  DrainReport abort_all();
  /// Ends sessions whose on_close never ran and drops every connection. Loop thread only.
  void clear();
  /// One sweep: finds every connection past a deadline, closes the first expire_batch of them
  /// and leaves the rest to expire_some() on the following turns. Loop thread only.
  void check_deadlines();
  void expire_some();
  void remove(std::uint64_t id);
};

}  // namespace sockit
