// The sys layer may call the kernel (layers.syscalls_check_catches_calls; never compiled).
long g(int fd, char* p) {
  return ::send(fd, p, 1, MSG_NOSIGNAL);
}
