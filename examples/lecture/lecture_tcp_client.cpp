// The lecture's TCP client (minute 40-49): connect to 127.0.0.1:12345, send "Hey Server",
// print the answer, and ask whether to send more. The server answers every message with
// "Hey client", so the client reads exactly that many bytes: a reply that arrives in pieces
// is put back together instead of being printed half.
//
//   usage: lecture_tcp_client [PORT]     (default 12345, as in the lecture)
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <span>
#include <string>

#include "sockit/stream/io.hpp"
#include "sockit/stream/tcp.hpp"

int main(int argc, char** argv) {
  std::string port = "12345";
  if (argc > 1) {
    if (!sockit::parse_port(argv[1])) return std::cerr << "usage: lecture_tcp_client [PORT]\n", 2;
    port = argv[1];
  }
  // client_socket.connect(("127.0.0.1", 12345))
  auto client_socket = sockit::TcpStream::connect("127.0.0.1", port);
  if (!client_socket) {
    std::cerr << sockit::explain(client_socket.error(), "connect failed") << "\n";
    return 1;
  }

  constexpr std::string_view kReply = "Hey client";
  std::string payload = "Hey Server";
  while (true) {
    auto sent = sockit::send_all(*client_socket, payload);
    if (!sent) return std::cerr << sockit::explain(sent.error(), "send failed") << "\n", 1;

    std::string data(kReply.size(), '\0');
    auto got = sockit::recv_exact(*client_socket, std::as_writable_bytes(std::span(data)));
    if (!got) return std::cerr << sockit::explain(got.error(), "receive failed") << "\n", 1;
    std::cout << data << std::endl;

    std::string more;
    std::cout << "Want to send more data to the server? (y/n) " << std::flush;
    if (!std::getline(std::cin, more)) break;
    std::transform(more.begin(), more.end(), more.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (more != "y" && more != "yes") break;
    std::cout << "Enter payload: " << std::flush;
    if (!std::getline(std::cin, payload) || payload.empty()) break;
  }
  return 0;  // client_socket.close() happens in the destructor
}
