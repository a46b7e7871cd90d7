#include "sockit/sys/fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace sockit {

Status wait_ready(int fd, Ready what, Deadline deadline) {
  short events = 0;
  if (static_cast<short>(what) & static_cast<short>(Ready::read)) events |= POLLIN;
  if (static_cast<short>(what) & static_cast<short>(Ready::write)) events |= POLLOUT;
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, deadline.poll_timeout_ms());
    if (n > 0) return {};
    if (n == 0) return fail(Errc::deadline_passed);
    if (errno != EINTR) return fail(sys_error());
  }
}

Status set_nonblocking(int fd, bool on) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return fail(sys_error());
  int wanted = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (wanted != flags && ::fcntl(fd, F_SETFL, wanted) < 0) return fail(sys_error());
  return {};
}

Result<int> count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fail(sys_error());
  int count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory stream's own descriptor
}

}  // namespace sockit
