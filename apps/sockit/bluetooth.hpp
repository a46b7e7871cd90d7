// `connect` and `listen` on a Bluetooth RFCOMM endpoint ("bt:AA:BB:CC:DD:EE:FF/CHANNEL").
// Kept apart from connect.cpp and listen.cpp: the IP and Unix paths there stay as they are.
#pragma once

#include <string>
#include <string_view>

#include "bridge.hpp"
#include "sockit/core/deadline.hpp"

namespace sockit::cli {

/// The flags a Bluetooth target cannot combine with (a port, -u, -U, -4, -6, --json), as the
/// usage error to print; "" when the combination is fine.
std::string bluetooth_conflicts(std::string_view target, bool has_port, bool udp, bool unix_path,
                                bool family, bool json);

/// `sockit connect bt:...`: connects and bridges stdin/stdout, or with `check` only connects and
/// says so. Returns the exit code (usage errors for bad text, exit_code_for() otherwise).
int connect_bluetooth(std::string_view target, const BridgeOptions& bridge, Deadline deadline,
                      bool check, bool verbose);

/// `sockit listen bt:...`: binds, announces, accepts one client (`keep`: one after another).
int listen_bluetooth(std::string_view target, const BridgeOptions& bridge, bool keep, bool verbose);

}  // namespace sockit::cli
