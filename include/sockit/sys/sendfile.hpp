// sendfile(2): a file's bytes straight from the page cache to a socket, without a copy through
// user space and without a buffer of ours (the FTP client's plain uploads use it).
//
// Thread rule: reentrant; one socket must not be written from two threads at once.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sockit/core/deadline.hpp"
#include "sockit/core/error.hpp"

namespace sockit {

/// One sendfile(2) of up to `count` bytes of `file` from `offset` to `sock`, never waiting
/// (a non-blocking socket that is full gives "would block", see sys/io.hpp's would_block()).
/// Advances `offset` by the bytes sent and returns them; 0 means the file ends at `offset`.
/// The file's own position is neither used nor moved. EINTR is retried.
[[nodiscard]] Result<std::size_t> try_sendfile(int sock, int file, std::uint64_t& offset,
                                               std::size_t count);

/// Sends up to `count` bytes of `file` from `offset` over the non-blocking socket `sock`,
/// waiting for room until `idle` passes without progress (Errc::deadline_passed). Returns the
/// bytes sent: fewer than `count` only when the file ended. `offset` ends where sending stopped,
/// also on failure.
[[nodiscard]] Result<std::size_t> sendfile_some(int sock, int file, std::uint64_t& offset,
                                                std::size_t count, Millis idle);

}  // namespace sockit
