// bridge_datagram(): the UDP side of the bridge. Datagrams keep their boundaries: one stdin
// read is one datagram out, one datagram in is one write to stdout.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bridge.hpp"
#include "exit_codes.hpp"
#include "framing.hpp"
#include "output.hpp"
#include "sockit/stream/udp.hpp"

namespace sockit::cli {
namespace {

constexpr std::size_t kMaxPayload = 65507;  // the largest UDP payload over IPv4

class DatagramBridge {
 public:
  DatagramBridge(UdpSocket& sock, bool connected, const BridgeOptions& o)
      : sock_(sock), connected_(connected), o_(o), encoder_(Frame::raw, o.crlf) {
    stdin_open_ = !o.recv_only;
  }

  Status run() {
    for (;;) {
      std::array<pollfd, 2> fds{};
      std::size_t count = 0;
      // Without a peer (listen -u before the first datagram) there is nobody to send to yet.
      const bool want_stdin = stdin_open_ && (connected_ || peer_.has_value());
      if (want_stdin) fds[count++] = {STDIN_FILENO, POLLIN, 0};
      if (o_.send_only && !stdin_open_) return {};
      const std::size_t sock_slot = count++;
      // --send-only never prints what arrives, but listen -u must still receive to learn whom
      // to send to: without that it would end at once with nothing sent.
      const bool receive = !o_.send_only || !connected_;
      fds[sock_slot] = {sock_.fd(), static_cast<short>(receive ? POLLIN : 0), 0};
      if (!stdin_open_ && !quit_at_ && o_.quit_after_eof)
        quit_at_ = Clock::now() + *o_.quit_after_eof;
      if (quit_at_ && Clock::now() >= *quit_at_) return {};  // -q: done waiting for replies
      const int rc = ::poll(fds.data(), count, poll_timeout(o_.idle, quit_at_));
      if (rc < 0 && errno == EINTR) continue;
      if (rc < 0) return fail(sys_error());
      // Idle: for UDP the normal way to end. stdin is polled too (once there is a peer), so
      // nothing it had given is left unsent.
      if (rc == 0) return {};
      if (want_stdin && fds[0].revents != 0) {
        if (auto st = on_stdin(); !st) return st;
      }
      if ((fds[sock_slot].revents & (POLLIN | POLLERR)) != 0) {
        if (auto st = on_datagram(); !st) return st;
        if (reader_gone_) return {};
      }
    }
  }

 private:
  Status on_stdin() {
    std::string chunk(kMaxPayload, '\0');
    const ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
    if (n < 0) return errno == EINTR ? Status{} : fail(sys_error());
    if (n == 0) {
      stdin_open_ = false;
      return {};
    }
    chunk.resize(static_cast<std::size_t>(n));
    auto encoded = encoder_.encode(chunk, false);
    if (!encoded) return fail(encoded.error());
    const std::string& wire = *encoded;
    if (o_.hex) std::fputs(out_dump_.rows(wire).c_str(), stderr);
    const auto bytes = std::as_bytes(std::span(wire));
    auto sent = connected_ ? sock_.send(bytes) : sock_.send_to(bytes, *peer_);
    trace(connected_ ? "send" : "send_to", wire.size(),
          sent ? std::to_string(*sent) : sent.error().message());
    return sent ? Status{} : fail(sent.error());
  }

  Status on_datagram() {
    std::vector<std::byte> buffer(kMaxPayload);
    auto got = sock_.recv_from(buffer);
    trace("recv_from", buffer.size(), got ? std::to_string(got->size) : got.error().message());
    if (!got) return fail(got.error());  // connection_refused: ICMP port unreachable
    if (got->truncated) {
      warn(fmt::format("datagram of {} bytes cut to {}", got->real_size, got->size));
    }
    if (!connected_) remember_sender(got->from);
    if (o_.send_only) return {};
    const std::string_view data(reinterpret_cast<const char*>(buffer.data()), got->size);
    if (o_.hex) std::fputs(in_dump_.rows(data).c_str(), stderr);
    auto written = write_all_fd(STDOUT_FILENO, data);
    if (!written && written.error() == std::errc::broken_pipe) {
      reader_gone_ = true;  // whoever read our output has gone (`| head`): a normal end
      return {};
    }
    return written;
  }

  void remember_sender(const Endpoint& from) {
    if (o_.verbose && (!peer_ || !(*peer_ == from))) note("datagram from " + from.to_string());
    peer_ = from;
  }

  void trace(std::string_view call, std::size_t asked, const std::string& result) const {
    if (!o_.trace) return;
    std::fputs(
        fmt::format("sockit: trace: {}(fd {}, {} bytes) = {}\n", call, sock_.fd(), asked, result)
            .c_str(),
        stderr);
  }

  UdpSocket& sock_;
  bool connected_;
  const BridgeOptions& o_;
  FrameEncoder encoder_;
  HexDump out_dump_{'>'};
  HexDump in_dump_{'<'};
  std::optional<Endpoint> peer_;  // listen -u: the last sender, who gets our replies
  bool stdin_open_ = true;
  bool reader_gone_ = false;
  std::optional<Clock::time_point> quit_at_;  // -q: when to stop waiting for replies
};

}  // namespace

Status bridge_datagram(UdpSocket& sock, bool connected, const BridgeOptions& options) {
  return DatagramBridge(sock, connected, options).run();
}

}  // namespace sockit::cli
