// Output helpers shared by the subcommands: JSON documents on stdout, hex dumps on stderr,
// durations for people.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sockit/core/error.hpp"

namespace sockit::cli {

/// How much of one argument a message echoes; the rest is left out and counted.
inline constexpr std::size_t kEchoLimit = 100;

/// Text from the command line as a message may echo it: in single quotes, with control bytes
/// and malformed UTF-8 escaped as "\\ooo" (sockit::visible_text, the chat's rule), cut after
/// kEchoLimit bytes as "'<first 100 bytes>...' (100000 bytes)". Keeps every error on one short
/// line, whatever was typed.
std::string quote_arg(std::string_view text);

/// `text` bare when it is short and plain (printable, no spaces or quotes), as the existing
/// messages show hosts ("cannot connect to example.com port 80"); quote_arg(text) otherwise.
std::string show_arg(std::string_view text);

/// A whole message made safe for one line of stderr: any control byte left in it (from a
/// library's reason or the OS) escaped, and at most kLineLimit bytes kept.
inline constexpr std::size_t kLineLimit = 1024;
std::string one_line(std::string_view message);

/// Writes `doc` to stdout, indented by two, followed by a newline.
void print_json(const nlohmann::json& doc);

/// Writes `text` to stdout as is.
void print(std::string_view text);

/// Writes all of `data` to descriptor `fd`, retrying short writes and EINTR.
Status write_all_fd(int fd, std::string_view data);

/// "12.3 ms" / "850 us" / "1.20 s": a duration at a readable scale.
std::string format_duration(std::chrono::nanoseconds d);

/// A hex dump of one direction of a conversation, in the classic 16-bytes-a-row layout with a
/// direction marker: "> 00000000  68 65 6c 6c 6f 0a        |hello.|". Offsets run on across
/// calls, so consecutive chunks read as one stream.
class HexDump {
 public:
  explicit HexDump(char marker) : marker_(marker) {}
  /// Formats `data` (continuing the running offset) and returns the rows, each ending in '\n'.
  std::string rows(std::string_view data);

 private:
  char marker_;
  std::uint64_t offset_ = 0;
};

}  // namespace sockit::cli
