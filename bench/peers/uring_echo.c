/* A second floor: a single-threaded echo loop on io_uring's completion API in plain C, with
 * the kernel features that cut system calls and wake-ups the most on this machine's kernel:
 *   - one io_uring_enter per turn submits every send and re-arm and waits for completions;
 *   - multishot recv with a registered ring of provided buffers (no re-arm per message, no
 *     buffer held by an idle connection);
 *   - IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN (completion work runs only inside
 *     our own io_uring_enter, never as an interrupting task_work);
 *   - multishot accept.
 * It answers "what would sockit gain by moving its loop from epoll to io_uring?" without
 * writing that backend first.
 *
 * usage: uring_echo PORT      (0 = let the kernel pick; the bound port is printed on stdout)
 * Listens on 127.0.0.1 only. Each connection has at most one send in flight; received buffers
 * queue behind it in order. When every provided buffer is queued (slow readers), multishot recv
 * ends with ENOBUFS and is re-armed only once buffers come back: bounded memory, like the epoll
 * peer's "stop reading until drained". Exits 1 with a message if io_uring is unavailable. */
#define _GNU_SOURCE
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kBufSize = 16384, kBufCount = 4096, kGroup = 1, kEntries = 4096 };
enum { kAccept = 0, kRecv = 1, kSend = 2 }; /* low bits of user_data */

/* One received buffer waiting to be sent back. A provided buffer belongs to at most one
 * connection at a time, so its chunk lives at the same index: no allocation per message. */
struct chunk {
  struct chunk* next;
  unsigned off, len;
};

struct conn {
  int fd;
  int recv_armed; /* a multishot recv is pending */
  int sending;    /* the head chunk has a send in flight */
  int closing;    /* error seen: close once nothing is in flight */
  int eof;        /* peer half-closed: send back what is queued, then close */
  int starved;    /* recv ended for lack of buffers; on starved_list */
  struct chunk *head, *tail;
};

static struct io_uring ring;
static struct io_uring_buf_ring* bufring;
static char* buffers;
static struct chunk chunks[kBufCount]; /* chunks[bid] describes buffer bid while it is queued */
static int listen_fd;
static struct conn** starved_list; /* connections whose recv ended for lack of buffers */
static size_t starved, starved_cap;
static unsigned returned; /* buffers given back during the current turn */

static struct io_uring_sqe* next_sqe(void) {
  struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  if (sqe == NULL) { /* submission queue full: flush it and take a fresh entry */
    io_uring_submit(&ring);
    sqe = io_uring_get_sqe(&ring);
  }
  return sqe;
}

static void tag(struct io_uring_sqe* sqe, void* p, unsigned kind) {
  io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)p | kind);
}

static unsigned short bid_of(const struct chunk* k) {
  return (unsigned short)(k - chunks);
}

static void return_buffer(unsigned short bid) {
  io_uring_buf_ring_add(bufring, buffers + (size_t)bid * kBufSize, kBufSize, bid,
                        io_uring_buf_ring_mask(kBufCount), 0);
  io_uring_buf_ring_advance(bufring, 1);
  ++returned;
}

static void arm_accept(void) {
  struct io_uring_sqe* sqe = next_sqe();
  io_uring_prep_multishot_accept(sqe, listen_fd, NULL, NULL, SOCK_CLOEXEC);
  tag(sqe, NULL, kAccept);
}

static void arm_recv(struct conn* c) {
  struct io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kGroup;
  tag(sqe, c, kRecv);
  c->recv_armed = 1;
}

static void send_head(struct conn* c) {
  struct chunk* k = c->head;
  struct io_uring_sqe* sqe = next_sqe();
  io_uring_prep_send(sqe, c->fd, buffers + (size_t)bid_of(k) * kBufSize + k->off, k->len - k->off,
                     MSG_NOSIGNAL);
  tag(sqe, c, kSend);
  c->sending = 1;
}

static void maybe_free(struct conn* c) {
  if (!(c->closing || (c->eof && c->head == NULL))) return;
  if (c->recv_armed || c->sending || c->starved) return;
  while (c->head != NULL) {
    struct chunk* k = c->head;
    c->head = k->next;
    return_buffer(bid_of(k));
  }
  close(c->fd);
  free(c);
}

static void on_recv(struct conn* c, int res, unsigned flags) {
  if (!(flags & IORING_CQE_F_MORE)) c->recv_armed = 0;
  if (res > 0) {
    struct chunk* k = &chunks[flags >> IORING_CQE_BUFFER_SHIFT];
    k->next = NULL;
    k->off = 0;
    k->len = (unsigned)res;
    if (c->tail != NULL)
      c->tail->next = k;
    else
      c->head = k;
    c->tail = k;
    if (!c->sending && !c->closing) send_head(c);
  } else if (res == -ENOBUFS) {
    if (starved == starved_cap) {
      starved_cap = starved_cap ? starved_cap * 2 : 64;
      starved_list = realloc(starved_list, starved_cap * sizeof *starved_list);
      if (starved_list == NULL) abort();
    }
    starved_list[starved++] = c;
    c->starved = 1;
    return;
  } else if (res == 0) {
    c->eof = 1;
  } else if (res != -EINTR && res != -EAGAIN) {
    c->closing = 1;
  }
  if (!c->recv_armed && !c->closing && !c->eof) arm_recv(c);
  maybe_free(c);
}

static void on_send(struct conn* c, int res) {
  c->sending = 0;
  if (res < 0 && res != -EINTR && res != -EAGAIN) c->closing = 1;
  if (!c->closing) {
    struct chunk* k = c->head;
    if (res > 0) k->off += (unsigned)res;
    if (k->off == k->len) {
      c->head = k->next;
      if (c->head == NULL) c->tail = NULL;
      return_buffer(bid_of(k));
    }
    if (c->head != NULL) send_head(c);
  }
  maybe_free(c);
}

static void on_accept(int res, unsigned flags) {
  if (res >= 0) {
    int one = 1;
    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn* c = calloc(1, sizeof *c);
    if (c == NULL) {
      close(res);
    } else {
      c->fd = res;
      arm_recv(c);
    }
  }
  if (!(flags & IORING_CQE_F_MORE)) arm_accept();
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PORT\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((unsigned short)atoi(argv[1])),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  if (bind(listen_fd, (struct sockaddr*)&a, sizeof a) != 0 || listen(listen_fd, 4096) != 0 ||
      getsockname(listen_fd, (struct sockaddr*)&a, &alen) != 0) {
    perror("uring_echo: bind/listen");
    return 1;
  }

  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int r = io_uring_queue_init_params(kEntries, &ring, &params);
  if (r != 0) {
    fprintf(stderr, "uring_echo: io_uring_queue_init: %s\n", strerror(-r));
    return 1;
  }
  bufring = mmap(NULL, kBufCount * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
                 MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  buffers = malloc((size_t)kBufCount * kBufSize);
  if (bufring == MAP_FAILED || buffers == NULL) {
    fprintf(stderr, "uring_echo: out of memory\n");
    return 1;
  }
  io_uring_buf_ring_init(bufring);
  struct io_uring_buf_reg reg = {
      .ring_addr = (unsigned long)bufring, .ring_entries = kBufCount, .bgid = kGroup};
  r = io_uring_register_buf_ring(&ring, &reg, 0);
  if (r != 0) {
    fprintf(stderr, "uring_echo: io_uring_register_buf_ring: %s\n", strerror(-r));
    return 1;
  }
  for (unsigned i = 0; i < kBufCount; ++i)
    return_buffer((unsigned short)i);

  printf("%d\n", ntohs(a.sin_port));
  fflush(stdout);
  arm_accept();
  for (;;) {
    r = io_uring_submit_and_wait(&ring, 1);
    if (r < 0 && r != -EINTR) {
      fprintf(stderr, "uring_echo: io_uring_enter: %s\n", strerror(-r));
      return 1;
    }
    struct io_uring_cqe* cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      ++seen;
      uint64_t data = cqe->user_data;
      void* p = (void*)(uintptr_t)(data & ~(uint64_t)3);
      switch ((unsigned)(data & 3)) {
        case kAccept:
          on_accept(cqe->res, cqe->flags);
          break;
        case kRecv:
          on_recv(p, cqe->res, cqe->flags);
          break;
        case kSend:
          on_send(p, cqe->res);
          break;
      }
    }
    io_uring_cq_advance(&ring, seen);
    /* Buffers came back this turn: let the starved connections read again. */
    while (returned > 0 && starved > 0) {
      struct conn* c = starved_list[--starved];
      c->starved = 0;
      if (c->closing || c->eof)
        maybe_free(c);
      else
        arm_recv(c);
    }
    returned = 0;
  }
}
