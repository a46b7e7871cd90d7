// `sockit ftp`: what ftp.cpp (options, the run) and ftp_output.cpp (listings, the dialogue, the
// progress meter, error explanations) share.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockit/codec/ftp_list.hpp"
#include "sockit/codec/ftp_reply.hpp"
#include "sockit/core/deadline.hpp"
#include "sockit/ftp/client.hpp"

namespace sockit::cli {

/// "< 220 text" lines as the server sent them (multi-line replies with "ddd-" first).
std::string format_reply_lines(const FtpReply& r);

/// One line per entry for people: type letter, size, time, name ("-> target" for links);
/// an unparsed line as it came.
std::string format_listing(const std::vector<FtpEntry>& entries);
nlohmann::json listing_json(const std::vector<FtpEntry>& entries);

/// Reports a failed FTP step on stderr (and as JSON with --json) and returns the exit code:
/// the reply and what it probably means for FTP errors, the usual explanation for the rest.
/// `what` names the step ("RETR pub/x", "login as 'anonymous'").
int report_ftp_error(std::error_code ec, std::string_view what, const ftp::Client* client,
                     int port);

/// A progress meter on stderr, drawn only when stderr is a terminal, at most 4 times a second,
/// over one line ("\r" before each drawing):
///   "\r      12.6 MB of 64.0 MB  20%     180.2 MB/s " (without " of ..." when the size is unknown)
class FtpProgress {
 public:
  explicit FtpProgress(bool enabled);
  /// `total`: the expected size when known (SIZE, or the local file's for an upload).
  void update(std::uint64_t bytes, std::optional<std::uint64_t> total);
  /// Draws the final state (also when the transfer was too quick for any drawing), then ends
  /// the line, so the last figures on the terminal are the true ones.
  void done(std::uint64_t bytes, std::optional<std::uint64_t> total);

 private:
  void draw(std::uint64_t bytes, std::optional<std::uint64_t> total, Clock::time_point now);
  bool enabled_;
  bool started_ = false;
  Clock::time_point start_;
  Clock::time_point last_;
};

}  // namespace sockit::cli
