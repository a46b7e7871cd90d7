// Uploads: STOR/APPE from a Source (any bytes), or from a file, read in 256 KiB chunks and
// sent from our buffer; a plain data connection in TYPE I can instead hand the file to
// sendfile(2) (ClientOptions::sendfile): no copy of ours and no fixed chunk.
//
// The copy is the default because of the server's side. Over loopback sendfile makes the
// server's recv() copy straight out of our page-cache pages (4 KiB fragments no CPU touched
// lately) where a copied send hands it 32 KiB fragments we have just written: vsftpd pinned to
// one core spent 0.76-0.78 s of CPU per GB behind sendfile and 0.65-0.68 s behind our copies
// (curl's: 0.69-0.72, lftp's: 0.66-0.70). That core is what limits an upload (busy 98-99% of
// it), and sendfile went at 0.87-0.91x the best of curl and lftp where the copy went at
// 1.02-1.03x (bench/ftp.sh, two runs of 15). The copy costs the client 0.36-0.37 s of CPU per
// GB to sendfile's 0.08-0.09, still less than curl (0.40-0.41) or lftp (0.46-0.48). 64 KiB
// chunks measured the same as 256 KiB.
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "ftp/ascii.hpp"
#include "ftp/state.hpp"
#include "sockit/stream/io.hpp"
#include "sockit/sys/sendfile.hpp"

namespace sockit::ftp {
namespace {

constexpr std::size_t kChunk = 256 * 1024;
// sendfile moves this much between two progress reports (a few per second at loopback speed).
constexpr std::size_t kSendfileRound = 64 * 1024 * 1024;

// Our end of an upload: close_notify (TLS) and FIN, then read until the server closes too.
// Closing at once would leave what the server sent unread (a TLS 1.3 server sends session
// tickets on the data connection), and close() with unread bytes sends a reset that makes the
// server drop the end of the file still in its receive buffer (vsftpd: "426 Failure reading
// network stream").
Status end_upload(Client::State& s, Channel& ch) {
  if (auto st = ch.shutdown(ShutdownHow::write, s.data_deadline()); !st) return st;
  std::array<std::byte, 4096> sink{};
  for (int i = 0; i < 1024; ++i) {  // the server has nothing to send: a few records at most
    auto n = ch.read_some(sink, s.data_deadline());
    if (!n || *n == 0) break;  // its close, or a cut: the 226 decides either way
  }
  return {};
}

Status pump_out(Client::State& s, Channel& ch, const Source& source) {
  std::vector<std::byte> buf(kChunk);
  std::vector<std::byte> wire;
  AsciiEncoder ascii;
  for (;;) {
    auto n = source(buf);
    if (!n) return fail(n.error());
    if (*n == 0) return end_upload(s, ch);
    std::span<const std::byte> data = std::span(buf).first(*n);
    if (s.options.ascii) {
      wire.clear();
      ascii.encode(data, wire);
      data = wire;
    }
    std::size_t sent = 0;
    auto st = send_all(ch, data, s.data_deadline(), &sent);
    s.transferred += sent;
    s.progress();
    if (!st) return st;
  }
}

// The file from `offset` to its end.
Status pump_file(Client::State& s, Channel& ch, int fd, std::uint64_t offset) {
  if (ch.tls_session() == nullptr && !s.options.ascii && s.options.sendfile) {
    for (;;) {
      const std::uint64_t before = offset;
      auto n = sendfile_some(ch.tcp().fd(), fd, offset, kSendfileRound, s.options.data_timeout);
      s.transferred += offset - before;
      s.progress();
      if (!n) return fail(n.error());
      if (*n < kSendfileRound) return end_upload(s, ch);
    }
  }
  // TLS has to encrypt the bytes and TYPE A to convert them: both read the file themselves,
  // as a plain upload does by default.
  const Source source = [&](std::span<std::byte> b) -> Result<std::size_t> {
    for (;;) {
      const ssize_t n = ::pread(fd, b.data(), b.size(), static_cast<off_t>(offset));
      if (n >= 0) {
        offset += static_cast<std::uint64_t>(n);
        return static_cast<std::size_t>(n);
      }
      if (errno != EINTR) return fail(sys_error());
    }
  };
  return pump_out(s, ch, source);
}

// STOR/APPE with the data connection open, `pump` moving the bytes.
template <class Pump>
Result<TransferResult> store_with(Client::State& s, std::string_view path, bool append,
                                  Pump&& pump) {
  s.transferred = 0;
  if (auto typed = s.set_type(); !typed) return fail(typed.error());
  auto pending = prepare_data(s);
  if (!pending) return fail(pending.error());
  auto ch = open_data(s, std::move(*pending), (append ? "APPE " : "STOR ") + std::string(path));
  if (!ch) return fail(ch.error());
  Status pumped = pump(*ch);
  *ch = Channel();
  TransferResult out;
  out.bytes = s.transferred;
  out.expected = s.expected;
  if (auto done = finish_transfer(s, pumped); !done) return fail(done.error());
  return out;
}

}  // namespace

Result<TransferResult> Client::store(std::string_view path, const Source& source, bool append) {
  State& s = *s_;
  s.expected.reset();
  return store_with(s, path, append, [&](Channel& ch) { return pump_out(s, ch, source); });
}

Result<TransferResult> Client::store_file(std::string_view path, int fd, std::uint64_t offset,
                                          bool append) {
  State& s = *s_;
  s.expected.reset();
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail(sys_error());
  if (!S_ISREG(st.st_mode)) return fail(sys_error(EINVAL));  // sendfile and pread need a file
  const auto size = static_cast<std::uint64_t>(st.st_size);
  // In TYPE A the wire count differs from the file's: no total to show then.
  if (!s.options.ascii) s.expected = size > offset ? size - offset : 0;
  return store_with(s, path, append, [&](Channel& ch) { return pump_file(s, ch, fd, offset); });
}

}  // namespace sockit::ftp
