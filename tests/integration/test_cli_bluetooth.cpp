// `sockit connect bt:...` and `sockit listen bt:...` (Bluetooth RFCOMM). This machine has no
// adapter and its kernel may lack AF_BLUETOOTH: the tests cover the usage errors, the exact
// error line and exit code when the family is missing (the real kernel, when it lacks it) and
// when the device is (libsockit_btfake.so, which fails connect/bind as a kernel without an
// adapter does and records what sockit handed it). Nothing here ever connects.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace sockit::test {
namespace {

RunResult sockit(std::vector<std::string> args) {
  args.insert(args.begin(), sockit_bin());
  return run(std::move(args));
}

bool kernel_has_bluetooth() {
  const int fd = ::socket(31, SOCK_STREAM | SOCK_CLOEXEC, 3);
  if (fd >= 0) ::close(fd);
  return fd >= 0 || errno != EAFNOSUPPORT;
}

const std::string kNoFamily =
    "Address family not supported by protocol (this kernel has no Bluetooth sockets: "
    "AF_BLUETOOTH is not built in or not loaded)\n";

TEST(CliBluetooth, ConnectWithoutKernelFamily) {
  if (kernel_has_bluetooth()) GTEST_SKIP() << "this kernel has AF_BLUETOOTH";
  auto r = sockit({"connect", "bt:aa:bb:cc:dd:ee:ff/3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "sockit: cannot connect to bt:AA:BB:CC:DD:EE:FF/3: " + kNoFamily);
}

TEST(CliBluetooth, CheckWithoutKernelFamilyDoesNotClaimAConnection) {
  if (kernel_has_bluetooth()) GTEST_SKIP() << "this kernel has AF_BLUETOOTH";
  auto r = sockit({"connect", "-z", "bt:AA:BB:CC:DD:EE:FF/30"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "sockit: cannot connect to bt:AA:BB:CC:DD:EE:FF/30: " + kNoFamily);
}

TEST(CliBluetooth, ListenWithoutKernelFamily) {
  if (kernel_has_bluetooth()) GTEST_SKIP() << "this kernel has AF_BLUETOOTH";
  auto r = sockit({"listen", "bt:00:00:00:00:00:00/1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "sockit: cannot listen on bt:00:00:00:00:00:00/1: " + kNoFamily);
}

// ---- a kernel with the family but no adapter (the shim) ----------------------------------------

class TempLog {
 public:
  TempLog() {
    path_ = (std::filesystem::temp_directory_path() /
             ("sockit-btfake-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++)))
                .string();
    std::filesystem::remove(path_);
  }
  ~TempLog() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }
  std::string text() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

// As in test_faults.cpp: sanitizer runtimes refuse a library preloaded ahead of them unless told.
void allow_preload_before_asan() {
  const char* old = std::getenv("ASAN_OPTIONS");
  std::string value = old != nullptr ? old : "";
  if (value.find("verify_asan_link_order") != std::string::npos) return;
  value += value.empty() ? "verify_asan_link_order=0" : ":verify_asan_link_order=0";
  ::setenv("ASAN_OPTIONS", value.c_str(), 1);
}

RunResult sockit_without_adapter(std::vector<std::string> args, const TempLog& log,
                                 std::vector<std::string> env = {}) {
  allow_preload_before_asan();
  env.push_back(std::string("LD_PRELOAD=") + SOCKIT_BTFAKE_LIB);
  env.push_back("SOCKIT_BTFAKE_LOG=" + log.path());
  args.insert(args.begin(), sockit_bin());
  Process p(args, env);
  p.close_stdin();
  RunResult r;
  r.exit_code = p.wait(milliseconds(10000));
  r.out = p.out();
  r.err = p.err();
  return r;
}

TEST(CliBluetooth, ConnectWithoutAdapterIsHostUnreachable) {
  TempLog log;
  auto r = sockit_without_adapter({"connect", "bt:01:23:45:67:89:ab/7"}, log);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "sockit: cannot connect to bt:01:23:45:67:89:AB/7: No route to host (no Bluetooth "
            "adapter is up, or the device is off or out of range)\n");
  // SOCK_STREAM with BTPROTO_RFCOMM (0 would be L2CAP), then a 10-byte sockaddr_rc with the
  // address reversed.
  EXPECT_EQ(log.text(), "socket 1 3\nconnect 10 AB:89:67:45:23:01 7\n");
}

TEST(CliBluetooth, ConnectWithoutDeviceIsNoSuchDevice) {
  TempLog log;
  auto r = sockit_without_adapter({"connect", "-z", "bt:01:23:45:67:89:AB/7"}, log,
                                  {"SOCKIT_BTFAKE_CONNECT_ERRNO=" + std::to_string(ENODEV)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "sockit: cannot connect to bt:01:23:45:67:89:AB/7: No such device (no Bluetooth "
            "adapter has that address on this machine)\n");
}

TEST(CliBluetooth, ListenOnMissingAdapterIsNoSuchDevice) {
  TempLog log;
  auto r = sockit_without_adapter({"listen", "bt:11:22:33:44:55:66/30"}, log);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "sockit: cannot listen on bt:11:22:33:44:55:66/30: No such device (no Bluetooth "
            "adapter has that address on this machine)\n");
  EXPECT_EQ(log.text(), "socket 1 3\nbind 10 66:55:44:33:22:11 30\n");
}

// ---- usage errors: exit 2 before any socket ----------------------------------------------------

struct Usage {
  std::vector<std::string> args;
  std::string err;
};

TEST(CliBluetooth, UsageErrors) {
  const std::string no_flags =
      "sockit: -u, -U, -4, -6 and --json do not apply to a Bluetooth (bt:) endpoint\n";
  const Usage cases[] = {
      {{"connect", "bt:AA:BB:CC:DD:EE:FF/31"},
       "sockit: bt:AA:BB:CC:DD:EE:FF/31: RFCOMM channel 31 is outside 1 to 30\n"},
      {{"connect", "bt:AA:BB:CC:DD:EE:FF/0"},
       "sockit: bt:AA:BB:CC:DD:EE:FF/0: RFCOMM channel 0 is outside 1 to 30\n"},
      {{"connect", "bt:AA:BB:CC:DD:EE"},
       "sockit: bt:AA:BB:CC:DD:EE: missing '/CHANNEL' after the Bluetooth address "
       "(bt:AA:BB:CC:DD:EE:FF/CHANNEL)\n"},
      {{"connect", "bt:AA:BB:CC:DD:EE:GG/1"},
       "sockit: bt:AA:BB:CC:DD:EE:GG/1: unexpected 'G' in Bluetooth address group 6\n"},
      {{"listen", "bt:AA:BB:CC:DD:EE/1"},
       "sockit: bt:AA:BB:CC:DD:EE/1: Bluetooth address has 5 groups, expected 6 "
       "(AA:BB:CC:DD:EE:FF)\n"},
      {{"connect", "bt:AA:BB:CC:DD:EE:FF/3", "80"},
       "sockit: bt:AA:BB:CC:DD:EE:FF/3 carries its channel after '/': give no PORT\n"},
      {{"listen", "127.0.0.1", "bt:AA:BB:CC:DD:EE:FF/3"},
       "sockit: bt:AA:BB:CC:DD:EE:FF/3 carries its channel after '/': give no PORT\n"},
      {{"connect", "-u", "bt:AA:BB:CC:DD:EE:FF/3"}, no_flags},
      {{"connect", "-4", "bt:AA:BB:CC:DD:EE:FF/3"}, no_flags},
      {{"connect", "-z", "--json", "bt:AA:BB:CC:DD:EE:FF/3"}, no_flags},
      {{"listen", "-u", "bt:AA:BB:CC:DD:EE:FF/3"}, no_flags},
  };
  for (const auto& c : cases) {
    auto r = sockit(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args.back();
    // With --json the failure is also a JSON document on stdout (docs/cli.md, "--json").
    const bool json = std::ranges::find(c.args, "--json") != c.args.end();
    const std::string error = c.err.substr(8, c.err.size() - 9);  // no "sockit: ", no '\n'
    EXPECT_EQ(r.out, json ? "{\n  \"error\": \"" + error +
                                "\",\n  \"exit_code\": 2,\n  \"kind\": \"usage\"\n}\n"
                          : "")
        << c.args.back();
    EXPECT_EQ(r.err, c.err) << c.args.back();
  }
}

TEST(CliBluetooth, HelpShowsTheSpelling) {
  EXPECT_NE(sockit({"connect", "--help"}).out.find("sockit connect bt:00:1A:7D:DA:71:13/1"),
            std::string::npos);
  EXPECT_NE(sockit({"listen", "--help"}).out.find("sockit listen bt:00:00:00:00:00:00/3"),
            std::string::npos);
}

}  // namespace
}  // namespace sockit::test
