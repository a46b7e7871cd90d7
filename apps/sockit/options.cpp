#include "options.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "output.hpp"

namespace sockit::cli {
namespace {

// The whole of `text` as a finite number; false for anything else (empty, trailing junk, nan,
// inf, out of double's range).
bool parse_finite(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return errno == 0 && end == text.c_str() + text.size() && std::isfinite(out);
}

}  // namespace

CLI::Validator seconds_check(bool zero_ok) {
  return CLI::Validator(
      [zero_ok](std::string& text) -> std::string {
        double value = 0;
        const bool ok = parse_finite(text, value) && value <= static_cast<double>(kMaxSeconds) &&
                        (zero_ok ? value >= 0 : value > 0);
        if (ok) return {};
        return fmt::format("must be a number of seconds {} {}, not {}",
                           zero_ok ? "from 0 to" : "above 0, up to", kMaxSeconds, quote_arg(text));
      },
      "");
}

CLI::Validator count_check(std::uint64_t least, std::uint64_t most) {
  return CLI::Validator(
      [least, most](std::string& text) -> std::string {
        const bool digits = !text.empty() && text.size() <= 20 &&
                            text.find_first_not_of("0123456789") == std::string::npos;
        if (digits) {
          errno = 0;
          const unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
          if (errno == 0 && value >= least && value <= most) return {};
        }
        return fmt::format("must be a whole number from {} to {}, not {}", least, most,
                           quote_arg(text));
      },
      "");
}

CLI::Validator rate_check(double most) {
  return CLI::Validator(
      [most](std::string& text) -> std::string {
        double value = 0;
        if (parse_finite(text, value) && value >= 0 && value <= most) return {};
        return fmt::format("must be a number from 0 to {}, not {}", most, quote_arg(text));
      },
      "");
}

CLI::Validator unix_path_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (!text.empty() && text.size() <= kMaxUnixPath) return {};
        return fmt::format("must be a path of 1 to {} bytes, not {}", kMaxUnixPath,
                           quote_arg(text));
      },
      "");
}

}  // namespace sockit::cli
