// Connection's send_file() queue (private to src/async): shared by connection.cpp, which owns
// and destroys it, and connection_file.cpp, which fills and writes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "sockit/async/connection.hpp"

namespace sockit {

// Files queued by send_file(). Plain path: each behind `lead` bytes of output_ (counted from
// the end of the file before it, or from the front of output_ for the first), sent with
// sendfile(2). Filtered path (TLS): output_ holds wire bytes, so what the owner sends after a
// file waits in plain form in that file's `after` until the file has gone through the filter,
// and the filter's own close (close_notify) waits for the last file (`close_filter`).
struct Connection::FileQueue {
  struct File {
    UniqueFd fd;
    std::uint64_t offset = 0;
    std::uint64_t remaining = 0;
    std::size_t lead = 0;
    std::string after;  // filtered path only
  };
  std::deque<File> files;
  std::size_t tail = 0;       // output_ bytes queued after the last file
  std::uint64_t bytes = 0;    // file bytes not sent yet (filtered: plus the `after` bytes)
  bool close_filter = false;  // filtered: close() came while files were queued
};

}  // namespace sockit
