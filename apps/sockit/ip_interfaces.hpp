// `sockit ip` without arguments: the interface list, like `ip addr`, plus default gateways.
#pragma once

namespace sockit::cli {

/// Prints every interface with its addresses (prefix, class) and the default gateways;
/// returns an exit code.
int run_interfaces(bool as_json);

}  // namespace sockit::cli
