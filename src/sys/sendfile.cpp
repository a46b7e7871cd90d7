// sendfile(2) for stream sockets (sys/sendfile.hpp).
#include "sockit/sys/sendfile.hpp"

#include <sys/sendfile.h>
#include <sys/types.h>

#include <algorithm>
#include <cerrno>
#include <limits>

#include "sockit/sys/fd.hpp"
#include "sockit/sys/io.hpp"

namespace sockit {

Result<std::size_t> try_sendfile(int sock, int file, std::uint64_t& offset, std::size_t count) {
  // Linux moves at most 0x7ffff000 bytes per call; asking for less keeps off_t arithmetic safe.
  constexpr std::size_t kMaxPerCall = std::size_t{1} << 30;
  if (offset > static_cast<std::uint64_t>(std::numeric_limits<off_t>::max()))
    return fail(sys_error(EOVERFLOW));
  auto at = static_cast<off_t>(offset);
  for (;;) {
    const ssize_t n = ::sendfile(sock, file, &at, std::min(count, kMaxPerCall));
    if (n >= 0) {
      offset = static_cast<std::uint64_t>(at);
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) return fail(sys_error());
  }
}

Result<std::size_t> sendfile_some(int sock, int file, std::uint64_t& offset, std::size_t count,
                                  Millis idle) {
  // Each call asks for all that is left: the kernel takes what fits in the socket buffer, so
  // there is no fixed chunk and no copy of ours; we only wait when the buffer is full.
  std::size_t sent = 0;
  while (sent < count) {
    auto n = try_sendfile(sock, file, offset, count - sent);
    if (n && *n == 0) break;  // the end of the file
    if (n) {
      sent += *n;
      continue;
    }
    if (!would_block(n.error())) return fail(n.error());
    if (auto ready = wait_ready(sock, Ready::write, Deadline::after_or_never(idle)); !ready)
      return fail(ready.error());
  }
  return sent;
}

}  // namespace sockit
