// `sockit serve echo --ssl` under tests/fault/libsockit_fault.so, which makes the server's
// socket calls return 1-byte short counts, EINTR and EAGAIN at random from a seed: a python
// ssl client still gets its 16 MiB back exactly (half-closed), the server's descriptors return
// to their count, and the test checks that faults were really injected into the server.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "serve_tls_support.hpp"

namespace sockit::test {
namespace {

namespace fs = std::filesystem;

// The interposer built by tests/fault/CMakeLists.txt (<build>/lib), else compiled here.
std::string fault_library(const ScratchDir& dir) {
  const fs::path built =
      fs::path(sockit_bin()).parent_path().parent_path() / "lib" / "libsockit_fault.so";
  if (fs::exists(built)) return built.string();
  const std::string out = dir.write("libsockit_fault.so", "");
  const auto r =
      run({"cc", "-std=gnu11", "-shared", "-fPIC", "-O2", "-o", out,
           std::string(SOCKIT_SOURCE_DIR) + "/tests/fault/libsockit_fault.c", "-ldl", "-lpthread"});
  return r.exit_code == 0 ? out : std::string();
}

struct FaultStats {  // libsockit_fault.c's six counters
  std::uint64_t calls = 0, eligible = 0, shorts = 0, eintrs = 0, eagains = 0, reserved = 0;
};

std::vector<std::string> fault_env(const std::string& library, const std::string& stats,
                                   std::uint64_t seed) {
  // Sanitizer builds: the interposer loads ahead of the ASan runtime, which ASan refuses unless
  // told. Set in our own environment: a child sees the first of two entries with one name.
  std::string asan = std::getenv("ASAN_OPTIONS") != nullptr ? std::getenv("ASAN_OPTIONS") : "";
  if (asan.find("verify_asan_link_order") == std::string::npos) {
    asan += asan.empty() ? "verify_asan_link_order=0" : ":verify_asan_link_order=0";
    ::setenv("ASAN_OPTIONS", asan.c_str(), 1);
  }
  return {"LD_PRELOAD=" + library, "SOCKIT_FAULT_SEED=" + std::to_string(seed),
          "SOCKIT_FAULT_RATE=0.25", "SOCKIT_FAULT_STATS=" + stats, "SOCKIT_FAULT_FIRST=30"};
}

class ServeTlsFaults : public ::testing::TestWithParam<std::string> {};

TEST_P(ServeTlsFaults, EchoSixteenMiBEachWayExactly) {
  ServePki pki;
  const std::string library = fault_library(pki.dir);
  ASSERT_FALSE(library.empty()) << "cannot build the fault library";
  const std::string stats = pki.dir.write("stats", "");
  ServeChild server = start_tls_serve(pki, "echo", GetParam(), {},
                                      fault_env(library, stats, 4000 + fnv1a(GetParam()) % 100));
  ASSERT_GT(server.port, 0) << "serve did not start: " << server.process->err();
  const int baseline = settled_fd_count(server.process->pid());
  ASSERT_GT(baseline, 0);

  const std::string script = pki.dir.write("bulk.py", kPythonBulkClient);
  auto r = run({"/usr/bin/python3", script, std::to_string(server.port), pki.ca_file,
                std::to_string(16 << 20)},
               {}, Ms(150000));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err << server.process->err();
  const auto sent = r.out.find("SENT 16777216 ");
  ASSERT_NE(sent, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("GOT 16777216 " + r.out.substr(sent + 14, 64) + "\n"), std::string::npos)
      << r.out;

  EXPECT_EQ(wait_fd_count(server.process->pid(), baseline, Ms(6000)), baseline)
      << fd_listing(server.process->pid());
  EXPECT_TRUE(server.process->running()) << server.process->err();
  server.process->signal(SIGTERM);
  EXPECT_EQ(server.process->wait(Ms(10000)), 0) << server.process->err();
  FaultStats s;
  std::ifstream(stats, std::ios::binary).read(reinterpret_cast<char*>(&s), sizeof s);
  EXPECT_GT(s.shorts, 0U) << "no short count was injected into the server";
  EXPECT_GT(s.eintrs, 0U) << "no EINTR was injected into the server";
  EXPECT_GT(s.eagains, 0U) << "no EAGAIN was injected into the server";
}

// The non-blocking models, where EAGAIN reaches the loop; the thread and pool models run the
// same Connection code on a private loop.
INSTANTIATE_TEST_SUITE_P(Models, ServeTlsFaults, ::testing::Values("loop", "reactors", "thread"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace sockit::test
