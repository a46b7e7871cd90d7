// The lecture's multi-threaded server (minute 65-74): listen on 127.0.0.1:1233, greet each
// client with "Welcome to the Server", answer every message with "Hello I am server: <message>",
// one thread per client, and print the running thread count.
//
// Unlike the original, the threads are not fire-and-forget: each is owned and joined when it
// ends, and at most kMaxClients run at once (a client beyond that is told so and closed).
//
//   usage: lecture_threaded_server [PORT]     (default 1233, as in the lecture)
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "sockit/stream/io.hpp"
#include "sockit/stream/tcp.hpp"

namespace {

constexpr std::size_t kMaxClients = 64;

void threaded_client(sockit::TcpStream connection) {
  if (!sockit::send_all(connection, "Welcome to the Server")) return;
  while (true) {
    std::byte data[2048];  // connection.recv(2048)
    auto got = connection.read_some(data);
    if (!got || *got == 0) break;
    const std::string reply =
        "Hello I am server: " + std::string(reinterpret_cast<const char*>(data), *got);
    if (!sockit::send_all(connection, reply)) break;  // connection.sendall(reply)
  }
}  // connection.close()

struct Worker {
  std::atomic<bool> done{false};
  std::jthread thread;
};

}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 1233;
  if (argc > 1) {
    auto p = sockit::parse_port(argv[1]);
    if (!p) return std::cerr << "usage: lecture_threaded_server [PORT]\n", 2;
    port = *p;
  }
  sockit::ListenOptions options;
  options.backlog = 5;
  auto server_socket =
      sockit::TcpListener::bind(sockit::Endpoint(sockit::IPv4Address::loopback(), port), options);
  if (!server_socket) {
    std::cout << sockit::explain(server_socket.error(), "bind failed", port) << std::endl;
    return 1;
  }
  std::cout << "Waiting for a Connection.." << std::endl;

  int thread_count = 0;
  std::list<Worker> workers;
  while (true) {
    auto client = server_socket->accept();
    if (!client) continue;
    workers.remove_if([](const Worker& w) { return w.done.load(); });  // joins finished threads
    if (workers.size() >= kMaxClients) {
      (void)sockit::send_all(client->stream, "Server full\n");
      continue;
    }
    std::cout << "Connected to: " << client->peer.to_string() << std::endl;
    Worker& w = workers.emplace_back();
    w.thread = std::jthread([&w, stream = std::move(client->stream)]() mutable {
      threaded_client(std::move(stream));
      w.done = true;
    });
    thread_count += 1;
    std::cout << "Thread Number: " << thread_count << std::endl;
  }
}
