// Helpers for the tests that drive the sockit binary and the lecture programs against real
// peers (ncat, socat, nc, python3): free loopback ports and "is the peer listening yet".
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace sockit::test {

/// A port on 127.0.0.1 that was free a moment ago: bind port 0, read it back, close.
inline int free_port(int type = SOCK_STREAM) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0) {
    port = ntohs(sa.sin_port);
  }
  ::close(fd);
  return port;
}

/// True if /proc/net/{tcp,udp} shows a socket bound to 127.0.0.1:port (in LISTEN state for
/// TCP). Looking instead of connecting keeps a one-shot listener (ncat -l) unconsumed.
inline bool is_bound(int port, bool udp) {
  std::ifstream table(udp ? "/proc/net/udp" : "/proc/net/tcp");
  char local[32];
  std::snprintf(local, sizeof local, "0100007F:%04X", port);
  std::string line;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, addr, remote, state;
    fields >> slot >> addr >> remote >> state;
    if (addr == local && (udp || state == "0A")) return true;
  }
  return false;
}

/// Waits (bounded) until something listens on 127.0.0.1:port.
inline bool wait_bound(int port, bool udp = false,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (is_bound(port, udp)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

/// `size` bytes of a pattern that shows misordering and loss (not a repeating short cycle).
inline std::string pattern_bytes(std::size_t size) {
  std::string data(size, '\0');
  std::uint32_t x = 2463534242u;
  for (auto& c : data) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return data;
}

}  // namespace sockit::test
