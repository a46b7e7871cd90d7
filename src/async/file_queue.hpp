// Connection's send_file() queue (private to src/async): shared by connection.cpp, which owns
// and destroys it, and connection_file.cpp, which fills and writes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

#include "sockit/async/connection.hpp"

namespace sockit {

// Files queued by send_file(), each behind `lead` bytes of output_ (counted from the end of
// the file before it, or from the front of output_ for the first).
struct Connection::FileQueue {
  struct File {
    UniqueFd fd;
    std::uint64_t offset = 0;
    std::uint64_t remaining = 0;
    std::size_t lead = 0;
  };
  std::deque<File> files;
  std::size_t tail = 0;     // output_ bytes queued after the last file
  std::uint64_t bytes = 0;  // file bytes not sent yet
};

}  // namespace sockit
