// `sockit http`: the command line (curl's spellings) and the pieces the command is built from.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "exit_codes.hpp"
#include "options.hpp"
#include "sockit/http/client.hpp"
#include "tls_options.hpp"

namespace sockit::cli {

struct HttpArgs {
  std::vector<std::string> urls;
  std::string method;                    // -X
  std::vector<std::string> headers;      // -H
  std::vector<std::string> data;         // -d/--data (joined with '&')
  std::vector<std::string> data_binary;  // --data-binary
  std::string upload;                    // -T FILE
  std::vector<std::string> outputs;      // -o FILE, one per URL in order
  bool remote_name = false;              // -O
  bool include = false;                  // -i
  bool head = false;                     // -I
  bool location = false;                 // -L
  int max_redirs = 50;
  bool fail = false;        // -f
  bool silent = false;      // -s
  bool show_error = false;  // -S
  bool verbose = false;     // -v
  std::string user;         // -u USER:PASS
  std::string user_agent;   // -A
  double max_time_s = 0;    // -m
  double connect_timeout_s = 0;
  std::vector<std::string> resolve;  // --resolve HOST:PORT:ADDR
  FamilyFlags family;
  bool insecure = false;  // -k
  std::string cacert;
  std::string write_out;  // -w
  bool timing = false;
  bool compressed = false;
};

/// What one URL's transfer measured, for -w and --timing.
struct TransferReport {
  std::string url_effective;
  std::string method;
  http::Response response;
  int num_redirects = 0;
  int num_connects = 0;
  std::uint64_t size_download = 0;  ///< body bytes as received, summed over redirects
  Clock::duration total{};
  int exit_code = 0;
  std::string error;  ///< the error line without "sockit: "
  bool have_response = false;
};

/// Expands -w FORMAT (curl's %{variables}, \n \r \t escapes, %%) for one transfer; %{stderr}
/// and %{stdout} switch the stream. Writes the pieces to stdout/stderr.
void write_out(const std::string& format, const TransferReport& report);

/// The -w %{json} object.
std::string write_out_json(const TransferReport& report);

/// --timing: the phases as a picture on stderr.
void print_timing(const TransferReport& report);

/// -v lines on stderr, curl's shape: "* " notes, "> " request and "< " response head lines.
void verbose_note(std::string_view line);
void verbose_head(char marker, std::string_view head);

/// The progress meter on a terminal: bytes, rate, ETA, redrawn at most every 200 ms.
class HttpProgress {
 public:
  explicit HttpProgress(bool on) : on_(on) {}
  void start(std::uint64_t expected);
  void update(std::uint64_t received);
  void end();

 private:
  void draw(std::uint64_t received);
  bool on_;
  bool drawn_ = false;
  std::uint64_t expected_ = 0;
  Clock::time_point start_{};
  Clock::time_point last_{};
};

}  // namespace sockit::cli
