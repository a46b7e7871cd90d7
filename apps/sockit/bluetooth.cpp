#include "bluetooth.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <system_error>

#include "exit_codes.hpp"
#include "output.hpp"
#include "sockit/net/endpoint.hpp"
#include "sockit/stream/rfcomm.hpp"

namespace sockit::cli {
namespace {

// The kernel's words fit IP better than Bluetooth ("No route to host"); the likely cause says
// what they mean here. Everything else keeps explain()'s generic cause.
std::string_view bluetooth_cause(std::error_code ec) {
  if (ec == std::errc::address_family_not_supported)
    return "this kernel has no Bluetooth sockets: AF_BLUETOOTH is not built in or not loaded";
  if (ec == std::errc::host_unreachable)
    return "no Bluetooth adapter is up, or the device is off or out of range";
  if (ec == std::errc::no_such_device || ec == std::errc::address_not_available)
    return "no Bluetooth adapter has that address on this machine";
  if (ec == std::errc::connection_refused) return "nothing listens on that RFCOMM channel";
  if (ec == std::errc::timed_out) return "the device did not answer";
  return {};
}

int report_bluetooth(std::error_code ec, const std::string& what) {
  const std::string_view cause = bluetooth_cause(ec);
  if (cause.empty()) return report_error(ec, what);
  note(fmt::format("{}: {} ({})", what, ec.message(), cause));
  return exit_code_for(ec);
}

Result<Endpoint> parse_target(std::string_view target, int& exit_code) {
  std::string why;
  auto at = Endpoint::parse(target, &why);
  if (!at) exit_code = usage_error(show_arg(target) + ": " + why);
  return at;
}

}  // namespace

std::string bluetooth_conflicts(std::string_view target, bool has_port, bool udp, bool unix_path,
                                bool family, bool json) {
  if (has_port)
    return fmt::format("{} carries its channel after '/': give no PORT", show_arg(target));
  if (udp || unix_path || family || json)
    return "-u, -U, -4, -6 and --json do not apply to a Bluetooth (bt:) endpoint";
  return {};
}

int connect_bluetooth(std::string_view target, const BridgeOptions& bridge, Deadline deadline,
                      bool check, bool verbose) {
  int code = kExitOk;
  auto to = parse_target(target, code);
  if (!to) return code;
  const std::string what = "cannot connect to " + to->to_string();
  const auto start = Clock::now();
  auto stream = RfcommStream::connect(*to, deadline);
  if (!stream) return report_bluetooth(stream.error(), what);
  if (check) {
    print(fmt::format("connected to {} in {}\n", to->to_string(),
                      format_duration(Clock::now() - start)));
    return kExitOk;
  }
  if (verbose) note("connected to " + to->to_string());
  const Status done = bridge_stream(stream->fd(), bridge);
  return done ? kExitOk : report_bluetooth(done.error(), "connection to " + to->to_string());
}

int listen_bluetooth(std::string_view target, const BridgeOptions& bridge, bool keep,
                     bool verbose) {
  int code = kExitOk;
  auto at = parse_target(target, code);
  if (!at) return code;
  auto listener = RfcommListener::bind(*at);
  if (!listener) return report_bluetooth(listener.error(), "cannot listen on " + at->to_string());
  note("listening on " + listener->local_endpoint().value_or(*at).to_string());
  for (;;) {
    auto client = listener->accept();
    if (!client) return report_bluetooth(client.error(), "cannot accept on " + at->to_string());
    auto peer = client->peer_endpoint();
    const std::string what = "connection from " + (peer ? peer->to_string() : at->to_string());
    if (verbose) note(what);
    const Status done = bridge_stream(client->fd(), bridge);
    if (!keep) return done ? kExitOk : report_bluetooth(done.error(), what);
    if (!done) report_bluetooth(done.error(), what);
  }
}

}  // namespace sockit::cli
