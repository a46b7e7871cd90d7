#include "sockit/tools/rate.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace sockit {
namespace {

TEST(RateSchedule, EventsAreEvenlySpaced) {
  RateSchedule s(1000.0, 5'000'000);  // 1 ms apart, starting at t = 5 ms
  EXPECT_EQ(s.period_ns(), 1'000'000u);
  EXPECT_EQ(s.at(0), 5'000'000u);
  EXPECT_EQ(s.at(1), 6'000'000u);
  EXPECT_EQ(s.at(1000), 1'005'000'000u);
}

TEST(RateSchedule, PhaseShiftsEveryEvent) {
  RateSchedule s(100.0, 0, 2500);
  EXPECT_EQ(s.at(0), 2500u);
  EXPECT_EQ(s.at(3), 30'002'500u);
}

TEST(RateSchedule, NoDriftOverManyEvents) {
  // 3 per second does not divide a second evenly: summing rounded periods would drift.
  RateSchedule s(3.0, 0);
  EXPECT_EQ(s.at(3), 1'000'000'000u);
  EXPECT_EQ(s.at(3'000'000), 1'000'000'000'000'000u);
  EXPECT_EQ(s.at(1), 333'333'333u);
}

TEST(RateSchedule, DueCountsEventsUpToNow) {
  RateSchedule s(1000.0, 1'000'000);
  EXPECT_EQ(s.due(0), 0u);
  EXPECT_EQ(s.due(999'999), 0u);
  EXPECT_EQ(s.due(1'000'000), 1u);  // event 0 exactly at its time
  EXPECT_EQ(s.due(1'999'999), 1u);
  EXPECT_EQ(s.due(11'000'000), 11u);
}

TEST(RateSchedule, TakeAdvancesAndDueShrinks) {
  RateSchedule s(1000.0, 0);
  EXPECT_EQ(s.due(4'500'000), 5u);
  EXPECT_EQ(s.take(), 0u);
  EXPECT_EQ(s.take(), 1'000'000u);
  EXPECT_EQ(s.next_index(), 2u);
  EXPECT_EQ(s.next_time(), 2'000'000u);
  EXPECT_EQ(s.due(4'500'000), 3u);
  EXPECT_EQ(s.due(1'500'000), 0u);  // everything due by then was taken
}

TEST(RateSchedule, DueAgreesWithAtForAwkwardRates) {
  RateSchedule s(7919.0, 123);
  for (std::uint64_t k = 0; k < 5000; k += 7) {
    EXPECT_EQ(s.due(s.at(k)), k + 1) << k;
    EXPECT_EQ(s.due(s.at(k) - 1), k) << k;  // at(k) >= 123: no underflow
  }
}

TEST(RateSchedule, NonPositiveRateIsClampedNotDividedByZero) {
  RateSchedule s(0.0, 10);
  EXPECT_EQ(s.at(0), 10u);
  EXPECT_GT(s.at(1), 1'000'000'000'000'000u);  // effectively never
}

}  // namespace
}  // namespace sockit
