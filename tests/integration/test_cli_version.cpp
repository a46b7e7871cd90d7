// `sockit --version`: three lines, "sockit VERSION", "commit: HASH" (the git commit the build
// was configured from, "unknown" outside a git work tree) and "features: ..." (what is compiled
// in, sorted, space-separated).
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace sockit::test {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

// What the build should have captured: the source tree's HEAD when it is the top of a git work
// tree, else "unknown" (the same rule cmake/SockitBuildInfo.cmake applies).
std::string expected_commit() {
  auto top = run({"git", "-C", SOCKIT_SOURCE_DIR, "rev-parse", "--show-toplevel"});
  if (top.exit_code != 0) return "unknown";
  auto same = run({"test", std::string(SOCKIT_SOURCE_DIR) + "/.", "-ef",
                   top.out.substr(0, top.out.find('\n'))});
  if (same.exit_code != 0) return "unknown";
  auto head = run({"git", "-C", SOCKIT_SOURCE_DIR, "rev-parse", "--short=12", "HEAD"});
  return head.exit_code == 0 ? head.out.substr(0, head.out.find('\n')) : "unknown";
}

TEST(CliVersion, VersionCommitAndFeatures) {
  auto r = run({sockit_bin(), "--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0], "sockit " SOCKIT_PROJECT_VERSION);
  EXPECT_EQ(lines[1], "commit: " + expected_commit());
  ASSERT_EQ(lines[2].rfind("features: ", 0), 0u) << lines[2];
  std::vector<std::string> features;
  std::istringstream words(lines[2].substr(10));
  for (std::string w; words >> w;)
    features.push_back(w);
  EXPECT_TRUE(std::ranges::is_sorted(features)) << lines[2];
  // Always compiled on Linux: the epoll poller and Bluetooth RFCOMM endpoints.
  EXPECT_NE(std::ranges::find(features, "epoll"), features.end()) << lines[2];
  EXPECT_NE(std::ranges::find(features, "bluetooth-rfcomm"), features.end()) << lines[2];
  // OpenSSL is required to build, so the tls layer is always there, with OpenSSL's version.
  EXPECT_EQ(std::ranges::count_if(features,
                                  [](const std::string& f) {
                                    return f.rfind("tls(openssl-3.", 0) == 0 && f.back() == ')';
                                  }),
            1)
      << lines[2];
  for (const auto& f : features)
    EXPECT_TRUE(std::regex_match(f, std::regex(R"([a-z0-9_.()-]+)"))) << f;
}

}  // namespace
}  // namespace sockit::test
