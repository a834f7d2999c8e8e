#include "histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace rooms_bench {
namespace {

TEST(LatencyHistogramTest, EmptyReportsZero) {
    LatencyHistogram h;
    EXPECT_EQ(h.Count(), 0u);
    EXPECT_EQ(h.Max(), 0u);
    EXPECT_EQ(h.Min(), 0u);
    EXPECT_EQ(h.ValueAtPercentile(50), 0u);
    EXPECT_EQ(h.Mean(), 0.0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
    LatencyHistogram h;
    for (std::uint64_t v = 1; v <= 100; ++v) h.Record(v);
    EXPECT_EQ(h.Count(), 100u);
    EXPECT_EQ(h.ValueAtPercentile(50), 50u);
    EXPECT_EQ(h.ValueAtPercentile(90), 90u);
    EXPECT_EQ(h.ValueAtPercentile(99), 99u);
    EXPECT_EQ(h.ValueAtPercentile(100), 100u);
    EXPECT_EQ(h.Min(), 1u);
    EXPECT_EQ(h.Max(), 100u);
    EXPECT_DOUBLE_EQ(h.Mean(), 50.5);
}

TEST(LatencyHistogramTest, BucketsTileTheRangeWithoutGaps) {
    for (std::size_t i = 1; i < LatencyHistogram::kBucketCount; ++i) {
        ASSERT_EQ(LatencyHistogram::LowestEquivalent(i), LatencyHistogram::HighestEquivalent(i - 1) + 1) << i;
        ASSERT_EQ(LatencyHistogram::IndexOf(LatencyHistogram::LowestEquivalent(i)), i);
        ASSERT_EQ(LatencyHistogram::IndexOf(LatencyHistogram::HighestEquivalent(i)), i);
    }
    EXPECT_EQ(LatencyHistogram::HighestEquivalent(LatencyHistogram::kBucketCount - 1),
              std::numeric_limits<std::uint64_t>::max());
}

TEST(LatencyHistogramTest, RelativeErrorIsBounded) {
    std::mt19937_64 rng(42);
    for (int i = 0; i < 100000; ++i) {
        const std::uint64_t v = rng() >> (rng() % 60);
        const std::size_t idx = LatencyHistogram::IndexOf(v);
        const std::uint64_t hi = LatencyHistogram::HighestEquivalent(idx);
        ASSERT_LE(LatencyHistogram::LowestEquivalent(idx), v);
        ASSERT_GE(hi, v);
        if (v > 0) {
            ASSERT_LE(static_cast<double>(hi - v) / static_cast<double>(v), LatencyHistogram::kMaxRelativeError) << v;
        }
    }
}

TEST(LatencyHistogramTest, PercentilesMatchSortedSamplesWithinOnePercent) {
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> latency(13.0, 1.0);  // around 0.4 ms in ns, with a long tail
    LatencyHistogram h;
    std::vector<std::uint64_t> samples;
    for (int i = 0; i < 200000; ++i) {
        const auto v = static_cast<std::uint64_t>(latency(rng));
        samples.push_back(v);
        h.Record(v);
    }
    std::sort(samples.begin(), samples.end());
    for (double p : {50.0, 90.0, 99.0, 99.9}) {
        const auto exact = samples[static_cast<std::size_t>(std::ceil(p / 100 * samples.size())) - 1];
        const auto got = h.ValueAtPercentile(p);
        EXPECT_GE(got, exact) << p;
        EXPECT_LE(static_cast<double>(got - exact) / static_cast<double>(exact), 0.01) << p;
    }
    EXPECT_EQ(h.Max(), samples.back());
    EXPECT_EQ(h.ValueAtPercentile(100), samples.back());
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
    LatencyHistogram a, b, all;
    for (std::uint64_t v = 1; v < 5000000; v += 997) {
        (v % 2 ? a : b).Record(v);
        all.Record(v);
    }
    a.Merge(b);
    EXPECT_EQ(a.Count(), all.Count());
    EXPECT_EQ(a.Max(), all.Max());
    EXPECT_EQ(a.Min(), all.Min());
    for (double p : {1.0, 50.0, 99.0, 99.99}) EXPECT_EQ(a.ValueAtPercentile(p), all.ValueAtPercentile(p)) << p;
}

TEST(LatencyHistogramTest, RecordNCountsMany) {
    LatencyHistogram h;
    h.RecordN(1000, 99);
    h.RecordN(1000000, 1);
    EXPECT_EQ(h.Count(), 100u);
    EXPECT_LE(h.ValueAtPercentile(99), 1000u * 1.01);
    EXPECT_EQ(h.ValueAtPercentile(99.5), 1000000u);
    h.Reset();
    EXPECT_EQ(h.Count(), 0u);
    EXPECT_EQ(h.Max(), 0u);
}

}  // namespace
}  // namespace rooms_bench
