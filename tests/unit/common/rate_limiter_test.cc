#include "common/rate_limiter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/simulated_time.h"

namespace rooms {
namespace {

using namespace std::chrono_literals;

class RateLimiterTest : public ::testing::Test {
  protected:
    // Time only moves when a test says so.
    test_support::SimulatedTime time_;
    const MonotonicTime t0_ = time_.Monotonic();

    /// One Take with the clock at `at`.
    RateLimiter::Decision TakeAt(RateLimiter& limiter, const std::string& ip, MonotonicTime at) {
        time_.SetMonotonic(at);
        return limiter.Take(ip);
    }
    /// Takes `n` tokens at `at`; returns how many were allowed.
    int TakeMany(RateLimiter& limiter, const std::string& ip, int n, MonotonicTime at) {
        int allowed = 0;
        for (int i = 0; i < n; ++i) allowed += TakeAt(limiter, ip, at).allowed;
        return allowed;
    }
};

TEST_F(RateLimiterTest, BurstThenRefusalWithRetryAfter) {
    RateLimiter limiter(2, 5, time_);
    for (int i = 0; i < 5; ++i) {
        const auto d = TakeAt(limiter, "10.0.0.1", t0_);
        EXPECT_TRUE(d.allowed) << i;
        EXPECT_EQ(d.retry_after_s, 0);
    }
    const auto refused = TakeAt(limiter, "10.0.0.1", t0_);
    EXPECT_FALSE(refused.allowed);
    EXPECT_GE(refused.retry_after_s, 1);
    // Refusals do not consume anything, and keep being refused while time stands still.
    EXPECT_EQ(TakeMany(limiter, "10.0.0.1", 100, t0_), 0);
}

TEST_F(RateLimiterTest, RetryAfterCoversTheWaitForOneToken) {
    RateLimiter limiter(0.1, 1, time_);  // one token every 10 s
    EXPECT_TRUE(TakeAt(limiter, "ip", t0_).allowed);
    const auto d = TakeAt(limiter, "ip", t0_);
    ASSERT_FALSE(d.allowed);
    EXPECT_GE(d.retry_after_s, 10);
    EXPECT_LE(d.retry_after_s, 11);
    // Waiting what it says is enough.
    EXPECT_TRUE(TakeAt(limiter, "ip", t0_ + std::chrono::seconds(d.retry_after_s)).allowed);
}

TEST_F(RateLimiterTest, RefillsOverTime) {
    RateLimiter limiter(2, 5, time_);
    EXPECT_EQ(TakeMany(limiter, "ip", 5, t0_), 5);
    EXPECT_FALSE(TakeAt(limiter, "ip", t0_).allowed);

    // 2 tokens a second: after 500 ms exactly one more.
    EXPECT_EQ(TakeMany(limiter, "ip", 3, t0_ + 500ms), 1);
    // After another 1.5 s three more.
    EXPECT_EQ(TakeMany(limiter, "ip", 10, t0_ + 2000ms), 3);
    // A long pause refills to the burst, never above.
    EXPECT_EQ(TakeMany(limiter, "ip", 50, t0_ + 1h), 5);
}

TEST_F(RateLimiterTest, ClientsAreIndependent) {
    RateLimiter limiter(1, 3, time_);
    EXPECT_EQ(TakeMany(limiter, "192.0.2.1", 10, t0_), 3);
    EXPECT_EQ(TakeMany(limiter, "192.0.2.2", 10, t0_), 3);
    EXPECT_EQ(TakeMany(limiter, "2001:db8::1", 10, t0_), 3);
    EXPECT_FALSE(TakeAt(limiter, "192.0.2.1", t0_).allowed);
}

TEST_F(RateLimiterTest, ZeroRpsIsUnlimited) {
    RateLimiter limiter(0, 1, time_);
    for (int i = 0; i < 10000; ++i) {
        const auto d = TakeAt(limiter, "ip", t0_);
        ASSERT_TRUE(d.allowed) << i;
        EXPECT_EQ(d.retry_after_s, 0);
    }
}

TEST_F(RateLimiterTest, EvictionForgetsTheLeastRecentlyUsedClient) {
    // Past max_keys the limiter forgets the client it saw longest ago; a client still being limited stays limited.
    RateLimiter limiter(1, 2, time_, 1000);
    for (int i = 0; i < 999; ++i) ASSERT_TRUE(TakeAt(limiter, "198.51." + std::to_string(i), t0_).allowed);
    const auto t1 = t0_ + 1s;
    EXPECT_EQ(TakeMany(limiter, "victim", 2, t1), 2);
    EXPECT_TRUE(TakeAt(limiter, "newcomer", t1).allowed);  // the 1,001st client: evicts 198.51.0
    EXPECT_EQ(limiter.tracked(), 1000u);
    EXPECT_FALSE(TakeAt(limiter, "victim", t1).allowed);
    EXPECT_EQ(TakeMany(limiter, "198.51.0", 3, t1), 2) << "a forgotten client starts with a full bucket";
}

TEST_F(RateLimiterTest, TableNeverExceedsItsBoundUnderManyDistinctKeys) {
    // Before, the clean-up only forgot refilled buckets: 100,000 keys all refused (or all taken within the same
    // instant) left nothing to forget, and every further key grew the table. Now it is bounded for real.
    constexpr std::size_t kBound = 500;
    RateLimiter limiter(0.001, 1, time_, kBound);  // a bucket takes 1,000 s to refill: nothing refills in this test
    std::size_t most = 0;
    for (int i = 0; i < 20'000; ++i) {
        const std::string key = "203.0.113." + std::to_string(i);
        EXPECT_TRUE(TakeAt(limiter, key, t0_ + std::chrono::milliseconds(i)).allowed);
        EXPECT_FALSE(TakeAt(limiter, key, t0_ + std::chrono::milliseconds(i)).allowed);  // empty: not refillable
        most = std::max(most, limiter.tracked());
    }
    EXPECT_EQ(most, kBound);
    EXPECT_EQ(limiter.tracked(), kBound);
    // The most recent clients are the ones remembered, still limited.
    EXPECT_FALSE(TakeAt(limiter, "203.0.113.19999", t0_ + 20s).allowed);
}

TEST_F(RateLimiterTest, ConcurrentTakesNeverExceedTheBurst) {
    RateLimiter limiter(1, 100, time_);
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([&] { allowed += TakeMany(limiter, "shared", 100, t0_); });
    for (auto& th : threads) th.join();
    EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace rooms
