// Descriptor helpers of the sys layer: waiting for readiness, O_NONBLOCK, counting open
// descriptors. UniqueFd itself is in core/unique_fd.hpp (the net layer owns descriptors too).
#pragma once

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"
#include "sockit/core/unique_fd.hpp"

namespace sockit {

/// Readiness wanted by wait_ready(); may be combined with |.
enum class Ready : short { read = 1, write = 2, read_write = 3 };

/// Blocks until `fd` is ready for `what` or the deadline passes (std::errc::timed_out).
/// EINTR is retried with the remaining time. Error/hang-up conditions count as ready so that
/// the caller's next call reports the actual error.
[[nodiscard]] Status wait_ready(int fd, Ready what, Deadline deadline);

/// Sets or clears O_NONBLOCK.
[[nodiscard]] Status set_nonblocking(int fd, bool on);

/// The process's open-descriptor count (entries in /proc/self/fd), for leak checks.
[[nodiscard]] Result<int> count_open_fds();

}  // namespace sockit
