// The lecture's client for the multi-threaded server (minute 75-80): connect to
// 127.0.0.1:1233, print the welcome, then read a line, send it, and print the answer, forever
// (until stdin ends). The answer to "<text>" is "Hello I am server: <text>", so the client
// knows its length and reads exactly that much, even when it arrives in pieces.
//
//   usage: lecture_threaded_client [PORT]     (default 1233, as in the lecture)
#include <cstddef>
#include <iostream>
#include <span>
#include <string>
#include <string_view>

#include "sockit/stream/io.hpp"
#include "sockit/stream/tcp.hpp"

namespace {

/// Receives exactly `size` bytes as text.
sockit::Result<std::string> receive(sockit::TcpStream& stream, std::size_t size) {
  std::string text(size, '\0');
  auto got = sockit::recv_exact(stream, std::as_writable_bytes(std::span(text)),
                                sockit::Deadline::after(sockit::Millis(10000)));
  if (!got) return sockit::fail(got.error());
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  std::string port = "1233";
  if (argc > 1) {
    if (!sockit::parse_port(argv[1]))
      return std::cerr << "usage: lecture_threaded_client [PORT]\n", 2;
    port = argv[1];
  }
  std::cout << "Waiting for connection" << std::endl;
  auto client_socket = sockit::TcpStream::connect("127.0.0.1", port);
  if (!client_socket) {
    std::cout << client_socket.error().message() << std::endl;  // print(str(e))
    return 1;
  }
  constexpr std::string_view kWelcome = "Welcome to the Server";
  constexpr std::string_view kPrefix = "Hello I am server: ";
  auto response = receive(*client_socket, kWelcome.size());
  if (!response) return std::cout << response.error().message() << std::endl, 1;
  std::cout << *response << std::endl;

  std::string input;
  while (true) {
    std::cout << "Say something: " << std::flush;
    if (!std::getline(std::cin, input)) break;
    if (input.empty()) continue;  // nothing to send, and nothing would come back
    auto sent = sockit::send_all(*client_socket, input);
    if (!sent) return std::cout << sent.error().message() << std::endl, 1;
    response = receive(*client_socket, kPrefix.size() + input.size());
    if (!response) return std::cout << response.error().message() << std::endl, 1;
    std::cout << *response << std::endl;
  }
  return 0;
}
