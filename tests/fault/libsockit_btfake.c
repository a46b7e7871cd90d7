// libsockit_btfake.so: a test-only LD_PRELOAD shim that stands in for a kernel WITH Bluetooth
// sockets but WITHOUT an adapter, so that tests can see sockit's "no device" errors on machines
// whose kernel lacks AF_BLUETOOTH. It never pretends to connect or bind:
//
//   socket(AF_BLUETOOTH, type, proto)  a real AF_UNIX socket of that type (flags kept)
//   connect(fd, AF_BLUETOOTH address)  fails with SOCKIT_BTFAKE_CONNECT_ERRNO (default
//   EHOSTUNREACH) bind(fd, AF_BLUETOOTH address)     fails with SOCKIT_BTFAKE_BIND_ERRNO (default
//   ENODEV)
//
// Each intercepted call appends one line to the file named by SOCKIT_BTFAKE_LOG, showing what
// the program handed the kernel: "socket TYPE PROTO" and "connect|bind LEN XX:XX:XX:XX:XX:XX
// CHANNEL", the six bdaddr bytes in memory order (reversed from how they are written).
// Everything else goes to libc untouched.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

enum { kAfBluetooth = 31 };

static void log_line(const char* text) {
  const char* path = getenv("SOCKIT_BTFAKE_LOG");
  if (path == NULL) return;
  FILE* f = fopen(path, "a");
  if (f == NULL) return;
  fputs(text, f);
  fclose(f);
}

static int errno_from_env(const char* name, int fallback) {
  const char* text = getenv(name);
  return text != NULL ? atoi(text) : fallback;
}

static int fail_bluetooth(const char* call, const struct sockaddr* sa, socklen_t len, int err) {
  const unsigned char* b = (const unsigned char*)sa;
  char line[96];
  if (len >= 9) {
    snprintf(line, sizeof line, "%s %u %02X:%02X:%02X:%02X:%02X:%02X %u\n", call, (unsigned)len,
             b[2], b[3], b[4], b[5], b[6], b[7], b[8]);
  } else {
    snprintf(line, sizeof line, "%s %u short\n", call, (unsigned)len);
  }
  log_line(line);
  errno = err;
  return -1;
}

int socket(int domain, int type, int protocol) {
  int (*real)(int, int, int) = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
  if (domain != kAfBluetooth) return real(domain, type, protocol);
  char line[64];
  snprintf(line, sizeof line, "socket %d %d\n", type & 0xf, protocol);
  log_line(line);
  return real(AF_UNIX, type, 0);
}

int connect(int fd, const struct sockaddr* sa, socklen_t len) {
  int (*real)(int, const struct sockaddr*, socklen_t) =
      (int (*)(int, const struct sockaddr*, socklen_t))dlsym(RTLD_NEXT, "connect");
  if (sa == NULL || sa->sa_family != kAfBluetooth) return real(fd, sa, len);
  return fail_bluetooth("connect", sa, len,
                        errno_from_env("SOCKIT_BTFAKE_CONNECT_ERRNO", EHOSTUNREACH));
}

int bind(int fd, const struct sockaddr* sa, socklen_t len) {
  int (*real)(int, const struct sockaddr*, socklen_t) =
      (int (*)(int, const struct sockaddr*, socklen_t))dlsym(RTLD_NEXT, "bind");
  if (sa == NULL || sa->sa_family != kAfBluetooth) return real(fd, sa, len);
  return fail_bluetooth("bind", sa, len, errno_from_env("SOCKIT_BTFAKE_BIND_ERRNO", ENODEV));
}
