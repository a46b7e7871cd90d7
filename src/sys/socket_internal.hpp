// Set-up steps shared by the socket classes in src/ (tcp.cpp, unix.cpp). Private to the library.
#pragma once

#include <cerrno>
#include <utility>

#include "sockit/core/error.hpp"
#include "sockit/sys/fd.hpp"

namespace sockit::detail {

/// What every Stream::from_fd() does before wrapping a descriptor it is handed: refuse an empty
/// one (EBADF) and make it O_NONBLOCK, since every blocking call waits with poll().
inline Result<UniqueFd> adopt_stream_fd(UniqueFd fd) {
  if (!fd) return fail(sys_error(EBADF));
  if (auto nb = set_nonblocking(fd.get(), true); !nb) return fail(nb.error());
  return fd;
}

}  // namespace sockit::detail
