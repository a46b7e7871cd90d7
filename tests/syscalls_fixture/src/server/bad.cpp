// Deliberate offenders for the layers.syscalls_check_catches_calls test (never compiled): the
// check must name lines 10 and 11, and nothing else in this tree.
int Client::send(int message);  // a member named send: not a call through ::
void f(int fd, char* p) {
  // ::send(fd, p, 1, 0) in a comment is no call
  (void)raw::send(fd, p, 1);
  (void)tls->recv(fd, p, 1);
  (void)::read(fd, p, 1);  // plain reads and writes are out of scope
  (void)::write(fd, p, 1);
  (void)::recv(fd, p, 1, MSG_PEEK);
  (void)::accept4(fd, nullptr, nullptr, 0);
}
