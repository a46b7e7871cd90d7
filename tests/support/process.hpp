// Test helper: run a program as a child with pipes on stdin/stdout/stderr, feed it, read what it
// prints, wait with a timeout. A Process that is still running when destroyed gets SIGKILL.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace sockit::test {

using std::chrono::milliseconds;

class Process {
 public:
  /// Starts argv[0] (looked up in PATH when it has no '/'). Aborts the test binary with a
  /// message if the program cannot be started.
  explicit Process(std::vector<std::string> argv, std::vector<std::string> extra_env = {});
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }

  /// Writes all of `data` to the child's stdin, collecting its output meanwhile so that a child
  /// that echoes cannot deadlock us. Returns false if the child closed its stdin.
  bool write_stdin(std::string_view data, milliseconds timeout = milliseconds(10000));
  void close_stdin();

  /// Collects output until stdout (or stderr) contains `needle` or the timeout passes; returns
  /// whether it was seen.
  bool wait_stdout(std::string_view needle, milliseconds timeout = milliseconds(10000));
  bool wait_stderr(std::string_view needle, milliseconds timeout = milliseconds(10000));
  /// Collects output until stdout holds at least `bytes` bytes or the timeout passes.
  bool wait_stdout_size(std::size_t bytes, milliseconds timeout = milliseconds(10000));

  /// Waits for the exit; after the timeout sends SIGKILL. Returns the exit code, or 128+signal.
  int wait(milliseconds timeout = milliseconds(10000));
  bool running();
  void signal(int sig);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  void pump(int timeout_ms);  // one poll round over stdout/stderr
  pid_t pid_ = -1;
  int in_ = -1, out_fd_ = -1, err_fd_ = -1;
  int status_ = -1;
  bool exited_ = false;
  std::string out_, err_;
};

struct RunResult {
  int exit_code = -1;
  std::string out, err;
};

/// Runs a program to completion with `input` on stdin (then EOF).
RunResult run(std::vector<std::string> argv, std::string_view input = {},
              milliseconds timeout = milliseconds(20000));

/// Path of the built `sockit` binary.
std::string sockit_bin();

/// Parses "...127.0.0.1:PORT..." style text: the port after the last ':' of the first token
/// that follows `marker`. Returns 0 if absent.
int port_after(std::string_view text, std::string_view marker);

/// utime + stime of a process in clock ticks (/proc/PID/stat fields 14 and 15), or -1.
long cpu_ticks(pid_t pid);

/// Waits until `pid` has used no CPU for `quiet` (sampled every `quiet`), at most `limit`.
/// Returns whether it settled. A server still working through a backlog settles; one that
/// spins never does, and the caller's measurement after the limit then catches the spin.
bool wait_cpu_quiet(pid_t pid, milliseconds quiet, milliseconds limit);

}  // namespace sockit::test
