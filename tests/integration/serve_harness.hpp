// Helpers for the tests that run `sockit serve` as a child and attack it from the test process
// (test_faults.cpp, test_abuse.cpp): start a server and learn its port, count a process's
// descriptors and CPU time through /proc, and small blocking-socket clients with deadlines.
// Plain POSIX on purpose: the client side must not share code (or bugs) with the server.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/process.hpp"

namespace sockit::test {

using Ms = std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

/// A running `sockit serve ...` and the port it reported on stderr.
struct ServeChild {
  std::unique_ptr<Process> process;
  int port = 0;
};

/// Starts `sockit serve <args...>` and waits (up to 10 s) for its "sockit: serving ... on
/// HOST:PORT" line. port == 0 when the line never came (the stderr says why).
inline ServeChild start_serve(const std::vector<std::string>& args,
                              const std::vector<std::string>& env = {},
                              const std::vector<std::string>& prefix = {}) {
  std::vector<std::string> argv = prefix;
  argv.push_back(sockit_bin());
  argv.emplace_back("serve");
  argv.insert(argv.end(), args.begin(), args.end());
  ServeChild child;
  child.process = std::make_unique<Process>(argv, env);
  if (child.process->wait_stderr("sockit: serving", Ms(10000)) &&
      child.process->wait_stderr("\n", Ms(2000))) {
    child.port = port_after(child.process->err(), " on ");
  }
  return child;
}

/// Entries in /proc/PID/fd, or -1 when the process is gone.
inline int count_fds(pid_t pid) {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  if (ec) return -1;
  int n = 0;
  for (const auto& entry : it) {
    (void)entry;
    ++n;
  }
  return n;
}

/// "fd -> target" for every descriptor of the process, one per line: what a failed count names.
inline std::string fd_listing(pid_t pid) {
  std::error_code ec;
  std::string out;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    const auto target = std::filesystem::read_symlink(entry.path(), link_ec);
    out += entry.path().filename().string() + " -> " + (link_ec ? "?" : target.string()) + "\n";
  }
  return out;
}

/// The descriptor count of a process that holds still: the smallest of `samples` counts taken
/// 20 ms apart. A sanitizer runtime opens a pipe for a moment (UBSan's dynamic-type check probes
/// memory by writing it into a fresh pipe), so one sample can include two descriptors that are
/// about to close; such descriptors only ever add to a count, never take from it.
inline int settled_fd_count(pid_t pid, int samples = 5) {
  int least = count_fds(pid);
  for (int i = 1; i < samples; ++i) {
    std::this_thread::sleep_for(Ms(20));
    least = std::min(least, count_fds(pid));
  }
  return least;
}

/// Waits until the process has exactly `want` descriptors; returns the last count seen.
inline int wait_fd_count(pid_t pid, int want, Ms timeout) {
  const auto end = SteadyClock::now() + timeout;
  int n = count_fds(pid);
  while (n != want && SteadyClock::now() < end) {
    std::this_thread::sleep_for(Ms(50));
    n = count_fds(pid);
  }
  return n;
}

/// Resident set size in KiB (VmRSS in /proc/PID/status), or -1.
inline long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

/// 64-bit FNV-1a: a cheap content hash to compare long streams in one assertion.
inline std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// ---- a blocking TCP client with deadlines -------------------------------------------------

/// A connected TCP socket to 127.0.0.1:port (or to `host`), optionally from a chosen source
/// address; -1 on failure. The caller owns the descriptor (wrap it in Fd).
inline int tcp_connect(int port, const char* host = "127.0.0.1", const char* source = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (source != nullptr) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &src.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, host, &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Owns a descriptor in a test.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

/// Sends everything (MSG_NOSIGNAL); false on error or when the deadline passes.
inline bool send_all(int fd, std::string_view data, Ms timeout = Ms(10000)) {
  const auto end = SteadyClock::now() + timeout;
  while (!data.empty()) {
    pollfd p{fd, POLLOUT, 0};
    const auto left = std::chrono::duration_cast<Ms>(end - SteadyClock::now()).count();
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// What a read loop ended with.
struct ReadResult {
  std::string data;
  bool eof = false;    ///< the peer closed (orderly or by reset)
  bool reset = false;  ///< ECONNRESET
  bool timeout = false;
};

/// Reads until `stop(data)` holds, EOF, an error, or the deadline.
template <class Stop>
ReadResult read_until(int fd, Stop stop, Ms timeout) {
  ReadResult r;
  const auto end = SteadyClock::now() + timeout;
  char buf[65536];
  while (!stop(r.data)) {
    const auto left = std::chrono::duration_cast<Ms>(end - SteadyClock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
      r.timeout = true;
      break;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) {
      r.eof = true;
      r.reset = n < 0 && errno == ECONNRESET;
      break;
    }
    r.data.append(buf, static_cast<std::size_t>(n));
  }
  return r;
}

/// Reads until at least `bytes` bytes, EOF or the deadline.
inline ReadResult read_bytes(int fd, std::size_t bytes, Ms timeout = Ms(10000)) {
  return read_until(
      fd, [bytes](const std::string& d) { return d.size() >= bytes; }, timeout);
}

/// Reads until the peer closes (or the deadline).
inline ReadResult read_to_eof(int fd, Ms timeout = Ms(10000)) {
  return read_until(
      fd, [](const std::string&) { return false; }, timeout);
}

/// Reads until `needle` has arrived (or EOF / the deadline).
inline ReadResult read_until_text(int fd, std::string_view needle, Ms timeout = Ms(10000)) {
  return read_until(
      fd, [needle](const std::string& d) { return d.find(needle) != std::string::npos; }, timeout);
}

}  // namespace sockit::test
