#include "sockit/tools/port_list.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sockit {
namespace {

TEST(PortList, SortsAndDeduplicates) {
  auto l = PortList::parse("8080,22,80,22,79-81");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->ports(), (std::vector<std::uint16_t>{22, 79, 80, 81, 8080}));
  EXPECT_EQ(l->size(), 5u);
  EXPECT_TRUE(l->contains(80));
  EXPECT_FALSE(l->contains(82));
  EXPECT_EQ(l->to_string(), "22,79-81,8080");
}

TEST(PortList, RangesAndSingletons) {
  auto l = PortList::parse("22,80,8000-8100");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->size(), 2u + 101u);
  EXPECT_EQ(l->ports().front(), 22);
  EXPECT_EQ(l->ports().back(), 8100);
  EXPECT_EQ(l->to_string(), "22,80,8000-8100");
  EXPECT_EQ(PortList::parse("5-5")->ports(), (std::vector<std::uint16_t>{5}));
}

TEST(PortList, WholeRangeIsAllowed) {
  auto l = PortList::parse("1-65535");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->size(), 65535u);
  EXPECT_EQ(l->to_string(), "1-65535");
  auto with_zero = PortList::parse("0-65535", nullptr, {.allow_zero = true});
  ASSERT_TRUE(with_zero.has_value());
  EXPECT_EQ(with_zero->size(), 65536u);
}

TEST(PortList, RejectsWithReasonNamingTheItem) {
  struct Case {
    std::string_view text, why;
  };
  const Case cases[] = {
      {"", "empty port list"},
      {"22,,80", "item 2 is empty"},
      {",22", "item 1 is empty"},
      {"22,", "item 2 is empty"},
      {"22,80,8100-8000", "item 3 \"8100-8000\": range is reversed (8100 > 8000)"},
      {"0", "item 1 \"0\": port 0 is not allowed here"},
      {"0-10", "item 1 \"0-10\": port 0 is not allowed here"},
      {"70000", "item 1 \"70000\": port 70000 is above 65535"},
      {"1-65536", "item 1 \"1-65536\": port 65536 is above 65535"},
      {"22, 80", "item 2 \" 80\": unexpected ' ' in port"},
      {"ssh", "item 1 \"ssh\": unexpected 's' in port"},
      {"+22", "item 1 \"+22\": unexpected '+' in port"},
      {"-22", "item 1 \"-22\": range has no start"},
      {"22-", "item 1 \"22-\": range has no end"},
      {"1-2-3", "item 1 \"1-2-3\": unexpected '-' in port"},
      {"022", "item 1 \"022\": port has a leading zero (\"022\")"},
      {"1234567890123456789012345678901234567890",
       "item 1 \"12345678901234567890123456789012...\": port "
       "1234567890123456789012345678901234567890 is above 65535"},
  };
  for (const auto& c : cases) {
    std::string why;
    auto r = PortList::parse(c.text, &why);
    ASSERT_FALSE(r.has_value()) << c.text;
    EXPECT_EQ(r.error(), make_error_code(Errc::invalid_port)) << c.text;
    EXPECT_EQ(why, c.why) << c.text;
  }
}

TEST(PortList, CapOnDistinctPorts) {
  std::string why;
  auto r = PortList::parse("1-100,50-150", &why, {.max_ports = 100});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), make_error_code(Errc::invalid_port));
  EXPECT_EQ(why, "the list has 150 ports, more than the limit of 100");
  EXPECT_EQ(PortList::parse("1-100,50-100", nullptr, {.max_ports = 100})->size(), 100u);
}

TEST(PortList, RoundTripThroughText) {
  for (std::string_view text : {"1", "1-3,5,7-9", "22,80,443,8000-8100,65535"}) {
    auto l = PortList::parse(text);
    ASSERT_TRUE(l.has_value()) << text;
    EXPECT_EQ(l->to_string(), text);
    EXPECT_EQ(PortList::parse(l->to_string()).value(), *l);
  }
}

}  // namespace
}  // namespace sockit
