// Connection::send_file: file segments queued in order with send() and written with
// sendfile(2) when their turn comes (see connection.hpp); through a filter (TLS), read in
// chunks and passed through it as the socket drains.
//
// A file's lead (the reply header queued before it) goes out with MSG_MORE: the bytes wait in
// the kernel for the sendfile(2) that follows, so that a reply's header leaves in one full
// segment with the file's first bytes. Alone in a small segment it costs the receiver a wakeup
// of its own and, on Linux, hides the request-to-reply delay from the receiver's RTT estimate
// (the header, not the first full-sized segment, carries the echoed timestamp): its
// receive-buffer autotuning then stays small, and most of the file moves in small
// window-limited bursts clocked by the reader's ACKs (measured: 1 MiB files at 0.8x nginx,
// whose tcp_nopush corks the header the same way). MSG_MORE is per call: nothing stays corked
// past the sendfile (or, if the socket is full, past the ACKs that free it).
#include <algorithm>
#include <cassert>
#include <system_error>

#include "async/file_queue.hpp"
#include "sockit/sys/io.hpp"
#include "sockit/sys/sendfile.hpp"
#include "sys/stream_io.hpp"

namespace sockit {

void Connection::send_file(UniqueFd file, std::uint64_t offset, std::uint64_t length,
                           std::string_view head) {
  assert(loop_.in_loop_thread());
  if (closing_ || closed() || write_shut_) return;
  if (length == 0 || filter_ != nullptr || !output_idle()) {
    // Queued output goes first anyway (write_files corks the lead before a file), and through
    // a filter the head is a record of its own.
    if (!head.empty()) send(head);
    if (length == 0 || closing_ || closed()) return;
  } else if (!head.empty()) {
    const ssize_t n = stream_io::transmit_more(fd_.get(), head);
    if (n < 0 && !stream_io::would_block(n)) {
      abort(sys_error(static_cast<int>(-n)));
      return;
    }
    const auto sent = n > 0 ? static_cast<std::size_t>(n) : std::size_t{0};
    counters_.add_out(sent);
    output_.append(head.substr(sent));  // the rest (socket full) leads the file
  }
  if (!files_) files_ = std::make_unique<FileQueue>();
  // Through a filter, output_ holds wire bytes that all precede the file: no lead to count.
  const std::size_t lead =
      filter_ != nullptr ? 0 : (files_->files.empty() ? output_.readable_bytes() : files_->tail);
  files_->files.push_back({std::move(file), offset, length, lead, {}});
  files_->tail = 0;
  files_->bytes += length;
  handle_write();
}

// Writes queued output and files in order until all files are sent (true) or the kernel
// would block or the connection failed (false).
bool Connection::write_files() {
  while (files_) {
    auto& f = files_->files.front();
    std::size_t sent = 0;
    if (f.lead > 0) {
      const ssize_t n = stream_io::transmit_more(fd_.get(), output_.view().substr(0, f.lead));
      if (n < 0) {
        if (!stream_io::would_block(n)) abort(sys_error(static_cast<int>(-n)));
        return false;
      }
      sent = static_cast<std::size_t>(n);
    } else {
      constexpr std::uint64_t kMaxChunk = std::uint64_t{1} << 30;
      std::uint64_t at = f.offset;  // advanced below, from what was sent
      const auto n = try_sendfile(fd_.get(), f.fd.get(), at,
                                  static_cast<std::size_t>(std::min(f.remaining, kMaxChunk)));
      if (!n) {
        if (!would_block(n.error())) abort(n.error());
        return false;
      }
      if (*n == 0) {  // the file is shorter than promised: the reply cannot be whole
        abort(sys_error(EIO));
        return false;
      }
      sent = *n;
    }
    if (sent == 0) return false;  // a zero-byte send of a non-empty lead: try again when writable
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

namespace {

// sendfile(2) would put plain bytes on the wire past a filter (TLS), so a filtered connection
// reads its files into this per-thread area and passes them through the filter instead, a
// chunk at a time: four TLS records' worth per read, and only while less than kFilteredFill
// wire bytes wait, so a large file never sits in memory whole.
constexpr std::size_t kFileChunk = 64 * 1024;
constexpr std::size_t kFilteredFill = 64 * 1024;
thread_local Buffer t_file_chunk{kFileChunk};

}  // namespace

// Turns queued files (and what was sent after them) into wire bytes in output_ until enough
// wait there. Returns false when the connection failed (a file shorter than promised, an
// unreadable file, a filter error).
bool Connection::fill_filtered_files() {
  // Before the filter is ready (TLS handshake) its send() would only hold the bytes.
  if (!filter_->ready()) return true;
  while (files_ && output_.readable_bytes() < kFilteredFill) {
    auto& f = files_->files.front();
    if (f.remaining > 0) {
      const auto room = t_file_chunk.writable();
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(f.remaining, room.size()));
      const ssize_t n = stream_io::read_file_at(f.fd.get(), room.first(want), f.offset);
      if (n <= 0) {
        // 0: the file is shorter than promised, and the reply cannot be whole.
        abort(sys_error(n == 0 ? EIO : static_cast<int>(-n)));
        return false;
      }
      const auto got = static_cast<std::size_t>(n);
      const Status sent =
          filter_->send(std::string_view(reinterpret_cast<const char*>(room.data()), got), output_);
      if (!sent) {
        fail_filtered(sent.error());
        return false;
      }
      // The peer is taking the file: not idleness (see write_files).
      last_input_ = loop_.now();
      f.offset += got;
      f.remaining -= got;
      files_->bytes -= got;
      continue;
    }
    if (!f.after.empty()) {
      const Status sent = filter_->send(f.after, output_);
      if (!sent) {
        fail_filtered(sent.error());
        return false;
      }
      files_->bytes -= f.after.size();
    }
    files_->files.pop_front();
    if (files_->files.empty()) {
      const bool close_filter = files_->close_filter;
      files_.reset();
      if (close_filter) filter_->close(output_);  // close_notify after the last file byte
    }
  }
  return true;
}

}  // namespace sockit
