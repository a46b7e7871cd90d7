/* The floor: a single-threaded, level-triggered epoll echo loop in plain C, with no abstraction
 * at all. Whatever sockit's server costs above this is the price of its design.
 *
 * usage: epoll_echo PORT      (0 = let the kernel pick; the bound port is printed on stdout)
 * Listens on 127.0.0.1 only. Reads up to 64 KiB and writes it straight back; when the socket
 * cannot take everything, the rest is kept per connection and the connection stops reading
 * until it has drained (so a slow reader cannot make the server buffer without bound). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kBuf = 65536, kEvents = 256 };

struct conn {
  int fd;
  size_t off, len; /* unsent bytes: buf[off, len) */
  char* buf;       /* allocated only while output is pending */
};

static int ep;
static char scratch[kBuf];

static void drop(struct conn* c) {
  close(c->fd); /* also removes it from the epoll set */
  free(c->buf);
  free(c);
}

static void set_events(struct conn* c, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sends buf[off, len); returns 0 when all is out, 1 when some is left, -1 on error. */
static int flush(struct conn* c, const char* data, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t n = send(c->fd, data + off, len - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return -1;
    }
    off += (size_t)n;
  }
  if (off == len) return 0;
  if (c->buf == NULL) c->buf = malloc(kBuf);
  if (c->buf == NULL) return -1;
  memmove(c->buf, data + off, len - off);
  c->off = 0;
  c->len = len - off;
  return 1;
}

static void on_event(struct conn* c, unsigned events) {
  if (c->len > c->off) { /* draining earlier output */
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int r = flush(c, c->buf + c->off, c->len - c->off);
    if (r < 0) return drop(c);
    if (r == 0) {
      c->off = c->len = 0;
      set_events(c, EPOLLIN);
    }
    return;
  }
  ssize_t n = recv(c->fd, scratch, kBuf, 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return drop(c);
  if (n < 0) return;
  int r = flush(c, scratch, (size_t)n);
  if (r < 0) return drop(c);
  if (r == 1) set_events(c, EPOLLOUT);
}

static void on_accept(int lfd) {
  for (int i = 0; i < 64; ++i) { /* bounded batch per wakeup */
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn* c = calloc(1, sizeof *c);
    if (c == NULL) {
      close(fd);
      continue;
    }
    c->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) drop(c);
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((unsigned short)atoi(argv[1])),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  if (bind(lfd, (struct sockaddr*)&a, sizeof a) != 0 || listen(lfd, 4096) != 0 ||
      getsockname(lfd, (struct sockaddr*)&a, &alen) != 0) {
    perror("epoll_echo: bind/listen");
    return 1;
  }
  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  struct epoll_event evs[kEvents];
  for (;;) {
    int n = epoll_wait(ep, evs, kEvents, -1);
    for (int i = 0; i < n; ++i) {
      if (evs[i].data.ptr == NULL) {
        on_accept(lfd);
      } else {
        on_event(evs[i].data.ptr, evs[i].events);
      }
    }
  }
}
