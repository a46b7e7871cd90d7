// Test helpers for the server tests: an in-process server on its own thread, and a load client
// that drives many scripted connections at once and checks every byte.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sockit/async/loop.hpp"
#include "sockit/server/server.hpp"
#include "sockit/services/services.hpp"

namespace sockit::test {

using namespace std::chrono_literals;

/// A Server with its base loop on a thread of its own (the loop thread creates, runs and
/// destroys both, as the server requires).
class ServerThread {
 public:
  ServerThread(Service& service, ServerOptions options) {
    std::promise<std::uint16_t> ready;
    auto port = ready.get_future();
    thread_ = std::thread([&, opts = std::move(options)]() mutable {
      auto loop = EventLoop::create();
      if (!loop) {
        ready.set_value(0);
        return;
      }
      loop_ = loop->get();
      auto at = Endpoint::parse("127.0.0.1:0");
      auto server = Server::listen(**loop, *at, service, std::move(opts));
      if (!server || !(*server)->start()) {
        ready.set_value(0);
        return;
      }
      server_ = server->get();
      ready.set_value((*server)->local_endpoint().port());
      (void)(*loop)->run();
      server->reset();
    });
    port_ = port.get();
  }
  ~ServerThread() { stop(); }

  std::uint16_t port() const { return port_; }
  ServerStats stats() const { return server_->stats(); }
  /// Drains on the loop thread and returns the report.
  DrainReport drain(Clock::duration deadline) {
    std::promise<DrainReport> done;
    auto report = done.get_future();
    loop_->post([&] { server_->drain(deadline, [&](DrainReport r) { done.set_value(r); }); });
    return report.get();
  }
  void stop() {
    if (!thread_.joinable()) return;
    if (port_ != 0) loop_->stop();
    thread_.join();
  }

 private:
  std::thread thread_;
  EventLoop* loop_ = nullptr;
  Server* server_ = nullptr;
  std::uint16_t port_ = 0;
};

/// What one client does: read `greeting`, then for each step send `send` and read exactly
/// `expect`; then shut down its sending side and expect EOF with nothing more.
struct Script {
  std::string greeting;
  std::vector<std::pair<std::string, std::string>> steps;
};

struct LoadOutcome {
  std::size_t ok = 0;
  std::size_t failed = 0;
  std::string first_error;
};

/// Runs every script on its own connection to 127.0.0.1:port, all at once, spread over
/// `threads` client threads, until all finish or `timeout` passes (unfinished ones fail).
LoadOutcome run_clients(std::uint16_t port, const std::vector<Script>& scripts,
                        std::size_t threads = 4, std::chrono::milliseconds timeout = 15000ms);

/// A blocking client connection for scripted checks (send, read until, expect EOF).
class Client {
 public:
  /// Connects to 127.0.0.1:port, from `source` (e.g. "127.0.0.2") when given, with a receive
  /// buffer of `rcvbuf` bytes when nonzero (set before connecting, so the window stays small).
  explicit Client(std::uint16_t port, const char* source = nullptr, int rcvbuf = 0);
  ~Client();
  bool connected() const { return fd_ >= 0; }
  bool send(std::string_view data);
  /// Reads until `n` bytes have arrived (or EOF / timeout) and returns what arrived.
  std::string read_exact(std::size_t n, std::chrono::milliseconds timeout = 5000ms);
  /// Reads until `needle` was seen (or EOF / timeout); returns everything read.
  std::string read_until(std::string_view needle, std::chrono::milliseconds timeout = 5000ms);
  /// Reads until EOF; returns what arrived and whether EOF (or a reset) came in time.
  std::pair<std::string, bool> read_to_eof(std::chrono::milliseconds timeout = 5000ms);
  void shutdown_write();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string pending_;  // read past the last needle
};

}  // namespace sockit::test
