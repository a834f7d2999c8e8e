#pragma once

// A latency histogram in the manner of HdrHistogram: log-linear buckets with a bounded relative error, fixed
// memory, O(1) recording, mergeable. Values are non-negative integers (the bench records nanoseconds).
//
// Layout: values below 2^kSubBucketBits are counted exactly, one bucket each. Above, every power-of-two range
// [2^m, 2^(m+1)) is split into 2^(kSubBucketBits-1) equal buckets, so a bucket is at most 1/128 of the values
// in it wide: any value is reported within 0.79% (relative) above its true value. 7,424 buckets cover the
// whole uint64 range (58 KiB per histogram).

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace rooms_bench {

/// Not thread-safe: one histogram per thread, merged at the end.
class LatencyHistogram {
  public:
    static constexpr int kSubBucketBits = 8;
    static constexpr std::uint64_t kSubBucketCount = std::uint64_t{1} << kSubBucketBits;  // 256 exact values
    static constexpr std::uint64_t kSubBucketHalf = kSubBucketCount / 2;                  // 128 per octave
    static constexpr std::size_t kBucketCount =
        kSubBucketCount + (64 - kSubBucketBits) * kSubBucketHalf;  // 256 + 56 * 128

    /// The largest relative error of a reported value: (reported - true) / true <= this.
    static constexpr double kMaxRelativeError = 1.0 / static_cast<double>(kSubBucketHalf);

    LatencyHistogram() : counts_(kBucketCount, 0) {}

    void Record(std::uint64_t value) { RecordN(value, 1); }

    void RecordN(std::uint64_t value, std::uint64_t n) {
        if (n == 0) return;
        counts_[IndexOf(value)] += n;
        count_ += n;
        sum_ += static_cast<long double>(value) * static_cast<long double>(n);
        min_ = std::min(min_, value);
        max_ = std::max(max_, value);
    }

    void Merge(const LatencyHistogram& other) {
        for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
        count_ += other.count_;
        sum_ += other.sum_;
        min_ = std::min(min_, other.min_);
        max_ = std::max(max_, other.max_);
    }

    void Reset() {
        std::fill(counts_.begin(), counts_.end(), 0);
        count_ = 0;
        sum_ = 0;
        min_ = std::numeric_limits<std::uint64_t>::max();
        max_ = 0;
    }

    std::uint64_t Count() const { return count_; }
    /// Exact; 0 when empty.
    std::uint64_t Max() const { return max_; }
    std::uint64_t Min() const { return count_ ? min_ : 0; }
    double Mean() const { return count_ ? static_cast<double>(sum_ / static_cast<long double>(count_)) : 0.0; }

    /// The value at `percentile` (0..100]: the smallest recorded value v such that at least that share of the
    /// values are <= v, reported as the highest value of its bucket (never above Max()). 0 when empty.
    std::uint64_t ValueAtPercentile(double percentile) const {
        if (count_ == 0) return 0;
        percentile = std::clamp(percentile, 0.0, 100.0);
        auto target = static_cast<std::uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_)));
        target = std::clamp<std::uint64_t>(target, 1, count_);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < kBucketCount; ++i) {
            seen += counts_[i];
            if (seen >= target) return std::min(HighestEquivalent(i), max_);
        }
        return max_;
    }

    /// The bucket a value falls in (exposed for tests).
    static std::size_t IndexOf(std::uint64_t value) {
        if (value < kSubBucketCount) return static_cast<std::size_t>(value);
        const int msb = 63 - std::countl_zero(value);  // >= kSubBucketBits
        const int shift = msb - (kSubBucketBits - 1);
        const std::uint64_t top = value >> shift;  // in [kSubBucketHalf, kSubBucketCount)
        return static_cast<std::size_t>(kSubBucketCount +
                                        static_cast<std::uint64_t>(msb - kSubBucketBits) * kSubBucketHalf +
                                        (top - kSubBucketHalf));
    }

    /// The smallest and largest value that land in bucket `index`.
    static std::uint64_t LowestEquivalent(std::size_t index) {
        if (index < kSubBucketCount) return index;
        const std::uint64_t rel = index - kSubBucketCount;
        const int shift = static_cast<int>(rel / kSubBucketHalf) + 1;
        const std::uint64_t top = kSubBucketHalf + rel % kSubBucketHalf;
        return top << shift;
    }
    static std::uint64_t HighestEquivalent(std::size_t index) {
        if (index < kSubBucketCount) return index;
        const std::uint64_t rel = index - kSubBucketCount;
        const int shift = static_cast<int>(rel / kSubBucketHalf) + 1;
        return LowestEquivalent(index) + ((std::uint64_t{1} << shift) - 1);
    }

  private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    long double sum_ = 0;
    std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t max_ = 0;
};

}  // namespace rooms_bench
