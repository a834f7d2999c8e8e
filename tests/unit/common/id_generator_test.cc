#include "common/id_generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

namespace rooms {
namespace {

constexpr std::int64_t kEpochMs = 1704067200000;  // 2024-01-01T00:00:00Z, the generator's epoch

int NodeOf(MessageId id) { return static_cast<int>((id >> 12) & 0x3FF); }
std::int64_t MillisOf(MessageId id) { return id >> 22; }
std::int64_t NowMillisSinceEpoch() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count() - kEpochMs;
}

TEST(IdGeneratorTest, StrictlyIncreasingOver100kIds) {
    IdGenerator ids(7);
    MessageId prev = 0;
    for (int i = 0; i < 100'000; ++i) {
        const MessageId id = ids.Next();
        ASSERT_GT(id, prev) << "at " << i;
        ASSERT_EQ(NodeOf(id), 7) << "at " << i;
        prev = id;
    }
}

TEST(IdGeneratorTest, IdsArePositiveAndCarryTheTime) {
    const auto before = NowMillisSinceEpoch();
    IdGenerator ids(0);
    const MessageId id = ids.Next();
    EXPECT_GT(id, 0);
    EXPECT_GE(MillisOf(id), before);
    EXPECT_LE(MillisOf(id), NowMillisSinceEpoch() + 60'000);  // loose: only "it is a time, not garbage"
}

TEST(IdGeneratorTest, NodeIdIsEmbeddedAndRangeChecked) {
    for (int node : {0, 1, 512, IdGenerator::kMaxNodeId}) {
        IdGenerator ids(node);
        EXPECT_EQ(NodeOf(ids.Next()), node);
    }
    EXPECT_THROW(IdGenerator(-1), std::invalid_argument);
    EXPECT_THROW(IdGenerator(IdGenerator::kMaxNodeId + 1), std::invalid_argument);
    EXPECT_THROW(IdGenerator(1 << 20), std::invalid_argument);
}

TEST(IdGeneratorTest, DifferentNodesNeverCollide) {
    IdGenerator a(1), b(2);
    std::set<MessageId> seen;
    for (int i = 0; i < 10'000; ++i) {
        EXPECT_TRUE(seen.insert(a.Next()).second);
        EXPECT_TRUE(seen.insert(b.Next()).second);
    }
}

TEST(IdGeneratorTest, FloorInThePastIsRespected) {
    IdGenerator first(3);
    const MessageId floor = first.Next();
    IdGenerator restarted(3, floor);  // same node after a restart, seeded with the largest stored id
    for (int i = 0; i < 1000; ++i) ASSERT_GT(restarted.Next(), floor);
}

TEST(IdGeneratorTest, FloorInTheFutureIsRespected) {
    // The stored ids come from a clock that was ahead (or this clock went back): still never reuse.
    const std::int64_t future_ms = NowMillisSinceEpoch() + 3'600'000;
    const MessageId floor = (future_ms << 22) | (5 << 12) | 4095;  // the last id of that millisecond
    IdGenerator ids(5, floor);
    MessageId prev = floor;
    for (int i = 0; i < 10'000; ++i) {
        const MessageId id = ids.Next();
        ASSERT_GT(id, prev) << "at " << i;
        ASSERT_EQ(NodeOf(id), 5);
        prev = id;
    }
    // A floor from another node in the same future millisecond.
    const MessageId other = (future_ms << 22) | (900 << 12) | 17;
    IdGenerator ids2(1, other);
    EXPECT_GT(ids2.Next(), other);
}

TEST(IdGeneratorTest, ThreadSafe) {
    IdGenerator ids(9);
    constexpr int kThreads = 4, kPerThread = 20'000;
    std::vector<std::vector<MessageId>> got(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            got[t].reserve(kPerThread);
            for (int i = 0; i < kPerThread; ++i) got[t].push_back(ids.Next());
        });
    for (auto& th : threads) th.join();
    std::vector<MessageId> all;
    for (const auto& v : got) {
        EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
        all.insert(all.end(), v.begin(), v.end());
    }
    std::sort(all.begin(), all.end());
    EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "duplicate id";
}

}  // namespace
}  // namespace rooms
