// The lecture's first program (minute 23-30): create a TCP socket, ask for a host and a port,
// try to connect, and say whether it worked and, if not, why.
//
//   $ lecture_connect_check
//   Socket created
//   Enter the target host name to connect: www.abc.invalid
//   Enter the target port number: 80
//   Failed to connect to www.abc.invalid on port number 80
//   Reason: Name or service not known
#include <sys/socket.h>

#include <iostream>
#include <string>

#include "sockit/net/resolver.hpp"
#include "sockit/sys/socket.hpp"

int main() {
  // socket.socket(AF_INET, SOCK_STREAM)
  auto sock = sockit::open_socket(AF_INET, SOCK_STREAM);
  if (!sock) {
    std::cout << "Socket creation failed. Reason: " << sock.error().message() << "\n";
    return 1;
  }
  std::cout << "Socket created\n";

  std::string target_host, target_port;
  std::cout << "Enter the target host name to connect: " << std::flush;
  std::getline(std::cin, target_host);
  std::cout << "Enter the target port number: " << std::flush;
  std::getline(std::cin, target_port);

  // sock.connect((target_host, int(target_port))): the name becomes an IPv4 address first.
  sockit::ResolveOptions options;
  options.family = sockit::FamilyHint::v4;
  options.deadline = sockit::Deadline::after(sockit::Millis(10000));
  sockit::Status connected = [&]() -> sockit::Status {
    auto port = sockit::parse_port(target_port);
    if (!port) return sockit::fail(port.error());
    auto endpoints = sockit::resolve(target_host, target_port, options);
    if (!endpoints) return sockit::fail(endpoints.error());
    auto address = endpoints->front().to_sockaddr();
    if (!address) return sockit::fail(address.error());
    return sockit::connect_socket(sock->get(), *address, options.deadline);
  }();

  if (!connected) {
    std::cout << "Failed to connect to " << target_host << " on port number " << target_port
              << "\nReason: " << connected.error().message() << "\n";
    return 1;
  }
  std::cout << "Socket connected to " << target_host << " on port number " << target_port << "\n";
  (void)sockit::shutdown(sock->get(), sockit::ShutdownHow::both);  // sock.shutdown(2)
  return 0;
}
