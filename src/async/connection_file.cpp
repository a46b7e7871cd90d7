// Connection::send_file: file segments queued in order with send() and written with
// sendfile(2) when their turn comes (see connection.hpp).
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <system_error>

#include "async/file_queue.hpp"

namespace sockit {

void Connection::send_file(UniqueFd file, std::uint64_t offset, std::uint64_t length) {
  assert(loop_.in_loop_thread());
  if (closing_ || closed() || write_shut_ || length == 0) return;
  // sendfile(2) writes plain bytes to the socket: through a transport filter (TLS) that would
  // put them on the wire unencrypted and out of the record stream. Fail the connection instead.
  if (filter_ != nullptr) {
    abort(std::make_error_code(std::errc::operation_not_supported));
    return;
  }
  if (!files_) files_ = std::make_unique<FileQueue>();
  const std::size_t lead = files_->files.empty() ? output_.readable_bytes() : files_->tail;
  files_->files.push_back({std::move(file), offset, length, lead});
  files_->tail = 0;
  files_->bytes += length;
  handle_write();
}

// Writes queued output and files in order until all files are sent (true) or the kernel
// would block or the connection failed (false).
bool Connection::write_files() {
  while (files_) {
    auto& f = files_->files.front();
    ssize_t n = 0;
    if (f.lead > 0) {
      const auto data = output_.view().substr(0, f.lead);
      do {
        n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      } while (n < 0 && errno == EINTR);
    } else {
      auto at = static_cast<off_t>(f.offset);
      constexpr std::uint64_t kMaxChunk = std::uint64_t{1} << 30;
      do {
        n = ::sendfile(fd_.get(), f.fd.get(), &at, std::min(f.remaining, kMaxChunk));
      } while (n < 0 && errno == EINTR);
      if (n == 0) errno = EIO;  // the file is shorter than promised: the reply cannot be whole
    }
    if (n <= 0) {
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) abort(sys_error());
      return false;
    }
    const auto sent = static_cast<std::size_t>(n);
    counters_.add_out(sent);
    active_ = true;
    if (f.lead > 0) {
      output_.consume(sent);
      f.lead -= sent;
      continue;
    }
    // A file download in progress is not idleness: the idle deadline restarts while the peer
    // keeps taking file bytes (like nginx's send_timeout), so a long download outlives a
    // keep-alive timeout, while a peer that stops reading still expires.
    last_input_ = loop_.now();
    f.offset += sent;
    f.remaining -= sent;
    files_->bytes -= sent;
    if (f.remaining == 0) {
      files_->files.pop_front();
      if (files_->files.empty()) files_.reset();
    }
  }
  return true;
}

}  // namespace sockit
