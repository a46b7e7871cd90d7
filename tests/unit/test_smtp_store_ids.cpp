// The Maildir ids of the SMTP mailbox: unique, in the Maildir form, and sorting by delivery time
// (tests list new/ by name; a reader running `ls new/` sees the order mail arrived in).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "services/smtp_internal.hpp"

namespace sockit::smtp_service {
namespace {

using namespace std::chrono_literals;

TEST(SmtpStoreIds, SortByTimeAcrossAWholeSecond) {
  // 1 ms apart for over a second: the microseconds field takes every width a shorter field
  // would (e.g. 99999 then 100000), where names that are not zero-padded sort out of order.
  std::vector<std::string> ids;
  const auto until = std::chrono::steady_clock::now() + 1100ms;
  for (int i = 0; i < 3000 && std::chrono::steady_clock::now() < until; ++i) {
    ids.push_back(new_id());
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_GE(ids.size(), 200u);
  const std::regex form("[0-9]+\\.M[0-9]{6}P[0-9]+Q[0-9]+\\..+");
  for (const auto& id : ids)
    ASSERT_TRUE(std::regex_match(id, form)) << id;
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, ids);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

}  // namespace
}  // namespace sockit::smtp_service
