#include "http/connection_caps.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace rooms
