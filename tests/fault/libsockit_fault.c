// libsockit_fault.so: a test-only LD_PRELOAD interposer that makes socket I/O misbehave the way
// real networks and kernels are allowed to, so that tests can prove sockit copes:
//
//   short  a read or write moves 1 byte instead of what was asked (stream sockets only: a
//          datagram cannot be cut without losing data, and the kernel never does that)
//   eintr  the call fails with EINTR before doing anything
//   eagain the call fails with EAGAIN before doing anything, only where a caller must already
//          handle it: O_NONBLOCK descriptors or MSG_DONTWAIT calls, and never on a descriptor
//          registered with EPOLLET (a made-up EAGAIN there would swallow the edge that the
//          kernel will not send again, which no real kernel does)
//
// Intercepted: send sendto sendmsg write writev recv recvfrom recvmsg read readv accept accept4
// splice (judged by its socket end: the server's kernel echo splices socket <-> pipe)
// (and the _FORTIFY_SOURCE variants of read/recv/recvfrom). Only sockets are touched unless
// SOCKIT_FAULT_ALL_FDS=1, so stdio pipes, eventfds and files behave normally.
//
// Environment:
//   SOCKIT_FAULT_SEED   seed of the decision sequence (default 1)
//   SOCKIT_FAULT_RATE   probability that an eligible call gets a fault, 0..1 (default 0.2)
//   SOCKIT_FAULT_KINDS  comma list of short,eintr,eagain (default all three)
//   SOCKIT_FAULT_FIRST  warm-up (default 6): each kind is injected at the first N/3 calls that
//                       allow it, whatever the rate, so that even a short run meets every kind
//   SOCKIT_FAULT_ALL_FDS=1  also fault non-socket descriptors (short/eintr only on pipes)
//   SOCKIT_FAULT_STATS  path of a file that receives shared counters (struct FaultStats below:
//                       six little-endian uint64: calls seen, eligible, short, eintr, eagain,
//                       reserved); several processes may share one file.
//
// Decisions come from one counter-based generator (splitmix64 of seed + call number), so a
// single-threaded run is reproducible from its seed; with threads the order of calls varies.
// Not seen: io_uring submissions and raw syscall(2), which bypass libc.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

enum { kShort = 1, kEintr = 2, kEagain = 4 };
enum { kMaxTrackedFd = 1 << 16 };

struct FaultStats {
  _Atomic uint64_t calls;
  _Atomic uint64_t eligible;
  _Atomic uint64_t shorts;
  _Atomic uint64_t eintrs;
  _Atomic uint64_t eagains;
  _Atomic uint64_t reserved;
};

static struct {
  uint64_t seed;
  double rate;
  uint64_t first;
  int kinds;
  int all_fds;
  struct FaultStats* stats;
  ssize_t (*send)(int, const void*, size_t, int);
  ssize_t (*sendto)(int, const void*, size_t, int, const struct sockaddr*, socklen_t);
  ssize_t (*sendmsg)(int, const struct msghdr*, int);
  ssize_t (*write)(int, const void*, size_t);
  ssize_t (*writev)(int, const struct iovec*, int);
  ssize_t (*recv)(int, void*, size_t, int);
  ssize_t (*recvfrom)(int, void*, size_t, int, struct sockaddr*, socklen_t*);
  ssize_t (*recvmsg)(int, struct msghdr*, int);
  ssize_t (*splice)(int, loff_t*, int, loff_t*, size_t, unsigned int);
  ssize_t (*read)(int, void*, size_t);
  ssize_t (*readv)(int, const struct iovec*, int);
  int (*accept)(int, struct sockaddr*, socklen_t*);
  int (*accept4)(int, struct sockaddr*, socklen_t*, int);
  int (*epoll_ctl)(int, int, int, struct epoll_event*);
} g;

static _Atomic uint64_t g_counter;
static _Atomic uint64_t g_injected[3];  // this process's short / eintr / eagain counts
static _Atomic unsigned char g_edge_triggered[kMaxTrackedFd];
static struct FaultStats g_local_stats;  // used when SOCKIT_FAULT_STATS is not set
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void* next_symbol(const char* name) {
  return dlsym(RTLD_NEXT, name);
}

static int parse_kinds(const char* text) {
  if (text == NULL || *text == '\0') return kShort | kEintr | kEagain;
  int kinds = 0;
  if (strstr(text, "short") != NULL) kinds |= kShort;
  if (strstr(text, "eintr") != NULL) kinds |= kEintr;
  if (strstr(text, "eagain") != NULL) kinds |= kEagain;
  return kinds;
}

static struct FaultStats* map_stats(const char* path) {
  if (path == NULL || *path == '\0') return &g_local_stats;
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return &g_local_stats;
  void* p = MAP_FAILED;
  if (ftruncate(fd, (off_t)sizeof(struct FaultStats)) == 0) {
    p = mmap(NULL, sizeof(struct FaultStats), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  }
  close(fd);
  return p == MAP_FAILED ? &g_local_stats : (struct FaultStats*)p;
}

static void init(void) {
  const char* seed = getenv("SOCKIT_FAULT_SEED");
  const char* rate = getenv("SOCKIT_FAULT_RATE");
  const char* all = getenv("SOCKIT_FAULT_ALL_FDS");
  g.seed = seed != NULL ? strtoull(seed, NULL, 0) : 1;
  g.rate = rate != NULL ? strtod(rate, NULL) : 0.2;
  const char* first = getenv("SOCKIT_FAULT_FIRST");
  g.first = first != NULL ? strtoull(first, NULL, 0) : 6;
  g.kinds = parse_kinds(getenv("SOCKIT_FAULT_KINDS"));
  g.all_fds = all != NULL && strcmp(all, "1") == 0;
  g.stats = map_stats(getenv("SOCKIT_FAULT_STATS"));
  g.send = next_symbol("send");
  g.sendto = next_symbol("sendto");
  g.sendmsg = next_symbol("sendmsg");
  g.write = next_symbol("write");
  g.writev = next_symbol("writev");
  g.recv = next_symbol("recv");
  g.recvfrom = next_symbol("recvfrom");
  g.recvmsg = next_symbol("recvmsg");
  g.splice = next_symbol("splice");
  g.read = next_symbol("read");
  g.readv = next_symbol("readv");
  g.accept = next_symbol("accept");
  g.accept4 = next_symbol("accept4");
  g.epoll_ctl = next_symbol("epoll_ctl");
}

static void ensure_init(void) {
  pthread_once(&g_once, init);
}

__attribute__((constructor)) static void init_at_load(void) {
  ensure_init();
}

static uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// What the descriptor allows us to inject. Saves and restores errno: the probes must not
// change what the caller sees.
static int allowed_kinds(int fd, int flags, int is_accept) {
  if (fd < 0) return 0;
  int saved = errno;
  int kinds = 0;
  struct stat st;
  if (fstat(fd, &st) == 0) {
    int is_socket = S_ISSOCK(st.st_mode);
    if (is_socket || g.all_fds) {
      kinds = kEintr;
      int type = 0;
      socklen_t len = sizeof type;
      int stream = !is_socket ||
                   (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM);
      if (stream && !is_accept) kinds |= kShort;
      int fl = fcntl(fd, F_GETFL);
      int nonblocking = (fl >= 0 && (fl & O_NONBLOCK)) || (flags & MSG_DONTWAIT);
      int edge = fd < kMaxTrackedFd && atomic_load(&g_edge_triggered[fd]);
      if (is_socket && nonblocking && !edge) kinds |= kEagain;
    }
  }
  errno = saved;
  return kinds & g.kinds;
}

// 0 = no fault, else one of kShort/kEintr/kEagain, chosen among `allowed`.
// `len` is the byte count asked for: a 1-byte call cannot be cut shorter.
static int decide(int fd, int flags, int is_accept, size_t len) {
  ensure_init();
  atomic_fetch_add(&g.stats->calls, 1);
  int allowed = allowed_kinds(fd, flags, is_accept);
  if (len <= 1) allowed &= ~kShort;
  if (allowed == 0) return 0;
  atomic_fetch_add(&g.stats->eligible, 1);
  uint64_t call = atomic_fetch_add(&g_counter, 1);
  uint64_t r = splitmix64(g.seed * 0x100000001b3ULL + call);
  int choices[3];
  int n = 0;
  if (allowed & kShort) choices[n++] = kShort;
  if (allowed & kEintr) choices[n++] = kEintr;
  if (allowed & kEagain) choices[n++] = kEagain;
  // Warm-up: while an allowed kind has been injected fewer than FIRST/3 times in this process,
  // fault the call with the least-injected such kind (so an accept loop, which cannot take a
  // short count, does not use up the warm-up of the reads and writes that follow).
  int pick = -1;
  for (int i = 0; i < n; ++i) {
    uint64_t done = atomic_load(&g_injected[choices[i] >> 1]);
    if (done * 3 < g.first && (pick < 0 || done < atomic_load(&g_injected[choices[pick] >> 1])))
      pick = i;
  }
  if (pick < 0) {
    if ((double)(r >> 11) * 0x1p-53 >= g.rate) return 0;
    pick = (int)((r & 0xff) % (uint64_t)n);
  }
  int kind = choices[pick];
  atomic_fetch_add(&g_injected[kind >> 1], 1);
  if (kind == kShort) atomic_fetch_add(&g.stats->shorts, 1);
  if (kind == kEintr) atomic_fetch_add(&g.stats->eintrs, 1);
  if (kind == kEagain) atomic_fetch_add(&g.stats->eagains, 1);
  return kind;
}

static ssize_t fail_with(int kind) {
  errno = kind == kEintr ? EINTR : EAGAIN;
  return -1;
}

// The first byte of an iovec array, as a one-element array (for 1-byte short counts).
static int first_byte(const struct iovec* iov, int iovcnt, struct iovec* one) {
  for (int i = 0; i < iovcnt; ++i) {
    if (iov[i].iov_len > 0) {
      one->iov_base = iov[i].iov_base;
      one->iov_len = 1;
      return 1;
    }
  }
  return 0;
}

static size_t total_len(const struct iovec* iov, int iovcnt) {
  size_t n = 0;
  for (int i = 0; i < iovcnt; ++i)
    n += iov[i].iov_len;
  return n;
}

ssize_t send(int fd, const void* buf, size_t len, int flags) {
  ensure_init();
  int kind = len > 0 ? decide(fd, flags, 0, len) : 0;
  if (kind == kShort) return g.send(fd, buf, 1, flags);
  if (kind == kEintr || kind == kEagain) return fail_with(kind);
  return g.send(fd, buf, len, flags);
}

ssize_t sendto(int fd, const void* buf, size_t len, int flags, const struct sockaddr* addr,
               socklen_t addrlen) {
  ensure_init();
  int kind = len > 0 ? decide(fd, flags, 0, len) : 0;
  if (kind == kShort) return g.sendto(fd, buf, 1, flags, addr, addrlen);
  if (kind == kEintr || kind == kEagain) return fail_with(kind);
  return g.sendto(fd, buf, len, flags, addr, addrlen);
}

ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  ensure_init();
  int kind = decide(fd, flags, 0, total_len(msg->msg_iov, (int)msg->msg_iovlen));
  struct iovec one;
  if (kind == kShort && first_byte(msg->msg_iov, (int)msg->msg_iovlen, &one)) {
    struct msghdr copy = *msg;
    copy.msg_iov = &one;
    copy.msg_iovlen = 1;
    return g.sendmsg(fd, &copy, flags);
  }
  if (kind == kEintr || kind == kEagain) return fail_with(kind);
  return g.sendmsg(fd, msg, flags);
}

ssize_t write(int fd, const void* buf, size_t len) {
  ensure_init();
  int kind = len > 0 ? decide(fd, 0, 0, len) : 0;
  if (kind == kShort) return g.write(fd, buf, 1);
  if (kind == kEintr || kind == kEagain) return fail_with(kind);
  return g.write(fd, buf, len);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  ensure_init();
  int kind = decide(fd, 0, 0, total_len(iov, iovcnt));
  struct iovec one;
  if (kind == kShort && first_byte(iov, iovcnt, &one)) {
    return g.writev(fd, &one, 1);
  }
  if (kind == kEintr || kind == kEagain) return fail_with(kind);
  return g.writev(fd, iov, iovcnt);
}

ssize_t recv(int fd, void* buf, size_t len, int flags) {
  ensure_init();
  int kind = len > 0 ? decide(fd, flags, 0, len) : 0;
  if (kind == kShort) return g.recv(fd, buf, 1, flags);
  if (kind == kEintr || kind == kEagain) return fail_with(kind);
  return g.recv(fd, buf, len, flags);
}

ssize_t recvfrom(int fd, void* buf, size_t len, int flags, struct sockaddr* addr,
                 socklen_t* addrlen) {
  ensure_init();
  int kind = len > 0 ? decide(fd, flags, 0, len) : 0;
  if (kind == kShort) return g.recvfrom(fd, buf, 1, flags, addr, addrlen);
  if (kind == kEintr || kind == kEagain) return fail_with(kind);
  return g.recvfrom(fd, buf, len, flags, addr, addrlen);
}

ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  ensure_init();
  int kind = decide(fd, flags, 0, total_len(msg->msg_iov, (int)msg->msg_iovlen));
  struct iovec one;
  if (kind == kShort && first_byte(msg->msg_iov, (int)msg->msg_iovlen, &one)) {
    struct msghdr copy = *msg;
    copy.msg_iov = &one;
    copy.msg_iovlen = 1;
    ssize_t n = g.recvmsg(fd, &copy, flags);
    msg->msg_namelen = copy.msg_namelen;
    msg->msg_controllen = copy.msg_controllen;
    msg->msg_flags = copy.msg_flags;
    return n;
  }
  if (kind == kEintr || kind == kEagain) return fail_with(kind);
  return g.recvmsg(fd, msg, flags);
}

static int is_socket_fd(int fd) {
  int saved = errno;
  struct stat st;
  int yes = fd >= 0 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
  errno = saved;
  return yes;
}

ssize_t splice(int fd_in, loff_t* off_in, int fd_out, loff_t* off_out, size_t len,
               unsigned int flags) {
  ensure_init();
  int fd = is_socket_fd(fd_in) ? fd_in : fd_out;
  int kind = len > 0 ? decide(fd, (flags & SPLICE_F_NONBLOCK) ? MSG_DONTWAIT : 0, 0, len) : 0;
  if (kind == kShort) return g.splice(fd_in, off_in, fd_out, off_out, 1, flags);
  if (kind == kEintr || kind == kEagain) return fail_with(kind);
  return g.splice(fd_in, off_in, fd_out, off_out, len, flags);
}

ssize_t read(int fd, void* buf, size_t len) {
  ensure_init();
  int kind = len > 0 ? decide(fd, 0, 0, len) : 0;
  if (kind == kShort) return g.read(fd, buf, 1);
  if (kind == kEintr || kind == kEagain) return fail_with(kind);
  return g.read(fd, buf, len);
}

ssize_t readv(int fd, const struct iovec* iov, int iovcnt) {
  ensure_init();
  int kind = decide(fd, 0, 0, total_len(iov, iovcnt));
  struct iovec one;
  if (kind == kShort && first_byte(iov, iovcnt, &one)) {
    return g.readv(fd, &one, 1);
  }
  if (kind == kEintr || kind == kEagain) return fail_with(kind);
  return g.readv(fd, iov, iovcnt);
}

int accept(int fd, struct sockaddr* addr, socklen_t* addrlen) {
  ensure_init();
  int kind = decide(fd, 0, 1, 0);
  if (kind == kEintr || kind == kEagain) return (int)fail_with(kind);
  return g.accept(fd, addr, addrlen);
}

int accept4(int fd, struct sockaddr* addr, socklen_t* addrlen, int flags) {
  ensure_init();
  int kind = decide(fd, 0, 1, 0);
  if (kind == kEintr || kind == kEagain) return (int)fail_with(kind);
  return g.accept4(fd, addr, addrlen, flags);
}

// Remembers which descriptors are edge-triggered (see the header comment on EAGAIN).
int epoll_ctl(int epfd, int op, int fd, struct epoll_event* event) {
  ensure_init();
  if (fd >= 0 && fd < kMaxTrackedFd) {
    if (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) {
      atomic_store(&g_edge_triggered[fd], event != NULL && (event->events & EPOLLET) != 0);
    }
  }
  return g.epoll_ctl(epfd, op, fd, event);
}

// _FORTIFY_SOURCE builds call these instead of read/recv/recvfrom.
extern void __chk_fail(void) __attribute__((noreturn));

ssize_t __read_chk(int fd, void* buf, size_t len, size_t buflen) {
  if (len > buflen) __chk_fail();
  return read(fd, buf, len);
}

ssize_t __recv_chk(int fd, void* buf, size_t len, size_t buflen, int flags) {
  if (len > buflen) __chk_fail();
  return recv(fd, buf, len, flags);
}

ssize_t __recvfrom_chk(int fd, void* buf, size_t len, size_t buflen, int flags,
                       struct sockaddr* addr, socklen_t* addrlen) {
  if (len > buflen) __chk_fail();
  return recvfrom(fd, buf, len, flags, addr, addrlen);
}
