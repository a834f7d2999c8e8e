#include "http/connection_caps.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "http/connection.h"

namespace rooms {
namespace {

TEST(ConnectionCapsTest, PerUserAndPerAddress) {
    ConnectionCaps caps(/*per_ip=*/3, /*per_user=*/2);
    EXPECT_FALSE(caps.Acquire("10.0.0.1", 1));
    EXPECT_FALSE(caps.Acquire("10.0.0.2", 1));
    EXPECT_EQ(caps.Acquire("10.0.0.3", 1), "too many connections for this user (at most 2)");
    EXPECT_FALSE(caps.Acquire("10.0.0.1", 2));
    EXPECT_FALSE(caps.Acquire("10.0.0.1", 3));
    EXPECT_EQ(caps.Acquire("10.0.0.1", 4), "too many connections from this address (at most 3)");
    caps.Release("10.0.0.1", 1);
    EXPECT_FALSE(caps.Acquire("10.0.0.1", 4)) << "a released connection makes room";
    EXPECT_FALSE(caps.Acquire("10.0.0.9", 1)) << "and counts for its user too";
}

TEST(ConnectionCapsTest, ZeroMeansNoCap) {
    ConnectionCaps caps(0, 0);
    for (int i = 0; i < 1000; ++i) EXPECT_FALSE(caps.Acquire("10.0.0.1", 1));
}

TEST(CappedCountsTest, EachKeyUnderItsCap) {
    CappedCounts<std::string> counts(2);
    EXPECT_TRUE(counts.TryAcquire("127.0.0.1"));
    EXPECT_TRUE(counts.TryAcquire("127.0.0.1"));
    EXPECT_FALSE(counts.TryAcquire("127.0.0.1"));
    EXPECT_TRUE(counts.TryAcquire("127.0.0.2")) << "another address is not held back";
    counts.Release("127.0.0.1");
    EXPECT_TRUE(counts.TryAcquire("127.0.0.1"));
    CappedCounts<std::string> none(0);
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(none.TryAcquire("127.0.0.1"));
}

/// A connection as ReclaimIdle sees it.
class FakeConnection : public Connection {
  public:
    explicit FakeConnection(std::optional<std::chrono::steady_clock::time_point> idle_since,
                            bool busy_on_reclaim = false)
        : idle_since_(idle_since), busy_on_reclaim_(busy_on_reclaim) {}
    void Shutdown() override {}
    void Abort() override {}
    std::optional<std::chrono::steady_clock::time_point> IdleSince() const override { return idle_since_; }
    bool TryReclaim() override {
        if (!idle_since_ || busy_on_reclaim_) return false;
        reclaimed = true;
        idle_since_.reset();
        return true;
    }
    bool reclaimed = false;

  private:
    std::optional<std::chrono::steady_clock::time_point> idle_since_;
    bool busy_on_reclaim_;
};

TEST(ConnectionRegistryTest, ReclaimsTheConnectionIdleLongest) {
    const auto now = std::chrono::steady_clock::now();
    ConnectionRegistry registry;
    auto busy = std::make_shared<FakeConnection>(std::nullopt);
    auto recent = std::make_shared<FakeConnection>(now);
    auto oldest = std::make_shared<FakeConnection>(now - std::chrono::seconds(4));
    auto raced = std::make_shared<FakeConnection>(now - std::chrono::seconds(9), /*busy_on_reclaim=*/true);
    ConnectionGuard g1(registry, busy), g2(registry, recent), g3(registry, oldest), g4(registry, raced);

    EXPECT_TRUE(registry.ReclaimIdle());
    EXPECT_TRUE(oldest->reclaimed) << "the longest idle that is still idle (the older one became busy meanwhile)";
    EXPECT_FALSE(recent->reclaimed);
    EXPECT_TRUE(registry.ReclaimIdle());
    EXPECT_TRUE(recent->reclaimed);
    EXPECT_FALSE(registry.ReclaimIdle()) << "only busy connections left: nothing to reclaim";
    EXPECT_FALSE(busy->reclaimed);
}

}  // namespace
}  // namespace rooms
