// Option pieces several subcommands share: -4/-6, timeouts in seconds, checks of numbers.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "sockit/core/deadline.hpp"
#include "sockit/net/resolver.hpp"

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

/// The longest time any option accepts: one year, in seconds. Longer waits are what 0 (never)
/// is for where an option has it.
inline constexpr std::uint64_t kMaxSeconds = 365ULL * 24 * 3600;

/// Checks an option given in seconds: a finite number from 0 (above 0 when `zero_ok` is false)
/// to kMaxSeconds. CLI11's own number checks let nan and inf through to to_millis(), where they
/// overflow, and write their upper bound as DBL_MAX in full.
CLI::Validator seconds_check(bool zero_ok = true);

/// Checks a whole-number option: digits only, from `least` to `most`. CLI11 alone would read
/// "-1" for an unsigned option as the type's largest value.
CLI::Validator count_check(std::uint64_t least, std::uint64_t most);

/// Checks a rate: a finite number from 0 to `most`.
CLI::Validator rate_check(double most);

/// The longest Unix socket path: sockaddr_un's sun_path less its terminating NUL (an abstract
/// '@name' has the same room: '@' stands for the leading NUL).
inline constexpr std::size_t kMaxUnixPath = 107;

/// Checks a -U path: 1 to kMaxUnixPath bytes. A longer one cannot be bound or reached, and
/// would otherwise fail later as an I/O error that echoes it in full.
CLI::Validator unix_path_check();

/// Seconds as typed on the command line (fractions allowed) to milliseconds.
inline Millis to_millis(double seconds) {
  return Millis(static_cast<Millis::rep>(std::llround(seconds * 1000.0)));
}

}  // namespace sockit::cli
