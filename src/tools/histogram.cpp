#include "sockit/tools/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sockit {

namespace {
constexpr std::uint64_t kExactLimit = 2 * Histogram::kSubBuckets;  // values below are exact
}  // namespace

std::size_t Histogram::bucket_index(std::uint64_t value) noexcept {
  if (value < kExactLimit) return static_cast<std::size_t>(value);
  // exponent >= kSubBucketBits + 1; the top kSubBucketBits + 1 bits select the sub-bucket.
  const auto exponent = static_cast<unsigned>(std::bit_width(value) - 1);
  const unsigned shift = exponent - kSubBucketBits;
  const std::uint64_t sub = (value >> shift) - kSubBuckets;  // 0 .. kSubBuckets - 1
  const std::uint64_t block = exponent - kSubBucketBits - 1;
  return static_cast<std::size_t>(kExactLimit + block * kSubBuckets + sub);
}

std::uint64_t Histogram::bucket_low(std::size_t index) noexcept {
  if (index < kExactLimit) return index;
  const std::uint64_t rel = index - kExactLimit;
  const std::uint64_t block = rel / kSubBuckets;
  const std::uint64_t sub = rel % kSubBuckets;
  const std::uint64_t shift = block + 1;
  return (kSubBuckets + sub) << shift;
}

std::uint64_t Histogram::bucket_width(std::size_t index) noexcept {
  if (index < kExactLimit) return 1;
  const std::uint64_t block = (index - kExactLimit) / kSubBuckets;
  return std::uint64_t{1} << (block + 1);
}

void Histogram::record_n(std::uint64_t value, std::uint64_t n) noexcept {
  if (n == 0) return;
  if (value > kMaxValue) {
    value = kMaxValue;
    clamped_ += n;
  }
  counts_[bucket_index(value)] += n;
  count_ += n;
  sum_ += value * n;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::merge(const Histogram& other) noexcept {
  for (std::size_t i = 0; i < kBucketCount; ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  clamped_ += other.clamped_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::reset() noexcept {
  *this = Histogram{};
}

double Histogram::mean() const noexcept {
  if (count_ == 0) return 0.0;
  return static_cast<double>(sum_) / static_cast<double>(count_);
}

std::uint64_t Histogram::percentile(double p) const noexcept {
  if (count_ == 0) return 0;
  if (!(p > 0.0)) return min();
  if (p >= 100.0) return max_;
  // Nearest rank: the ceil(p/100 * N)-th smallest value (1-based).
  const double exact_rank = std::ceil(p / 100.0 * static_cast<double>(count_));
  const auto rank = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(exact_rank), 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t mid = bucket_low(i) + bucket_width(i) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

}  // namespace sockit
