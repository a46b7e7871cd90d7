// The lecture's UDP server (minute 53-58): bind 127.0.0.1:12345 and answer every datagram with
// "Hello I am UDP server", sent back to the address the datagram came from.
//
//   usage: lecture_udp_server [PORT]     (default 12345, as in the lecture)
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <span>
#include <string_view>

#include "sockit/stream/udp.hpp"

int main(int argc, char** argv) {
  std::uint16_t port = 12345;
  if (argc > 1) {
    auto p = sockit::parse_port(argv[1]);
    if (!p) return std::cerr << "usage: lecture_udp_server [PORT]\n", 2;
    port = *p;
  }
  // sock = socket.socket(AF_INET, SOCK_DGRAM); sock.bind(("127.0.0.1", 12345))
  auto sock = sockit::UdpSocket::bind(sockit::Endpoint(sockit::IPv4Address::loopback(), port));
  if (!sock) return std::cerr << sockit::explain(sock.error(), "bind failed", port) << "\n", 1;

  constexpr std::string_view kMessage = "Hello I am UDP server";
  while (true) {
    std::byte buffer[4096];  // sock.recvfrom(4096): one whole datagram (or its first 4096 bytes)
    auto datagram = sock->recv_from(buffer);
    if (!datagram) {
      std::cerr << sockit::explain(datagram.error(), "receive failed") << "\n";
      continue;
    }
    auto sent = sock->send_to(std::as_bytes(std::span(kMessage)), datagram->from);
    if (!sent) std::cerr << sockit::explain(sent.error(), "send failed") << "\n";
    std::cout << std::string_view(reinterpret_cast<const char*>(buffer), datagram->size);
    if (datagram->truncated) std::cout << " (cut from " << datagram->real_size << " bytes)";
    std::cout << std::endl;
  }
}
