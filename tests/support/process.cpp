#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

extern char** environ;

namespace sockit::test {
namespace {

using Clock = std::chrono::steady_clock;

void die(const char* what) {
  std::fprintf(stderr, "test support: %s: %s\n", what, std::strerror(errno));
  std::abort();
}

int remaining_ms(Clock::time_point end) {
  auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

Process::Process(std::vector<std::string> argv, std::vector<std::string> extra_env) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    die("pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e)
    env_store.emplace_back(*e);
  for (auto& e : extra_env)
    env_store.push_back(e);
  std::vector<char*> envp;
  for (auto& e : env_store)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  int rc = ::posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    die(argv[0].c_str());
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_ = in[1];
  out_fd_ = out[0];
  err_fd_ = err[0];
  ::fcntl(in_, F_SETFL, O_NONBLOCK);
  ::fcntl(out_fd_, F_SETFL, O_NONBLOCK);
  ::fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

Process::~Process() {
  if (!exited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait(milliseconds(5000));
  }
  close_stdin();
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void Process::pump(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  int n = ::poll(fds, 2, timeout_ms);
  if (n <= 0) return;
  char buf[65536];
  int* fd_ptrs[2] = {&out_fd_, &err_fd_};
  std::string* sinks[2] = {&out_, &err_};
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || fds[i].revents == 0) continue;
    ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
    if (r > 0) {
      sinks[i]->append(buf, static_cast<std::size_t>(r));
    } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
      ::close(fds[i].fd);
      *fd_ptrs[i] = -1;
    }
  }
}

bool Process::write_stdin(std::string_view data, milliseconds timeout) {
  auto end = Clock::now() + timeout;
  while (!data.empty() && in_ >= 0 && Clock::now() < end) {
    ssize_t w = ::write(in_, data.data(), data.size());
    if (w > 0) {
      data.remove_prefix(static_cast<std::size_t>(w));
      continue;
    }
    if (w < 0 && errno == EPIPE) return false;
    pollfd fds[3] = {{in_, POLLOUT, 0}, {out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    ::poll(fds, 3, std::min(remaining_ms(end), 50));
    pump(0);
  }
  return data.empty();
}

void Process::close_stdin() {
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

bool Process::wait_stdout(std::string_view needle, milliseconds timeout) {
  auto end = Clock::now() + timeout;
  while (out_.find(needle) == std::string::npos) {
    if (Clock::now() >= end || (out_fd_ < 0 && err_fd_ < 0)) return false;
    pump(std::min(remaining_ms(end), 50));
  }
  return true;
}

bool Process::wait_stderr(std::string_view needle, milliseconds timeout) {
  auto end = Clock::now() + timeout;
  while (err_.find(needle) == std::string::npos) {
    if (Clock::now() >= end || (out_fd_ < 0 && err_fd_ < 0)) return false;
    pump(std::min(remaining_ms(end), 50));
  }
  return true;
}

bool Process::wait_stdout_size(std::size_t bytes, milliseconds timeout) {
  auto end = Clock::now() + timeout;
  while (out_.size() < bytes) {
    if (Clock::now() >= end || (out_fd_ < 0 && err_fd_ < 0)) return false;
    pump(std::min(remaining_ms(end), 50));
  }
  return true;
}

bool Process::running() {
  if (exited_) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    status_ = st;
  }
  return !exited_;
}

void Process::signal(int sig) {
  if (!exited_) ::kill(pid_, sig);
}

int Process::wait(milliseconds timeout) {
  auto end = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() >= end) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      exited_ = true;
      status_ = st;
      break;
    }
    pump(10);
  }
  // Drain whatever is left in the pipes (grandchildren may keep them open: bounded).
  auto drain_end = Clock::now() + milliseconds(500);
  while ((out_fd_ >= 0 || err_fd_ >= 0) && Clock::now() < drain_end)
    pump(20);
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

RunResult run(std::vector<std::string> argv, std::string_view input, milliseconds timeout) {
  Process p(std::move(argv));
  p.write_stdin(input, timeout);
  p.close_stdin();
  RunResult r;
  r.exit_code = p.wait(timeout);
  r.out = p.out();
  r.err = p.err();
  return r;
}

std::string sockit_bin() {
  return SOCKIT_BIN;
}

int port_after(std::string_view text, std::string_view marker) {
  auto at = text.find(marker);
  if (at == std::string_view::npos) return 0;
  auto rest = text.substr(at + marker.size());
  auto end = rest.find_first_of(" \n\r\t)");
  auto token = rest.substr(0, end);
  auto colon = token.rfind(':');
  if (colon == std::string_view::npos) return 0;
  return std::atoi(std::string(token.substr(colon + 1)).c_str());
}

long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

bool wait_cpu_quiet(pid_t pid, milliseconds quiet, milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  long last = cpu_ticks(pid);
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(quiet);
    const long now = cpu_ticks(pid);
    if (now == last) return true;
    last = now;
  }
  return false;
}

}  // namespace sockit::test
