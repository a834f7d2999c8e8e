#include "client/backoff.h"

#include <gtest/gtest.h>

#include <set>

namespace rooms::client {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DoublesWithJitterInTheUpperHalfUpToTheMaximum) {
    Backoff backoff(milliseconds(500), milliseconds(30000), 42);
    const std::int64_t steps[] = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
    for (std::int64_t step : steps) {
        const auto d = backoff.Next().count();
        EXPECT_GE(d, step / 2) << "step " << step;
        EXPECT_LE(d, step) << "step " << step;
    }
    EXPECT_EQ(backoff.attempts(), 9);
}

TEST(BackoffTest, ResetStartsAgain) {
    Backoff backoff(milliseconds(500), milliseconds(30000), 7);
    for (int i = 0; i < 5; ++i) backoff.Next();
    backoff.Reset();
    EXPECT_EQ(backoff.attempts(), 0);
    EXPECT_LE(backoff.Next().count(), 500);
}

TEST(BackoffTest, JitterSpreadsClientsDroppedTogether) {
    std::set<std::int64_t> first_delays;
    for (std::uint64_t seed = 0; seed < 20; ++seed)
        first_delays.insert(Backoff(milliseconds(500), milliseconds(30000), seed).Next().count());
    EXPECT_GT(first_delays.size(), 10u);
}

}  // namespace
}  // namespace rooms::client
