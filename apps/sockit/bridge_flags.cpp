// The bridge's command-line flags, spelled as ncat spells them where the meaning is the same.
#include <CLI/CLI.hpp>

#include "bridge.hpp"
#include "options.hpp"

namespace sockit::cli {

void BridgeFlags::add_to(CLI::App& cmd) {
  cmd.add_flag("-C,--crlf", crlf, "Send CRLF for every LF read from stdin (line protocols)");
  cmd.add_flag("-x,--hex", hex, "Hex dump of both directions on stderr ('>' sent, '<' received)");
  cmd.add_flag("--trace", trace,
               "Print every send/recv call with the bytes asked for and the bytes moved");
  auto* send = cmd.add_flag("--send-only", send_only, "Only send stdin; ignore received data");
  auto* recv = cmd.add_flag("--recv-only", recv_only, "Only print received data; ignore stdin");
  send->excludes(recv);
  cmd.add_option("--frame", frame,
                 "Send each stdin line as a frame and print each received frame as a line: "
                 "line (LF, or CRLF with -C) or len32 (4-byte big-endian length + payload)")
      ->check(CLI::IsMember({"none", "line", "len32"}));
  auto* keep = cmd.add_flag("--no-shutdown", no_shutdown,
                            "Keep the write side open after stdin ends (no half-close)");
  cmd.add_flag("-N", dash_n_upper,
               "Shut the write side down after stdin ends (OpenBSD nc -N): the default here")
      ->excludes(keep);
  cmd.add_option("-q,--quit-after-eof", quit_after_eof_s,
                 "After stdin ends, wait at most this many seconds for the peer, then exit 0 "
                 "(OpenBSD nc -q; 0: at once)")
      ->check(seconds_check());
}

std::expected<BridgeOptions, std::string> BridgeFlags::options(bool datagram) const {
  if (datagram && frame != "none") {
    return std::unexpected(std::string("--frame is for streams; UDP keeps each datagram whole"));
  }
  BridgeOptions o;
  o.crlf = crlf;
  o.hex = hex;
  o.trace = trace;
  o.send_only = send_only;
  o.recv_only = recv_only;
  o.no_shutdown = no_shutdown;
  if (quit_after_eof_s >= 0) o.quit_after_eof = to_millis(quit_after_eof_s);
  o.frame = frame == "line" ? Frame::line : frame == "len32" ? Frame::len32 : Frame::raw;
  return o;
}

}  // namespace sockit::cli
