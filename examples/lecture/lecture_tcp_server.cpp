// The lecture's TCP server (minute 31-40): listen on 127.0.0.1:12345, print what each client
// sends and answer every message with "Hey client". Unlike the original it answers with
// send_all, so a short send() cannot cut the answer.
//
//   usage: lecture_tcp_server [PORT]     (default 12345, as in the lecture)
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <span>
#include <string_view>

#include "sockit/stream/io.hpp"
#include "sockit/stream/tcp.hpp"

int main(int argc, char** argv) {
  std::uint16_t port = 12345;
  if (argc > 1) {
    auto p = sockit::parse_port(argv[1]);
    if (!p) return std::cerr << "usage: lecture_tcp_server [PORT]\n", 2;
    port = *p;
  }
  // server_socket.bind(("127.0.0.1", 12345)); server_socket.listen(5)
  sockit::ListenOptions options;
  options.backlog = 5;
  auto server_socket =
      sockit::TcpListener::bind(sockit::Endpoint(sockit::IPv4Address::loopback(), port), options);
  if (!server_socket) {
    std::cerr << sockit::explain(server_socket.error(), "bind failed", port) << "\n";
    return 1;
  }

  while (true) {
    std::cout << "Server waiting for connection" << std::endl;
    auto client = server_socket->accept();
    if (!client) {
      std::cerr << sockit::explain(client.error(), "accept failed") << "\n";
      continue;
    }
    std::cout << "Client connected from " << client->peer.to_string() << std::endl;

    while (true) {
      std::byte data[1024];  // client_socket.recv(1024): at most 1024 bytes, maybe fewer
      auto got = client->stream.read_some(data);
      if (!got || *got == 0) break;  // the client closed (or failed): next client
      const std::string_view text(reinterpret_cast<const char*>(data), *got);
      std::cout << "Received from client: " << text << std::endl;
      auto sent = sockit::send_all(client->stream, "Hey client");
      if (!sent) break;
    }
  }  // client_socket.close() happens as `client` goes out of scope
}
