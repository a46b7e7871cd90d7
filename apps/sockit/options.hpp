// Option pieces several subcommands share: -4/-6, timeouts in seconds.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>

#include "sockit/deadline.hpp"
#include "sockit/resolver.hpp"

namespace sockit::cli {

/// -4 / -6, as in nc, ncat and curl.
struct FamilyFlags {
  bool v4 = false;
  bool v6 = false;
  void add_to(CLI::App& cmd) {
    auto* four = cmd.add_flag("-4", v4, "IPv4 only");
    auto* six = cmd.add_flag("-6", v6, "IPv6 only");
    four->excludes(six);
  }
  FamilyHint hint() const { return v4 ? FamilyHint::v4 : v6 ? FamilyHint::v6 : FamilyHint::any; }
};

/// Seconds as typed on the command line (fractions allowed) to milliseconds.
inline Millis to_millis(double seconds) {
  return Millis(static_cast<Millis::rep>(std::llround(seconds * 1000.0)));
}

}  // namespace sockit::cli
