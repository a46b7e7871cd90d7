// Histogram: a log-bucketed latency histogram in the style of HdrHistogram.
//
// Values are unsigned integers in any unit (the bench records nanoseconds). Values below
// 2 * kSubBuckets are counted exactly; above that, every power-of-two range [2^e, 2^(e+1)) is
// split into kSubBuckets equal buckets, so a bucket is at most 1/kSubBuckets of its lower bound
// wide. percentile() reports a bucket's midpoint, which is within 1/(2 * kSubBuckets) (0.4%) of
// every value counted in that bucket.
//
// Layout of counts_ (kSubBucketBits = 7, kSubBuckets = 128):
//
//   index:  0 .. 255          | 256 .. 383          | 384 .. 511          | ...
//   values: 0 .. 255 (exact)  | 256 .. 511, width 2 | 512 .. 1023, width 4| ...
//
// record() is O(1), branch-light and never allocates: the counts live inside the object
// (about 38 KiB), so create histograms up front, not per request.
// Thread-safety: none; give each thread its own histogram and merge() them afterwards.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace sockit {

class Histogram {
 public:
  static constexpr unsigned kSubBucketBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;
  /// Largest distinct value: 2^44 - 1 (about 4.9 hours in nanoseconds). Larger values are
  /// clamped to it and counted in clamped().
  static constexpr unsigned kMaxExponent = 44;
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << kMaxExponent) - 1;
  static constexpr std::size_t kBucketCount =
      2 * kSubBuckets + (kMaxExponent - kSubBucketBits - 1) * kSubBuckets;

  /// Counts one occurrence of `value`.
  void record(std::uint64_t value) noexcept { record_n(value, 1); }
  /// Counts `n` occurrences of `value`.
  void record_n(std::uint64_t value, std::uint64_t n) noexcept;
  /// Adds every count of `other` to this histogram.
  void merge(const Histogram& other) noexcept;
  /// Forgets everything.
  void reset() noexcept;

  std::uint64_t count() const noexcept { return count_; }
  /// Exact smallest and largest recorded values (0 when empty).
  std::uint64_t min() const noexcept { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }
  /// Exact arithmetic mean of the recorded (clamped) values; 0 when empty.
  double mean() const noexcept;
  /// How many recorded values exceeded kMaxValue.
  std::uint64_t clamped() const noexcept { return clamped_; }

  /// The value at percentile `p` (0..100) by the nearest-rank method: the smallest recorded
  /// value v such that at least p% of the values are <= v, reported as its bucket's midpoint and
  /// kept within [min(), max()]. p <= 0 gives min(), p >= 100 gives max(). 0 when empty.
  std::uint64_t percentile(double p) const noexcept;

  /// Bucket arithmetic, exposed for tests.
  static std::size_t bucket_index(std::uint64_t value) noexcept;
  static std::uint64_t bucket_low(std::size_t index) noexcept;
  static std::uint64_t bucket_width(std::size_t index) noexcept;

 private:
  std::array<std::uint64_t, kBucketCount> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = kMaxValue;
  std::uint64_t max_ = 0;
  std::uint64_t sum_ = 0;  // 2^64 ns is 584 years of summed latency: no overflow in practice
  std::uint64_t clamped_ = 0;
};

}  // namespace sockit
