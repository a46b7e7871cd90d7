#include "sockit/tools/histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace sockit {
namespace {

// The documented bound: a reported percentile is within 1/256 of the true value at that rank.
constexpr double kRelError = 1.0 / (2.0 * static_cast<double>(Histogram::kSubBuckets));

void expect_near_rel(std::uint64_t got, double want) {
  EXPECT_LE(std::abs(static_cast<double>(got) - want), want * kRelError)
      << "got " << got << " want " << want;
}

// A histogram is ~38 KiB: keep them off the test's stack.
std::unique_ptr<Histogram> make() {
  return std::make_unique<Histogram>();
}

TEST(Histogram, EmptyReportsZeros) {
  auto h = make();
  EXPECT_EQ(h->count(), 0u);
  EXPECT_EQ(h->min(), 0u);
  EXPECT_EQ(h->max(), 0u);
  EXPECT_EQ(h->percentile(50), 0u);
  EXPECT_EQ(h->mean(), 0.0);
}

TEST(Histogram, SmallValuesAreExact) {
  auto h = make();
  for (std::uint64_t v = 0; v < 256; ++v)
    h->record(v);
  EXPECT_EQ(h->count(), 256u);
  EXPECT_EQ(h->percentile(50), 127u);  // rank 128 of 0..255
  EXPECT_EQ(h->min(), 0u);
  EXPECT_EQ(h->max(), 255u);
  EXPECT_DOUBLE_EQ(h->mean(), 127.5);
}

TEST(Histogram, BucketsTileTheRangeWithBoundedWidth) {
  for (std::size_t i = 0; i + 1 < Histogram::kBucketCount; ++i) {
    ASSERT_EQ(Histogram::bucket_low(i) + Histogram::bucket_width(i), Histogram::bucket_low(i + 1))
        << i;
    ASSERT_EQ(Histogram::bucket_index(Histogram::bucket_low(i)), i);
    ASSERT_EQ(Histogram::bucket_index(Histogram::bucket_low(i + 1) - 1), i);
    if (i >= 2 * Histogram::kSubBuckets) {
      ASSERT_LE(Histogram::bucket_width(i) * Histogram::kSubBuckets, Histogram::bucket_low(i));
    }
  }
  EXPECT_EQ(Histogram::bucket_index(Histogram::kMaxValue), Histogram::kBucketCount - 1);
}

TEST(Histogram, UniformPercentilesWithinStatedError) {
  auto h = make();
  for (std::uint64_t v = 1; v <= 10000; ++v)
    h->record(v);
  EXPECT_EQ(h->count(), 10000u);
  expect_near_rel(h->percentile(50), 5000);
  expect_near_rel(h->percentile(90), 9000);
  expect_near_rel(h->percentile(99), 9900);
  expect_near_rel(h->percentile(99.9), 9990);
  EXPECT_EQ(h->percentile(100), 10000u);
  EXPECT_EQ(h->max(), 10000u);
  EXPECT_EQ(h->min(), 1u);
  EXPECT_DOUBLE_EQ(h->mean(), 5000.5);
}

TEST(Histogram, ExponentialPercentilesMatchSortedSample) {
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> dist(1.0 / 50000.0);  // mean 50 us in ns
  std::vector<std::uint64_t> values(100000);
  auto h = make();
  for (auto& v : values) {
    v = static_cast<std::uint64_t>(dist(rng)) + 1;
    h->record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * 100000.0));
    expect_near_rel(h->percentile(p), static_cast<double>(values[rank - 1]));
  }
  EXPECT_EQ(h->max(), values.back());
}

TEST(Histogram, RecordNCountsExactly) {
  auto h = make();
  h->record_n(1000, 99);
  h->record_n(1000000, 1);
  EXPECT_EQ(h->count(), 100u);
  expect_near_rel(h->percentile(99), 1000);
  EXPECT_EQ(h->percentile(99.5), 1000000u);  // clamped to max
  EXPECT_DOUBLE_EQ(h->mean(), (99.0 * 1000 + 1000000) / 100.0);
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  auto a = make(), b = make(), all = make();
  for (std::uint64_t v = 1; v <= 5000; ++v) {
    a->record(v * 3);
    all->record(v * 3);
  }
  for (std::uint64_t v = 1; v <= 7000; ++v) {
    b->record(v * 1000);
    all->record(v * 1000);
  }
  a->merge(*b);
  EXPECT_EQ(a->count(), 12000u);
  EXPECT_EQ(a->min(), 3u);
  EXPECT_EQ(a->max(), 7000000u);
  EXPECT_DOUBLE_EQ(a->mean(), all->mean());
  for (double p : {1.0, 25.0, 50.0, 90.0, 99.0, 99.9})
    EXPECT_EQ(a->percentile(p), all->percentile(p));
}

TEST(Histogram, MergeIntoEmptyKeepsMin) {
  auto a = make(), b = make();
  b->record(700);
  a->merge(*b);
  EXPECT_EQ(a->min(), 700u);
  EXPECT_EQ(a->count(), 1u);
}

TEST(Histogram, HugeValuesAreClampedAndCounted) {
  auto h = make();
  h->record(Histogram::kMaxValue + 5);
  h->record(10);
  EXPECT_EQ(h->clamped(), 1u);
  EXPECT_EQ(h->max(), Histogram::kMaxValue);
  EXPECT_EQ(h->count(), 2u);
}

TEST(Histogram, ResetForgetsEverything) {
  auto h = make();
  h->record(12345);
  h->reset();
  EXPECT_EQ(h->count(), 0u);
  EXPECT_EQ(h->max(), 0u);
  EXPECT_EQ(h->percentile(50), 0u);
}

}  // namespace
}  // namespace sockit
