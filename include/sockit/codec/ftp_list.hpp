// Directory listings, sans-I/O: one line in, one entry out.
//
//   MLSD/MLST (RFC 3659)  "type=file;size=1024;modify=20261206120000; name with spaces"
//   LIST, Unix style      "-rw-r--r--   1 owner group  1024 Dec  6 12:00 name with spaces"
//                         (group may be missing; "Dec  6  2025" for older files; symlinks end
//                         "name -> target")
//   LIST, DOS style       "12-06-26  12:00PM  <DIR>  name" / "12-06-2026  09:30AM  1024 name"
//
// LIST has no standard: a line no format matches (e.g. "total 8") comes back with
// parsed == false and the line itself in `raw`, never dropped. Names keep every byte after the
// separator, spaces included.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sockit/core/error.hpp"

namespace sockit {

enum class FtpEntryType : std::uint8_t { unknown, file, directory, link, other };
std::string_view to_string(FtpEntryType t) noexcept;

/// A listing's time as the server gave it. LIST's recent-file form has no year (year == 0);
/// DOS and MLSD give no seconds or no time zone respectively: MLSD times are UTC (RFC 3659),
/// LIST times are the server's local time.
struct FtpTime {
  int year = 0;  ///< 0 when the listing omitted it
  int month = 0, day = 0, hour = 0, minute = 0, second = 0;
  bool has_time = false;  ///< false for "Dec  6  2025" (a date only)
  bool operator==(const FtpTime&) const = default;
};

struct FtpEntry {
  bool parsed = false;  ///< false: `raw` holds a line no format matched
  std::string raw;      ///< the line as received
  std::string name;
  FtpEntryType type = FtpEntryType::unknown;
  std::optional<std::uint64_t> size;
  std::optional<FtpTime> time;
  std::string link_target;                                 ///< Unix LIST "a -> b"
  std::vector<std::pair<std::string, std::string>> facts;  ///< MLSD facts, names lower-cased
  bool operator==(const FtpEntry&) const = default;
};

/// A LIST line in either format; unmatched lines are returned with parsed == false.
FtpEntry parse_list_line(std::string_view line);

/// An MLSD/MLST entry line. Errc::malformed_frame when it lacks the "; " before the name or a
/// fact is not "name=value;".
[[nodiscard]] Result<FtpEntry> parse_mlsx_line(std::string_view line);

/// "YYYYMMDDHHMMSS[.sss]" (RFC 3659 time-val, also the MDTM reply); std::nullopt otherwise.
std::optional<FtpTime> parse_ftp_timeval(std::string_view text) noexcept;

/// Seconds since 1970 (UTC) for a time with a year; std::nullopt without one.
std::optional<std::int64_t> to_unix_seconds(const FtpTime& t) noexcept;

}  // namespace sockit
