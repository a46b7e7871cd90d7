// A scripted HTTP server for the http::Client unit tests: a thread on 127.0.0.1:0.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "sockit/core/buffer.hpp"
#include "sockit/stream/io.hpp"
#include "sockit/stream/tcp.hpp"

namespace sockit::http {

// Serves one connection per entry of the script, one after another; for each request head read,
// sends the next scripted answer; an empty answer closes the connection at once, "stall" waits 700
// ms and closes.
class ScriptedServer {
  using Ms = std::chrono::milliseconds;

 public:
  explicit ScriptedServer(std::vector<std::vector<std::string>> script)
      : listener_(*TcpListener::bind(*Endpoint::parse("127.0.0.1:0"))),
        port_(listener_.local_endpoint()->port()),
        thread_([this, script] { serve(script); }) {}
  ~ScriptedServer() { thread_.join(); }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  int accepted() const { return accepted_; }

 private:
  void serve(const std::vector<std::vector<std::string>>& script) {
    for (const auto& answers : script) {
      auto conn = listener_.accept(Deadline::after(Ms(5000)));
      if (!conn) return;
      ++accepted_;
      Buffer in;
      for (const auto& answer : answers) {
        if (answer.empty()) break;  // close right after the previous answer
        if (!recv_until(conn->stream, in, "\r\n\r\n", 65536, Deadline::after(Ms(5000)))) break;
        if (answer == "stall") {
          std::this_thread::sleep_for(Ms(700));
          break;
        }
        if (!send_all(conn->stream, answer, Deadline::after(Ms(5000)))) break;
      }
    }
  }
  TcpListener listener_;
  std::uint16_t port_;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

}  // namespace sockit::http
