// The lecture's UDP client (minute 58-61): send "Hello UDP server" to 127.0.0.1:12345 and print
// the answer. Unlike the original it does not wait forever: UDP may lose the datagram.
//
//   usage: lecture_udp_client [PORT]     (default 12345, as in the lecture)
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
    if (!p) return std::cerr << "usage: lecture_udp_client [PORT]\n", 2;
    port = *p;
  }
  auto client_socket = sockit::UdpSocket::open(sockit::Family::v4);
  if (!client_socket)
    return std::cerr << sockit::explain(client_socket.error(), "socket") << "\n", 1;

  constexpr std::string_view kMessage = "Hello UDP server";
  const sockit::Endpoint server(sockit::IPv4Address::loopback(), port);
  auto sent = client_socket->send_to(std::as_bytes(std::span(kMessage)), server);
  if (!sent) return std::cerr << sockit::explain(sent.error(), "send failed") << "\n", 1;

  std::byte buffer[4096];
  auto datagram = client_socket->recv_from(buffer, sockit::Deadline::after(sockit::Millis(5000)));
  if (!datagram) return std::cerr << sockit::explain(datagram.error(), "no answer") << "\n", 1;
  std::cout << "Server says\n"
            << std::string_view(reinterpret_cast<const char*>(buffer), datagram->size) << std::endl;
  return 0;
}
