// bench/smtp_load.cpp: the SMTP load driver of bench/smtp.sh (a standalone program: the script
// compiles it with `c++ -O2`, it needs nothing of sockit, so it drives any server the same way).
//
//   smtp_load PORT MESSAGES CONNECTIONS MODE [SIZE] [TIMEOUT_S]
//
// Opens CONNECTIONS connections to 127.0.0.1:PORT, says EHLO on each, then sends MESSAGES
// messages of SIZE octets (default 1024) in all over them, from one epoll loop, and prints
//
//   MESSAGES SECONDS MSG_PER_S CLIENT_US_PER_MSG MODE
//
// MODE lockstep: one command at a time, each reply awaited (what smtplib does). MODE pipeline
// (RFC 2920): MAIL, RCPT and DATA in one write; after the 354 the body, its end and the next
// message's MAIL, RCPT and DATA in one write: one round trip per message. MODE auto: pipeline
// when every EHLO reply advertises PIPELINING, else lockstep.
//
// Every reply code is checked against the one its step expects; a mismatch, a closed
// connection or TIMEOUT_S (default 60) passing ends the run with exit 1. The count printed is the
// number of 250 replies to message bodies and must equal MESSAGES. The clock starts once every
// EHLO is answered. Why C++: a Python loop costs 30-50 us of client CPU per message, more than
// the server it should saturate.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

const std::string kMail = "MAIL FROM:<bench@client.example>\r\n";
const std::string kRcpt = "RCPT TO:<box@server.example>\r\n";
const std::string kData = "DATA\r\n";
const std::string kQuit = "QUIT\r\n";

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "smtp_load: %s\n", what.c_str());
  std::exit(1);
}

// SIZE octets of message (CRLF lines, none starting with '.'), then the end of data.
std::string make_body(std::size_t size) {
  std::string b = "Subject: bench\r\nFrom: bench@client.example\r\n\r\n";
  while (b.size() + 64 <= size)
    b += std::string(62, 'x') + "\r\n";
  b += std::string(size - b.size() - 2, 'y') + "\r\n";
  return b + ".\r\n";
}

struct Expect {
  int code;
  bool counts;  // a 250 to a message body
};

struct Conn {
  int fd = -1;
  std::string in;
  std::deque<Expect> expect;
  int step = 0;  // lockstep: next of MAIL, RCPT, DATA, body; pipeline: 1 after an envelope
  bool quitting = false;
};

double cpu_seconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

void send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n < 0) die(std::string("send: ") + std::strerror(errno));
    off += static_cast<std::size_t>(n);
  }
}

// A whole reply, blocking (greeting and EHLO only): its lines.
std::vector<std::string> read_reply(int fd) {
  std::string data;
  std::vector<std::string> lines;
  char buf[4096];
  for (;;) {
    std::size_t start = 0, end;
    lines.clear();
    while ((end = data.find("\r\n", start)) != std::string::npos) {
      lines.push_back(data.substr(start, end - start));
      const std::string& l = lines.back();
      if (l.size() == 3 || (l.size() > 3 && l[3] == ' ')) return lines;
      start = end + 2;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) die("server closed the connection during the greeting or EHLO");
    data.append(buf, static_cast<std::size_t>(n));
  }
}

int open_conn(int port, bool& pipelining) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    die(std::string("connect: ") + std::strerror(errno));
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (read_reply(fd).back().rfind("220", 0) != 0) die("the greeting is not 220");
  send_all(fd, "EHLO bench.client.example\r\n");
  const auto lines = read_reply(fd);
  if (lines.back().rfind("250", 0) != 0) die("EHLO not answered with 250");
  bool has = false;
  for (const auto& l : lines)
    has |= l.size() >= 14 && strncasecmp(l.c_str() + 4, "PIPELINING", 10) == 0;
  pipelining &= has;
  return fd;
}

struct Run {
  long tickets;
  long accepted = 0;
  bool pipeline;
  std::string body;

  bool take() { return tickets > 0 ? (--tickets, true) : false; }

  std::string next(Conn& c) {
    if (pipeline) {
      std::string out;
      if (c.step == 1) {
        out = body;
        c.expect.push_back({250, true});
      }
      if (take()) {
        c.expect.insert(c.expect.end(), {{250, false}, {250, false}, {354, false}});
        c.step = 1;
        return out + kMail + kRcpt + kData;
      }
      c.expect.push_back({221, false});
      c.quitting = true;
      return out + kQuit;
    }
    const int step = c.step;
    c.step = (c.step + 1) % 4;
    switch (step) {
      case 0:
        if (!take()) {
          c.expect.push_back({221, false});
          c.quitting = true;
          return kQuit;
        }
        c.expect.push_back({250, false});
        return kMail;
      case 1:
        c.expect.push_back({250, false});
        return kRcpt;
      case 2:
        c.expect.push_back({354, false});
        return kData;
      default:
        c.expect.push_back({250, true});
        return body;
    }
  }

  // Consumes the complete replies in c.in; false when one is not the expected code.
  bool replies(Conn& c) {
    std::size_t start = 0, end;
    while ((end = c.in.find("\r\n", start)) != std::string::npos) {
      const char* l = c.in.data() + start;
      const std::size_t len = end - start;
      start = end + 2;
      if (len > 3 && l[3] == '-') continue;  // a multi-line reply goes on
      if (c.expect.empty() || len < 3) return false;
      const int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
      if (code != c.expect.front().code) {
        std::fprintf(stderr, "smtp_load: expected %d, got %.*s\n", c.expect.front().code,
                     static_cast<int>(std::min<std::size_t>(len, 200)), l);
        return false;
      }
      accepted += c.expect.front().counts ? 1 : 0;
      c.expect.pop_front();
    }
    c.in.erase(0, start);
    return true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5)
    die("usage: smtp_load PORT MESSAGES CONNECTIONS auto|lockstep|pipeline [SIZE] [TIMEOUT_S]");
  const int port = std::atoi(argv[1]);
  const long messages = std::atol(argv[2]);
  const int nconn = std::atoi(argv[3]);
  const std::string mode = argv[4];
  const long size = argc > 5 ? std::atol(argv[5]) : 1024;
  const double timeout = argc > 6 ? std::atof(argv[6]) : 60.0;
  if (port <= 0 || port > 65535 || messages < 1 || nconn < 1 || nconn > 1000 || size < 128 ||
      size > (1 << 20) || timeout <= 0 ||
      (mode != "auto" && mode != "lockstep" && mode != "pipeline"))
    die("bad arguments (CONNECTIONS 1..1000, SIZE 128..1048576)");
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout);

  bool pipelining = true;
  std::vector<Conn> conns(static_cast<std::size_t>(nconn));
  for (auto& c : conns)
    c.fd = open_conn(port, pipelining);
  Run run{messages, 0, mode == "pipeline" || (mode == "auto" && pipelining),
          make_body(static_cast<std::size_t>(size))};

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < conns.size(); ++i) {
    epoll_event ev{EPOLLIN, {.u64 = i}};
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    send_all(conns[i].fd, run.next(conns[i]));
  }
  int open = nconn;
  std::vector<epoll_event> events(static_cast<std::size_t>(nconn));
  char buf[65536];
  while (open > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const int n = left.count() <= 0
                      ? 0
                      : epoll_wait(ep, events.data(), nconn, static_cast<int>(left.count()));
    if (n <= 0)
      die("timed out with " + std::to_string(run.accepted) + " of " + std::to_string(messages) +
          " accepted");
    for (int k = 0; k < n; ++k) {
      Conn& c = conns[events[static_cast<std::size_t>(k)].data.u64];
      const ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
      if (got <= 0)
        die("server closed a connection (" + std::to_string(run.accepted) + " accepted)");
      c.in.append(buf, static_cast<std::size_t>(got));
      if (!run.replies(c)) die("unexpected reply");
      if (!c.expect.empty()) continue;
      if (c.quitting) {
        ::close(c.fd);
        --open;
        continue;
      }
      send_all(c.fd, run.next(c));
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  if (run.accepted != messages) die("accepted count differs from messages sent");
  std::printf(
      "%ld %.3f %.0f %.1f %s\n", run.accepted, secs, static_cast<double>(run.accepted) / secs,
      cpu / static_cast<double>(run.accepted) * 1e6, run.pipeline ? "pipeline" : "lockstep");
  return 0;
}
