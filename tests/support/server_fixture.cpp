#include "support/server_fixture.hpp"

#include <fcntl.h>

#include <cerrno>

namespace sockit::test {
namespace {

using Clock = std::chrono::steady_clock;

int connect_loopback(std::uint16_t port, bool nonblocking, const char* source = nullptr,
                     int rcvbuf = 0) {
  const int type = SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
  const int fd = ::socket(AF_INET, type, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (source != nullptr) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int remaining_ms(Clock::time_point end) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// One scripted connection, driven by a poll loop together with many others.
struct Conn {
  const Script* script = nullptr;
  int fd = -1;
  std::size_t step = 0;  // 0 = greeting, then 1..steps
  std::size_t sent = 0;
  std::string in;
  bool write_shut = false;
  bool done = false;
  std::string error;

  const std::string& expect() const {
    return step == 0 ? script->greeting : script->steps[step - 1].second;
  }
  const std::string* to_send() const {
    if (step == 0 || step > script->steps.size()) return nullptr;
    return &script->steps[step - 1].first;
  }
  void fail(std::string why) {
    error = std::move(why);
    done = true;
  }
  // Moves through steps whose expectation is met.
  void advance() {
    while (!done && step <= script->steps.size() && in.size() >= expect().size()) {
      if (const std::string* out = to_send(); out != nullptr && sent < out->size()) return;
      if (in.compare(0, expect().size(), expect()) != 0) {
        fail("step " + std::to_string(step) + ": got '" + in.substr(0, 80) + "', want '" +
             expect().substr(0, 80) + "'");
        return;
      }
      in.erase(0, expect().size());
      ++step;
      sent = 0;
    }
    if (!done && step > script->steps.size() && !write_shut) {
      ::shutdown(fd, SHUT_WR);
      write_shut = true;
    }
  }
  short wanted() const {
    const std::string* out = to_send();
    return static_cast<short>(POLLIN | (out != nullptr && sent < out->size() ? POLLOUT : 0));
  }
  void on_writable() {
    const std::string* out = to_send();
    if (out == nullptr || sent >= out->size()) return;
    const ssize_t n = ::send(fd, out->data() + sent, out->size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      if (sent == out->size()) advance();  // a step that expects nothing is complete now
    }
    if (n < 0 && errno != EAGAIN) fail(std::string("send: ") + std::strerror(errno));
  }
  void on_readable() {
    char buf[16384];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      in.append(buf, static_cast<std::size_t>(n));
      advance();
      if (step > script->steps.size() && !in.empty())
        fail("extra bytes: '" + in.substr(0, 80) + "'");
    } else if (n == 0) {
      if (step > script->steps.size()) {
        done = true;
      } else {
        fail("EOF at step " + std::to_string(step) + " with '" + in.substr(0, 80) + "'");
      }
    } else if (errno != EAGAIN) {
      fail(std::string("recv: ") + std::strerror(errno));
    }
  }
};

void drive(std::vector<Conn>& conns, std::uint16_t port, Clock::time_point end) {
  for (auto& c : conns) {
    c.fd = connect_loopback(port, true);
    if (c.fd < 0) c.fail(std::string("connect: ") + std::strerror(errno));
    if (!c.done) c.advance();  // an empty greeting is met at once
  }
  std::vector<pollfd> fds;
  std::vector<Conn*> who;
  for (;;) {
    fds.clear();
    who.clear();
    for (auto& c : conns) {
      if (c.done) continue;
      fds.push_back(pollfd{c.fd, c.wanted(), 0});
      who.push_back(&c);
    }
    if (fds.empty()) return;
    const int left = remaining_ms(end);
    if (left == 0) {
      for (auto* c : who)
        c->fail("timed out at step " + std::to_string(c->step));
      return;
    }
    if (::poll(fds.data(), fds.size(), std::min(left, 200)) < 0 && errno != EINTR) return;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & POLLOUT) != 0) who[i]->on_writable();
      if (!who[i]->done && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        who[i]->on_readable();
      }
    }
  }
}

}  // namespace

LoadOutcome run_clients(std::uint16_t port, const std::vector<Script>& scripts, std::size_t threads,
                        std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  std::vector<std::vector<Conn>> groups(threads);
  for (std::size_t i = 0; i < scripts.size(); ++i) {
    Conn c;
    c.script = &scripts[i];
    groups[i % threads].push_back(std::move(c));
  }
  std::vector<std::thread> workers;
  for (auto& g : groups)
    workers.emplace_back([&g, port, end] { drive(g, port, end); });
  for (auto& w : workers)
    w.join();
  LoadOutcome out;
  for (auto& g : groups) {
    for (auto& c : g) {
      if (c.fd >= 0) ::close(c.fd);
      if (c.error.empty()) {
        ++out.ok;
      } else {
        ++out.failed;
        if (out.first_error.empty()) out.first_error = c.error;
      }
    }
  }
  return out;
}

// ---- Client ----------------------------------------------------------------------------------

Client::Client(std::uint16_t port, const char* source, int rcvbuf)
    : fd_(connect_loopback(port, false, source, rcvbuf)) {}
Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

bool Client::send(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void Client::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

std::string Client::read_until(std::string_view needle, std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  std::string got = std::exchange(pending_, {});
  for (;;) {
    if (auto at = got.find(needle); at != std::string::npos) {
      pending_ = got.substr(at + needle.size());
      got.resize(at + needle.size());
      return got;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(end)) <= 0) return got;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return got;
    got.append(buf, static_cast<std::size_t>(n));
  }
}

std::string Client::read_exact(std::size_t n, std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  std::string got = std::exchange(pending_, {});
  while (got.size() < n) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(end)) <= 0) break;
    char buf[4096];
    const ssize_t r = ::recv(fd_, buf, std::min(sizeof buf, n - got.size()), 0);
    if (r <= 0) break;
    got.append(buf, static_cast<std::size_t>(r));
  }
  return got;
}

std::pair<std::string, bool> Client::read_to_eof(std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  std::string got = std::exchange(pending_, {});
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(end)) <= 0) return {got, false};
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return {got, true};
    got.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace sockit::test
