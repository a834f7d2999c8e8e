#include "services/session_registry.h"

#include <gtest/gtest.h>

#include "support/simulated_time.h"

namespace rooms {
namespace {

using std::chrono::seconds;

struct CountingWatcher : SessionWatcher {
    void OnSessionRevoked() override { ++revoked; }
    int revoked = 0;
};

class SessionRegistryTest : public ::testing::Test {
  protected:
    test_support::SimulatedTime time_;
    SessionRegistry sessions_{seconds(900), time_};
};

TEST_F(SessionRegistryTest, RevokeTellsEveryWatcherOfThatSessionOnce) {
    auto a = std::make_shared<CountingWatcher>();
    auto b = std::make_shared<CountingWatcher>();
    auto other = std::make_shared<CountingWatcher>();
    ASSERT_TRUE(sessions_.Watch("s1", a));
    ASSERT_TRUE(sessions_.Watch("s1", b));
    ASSERT_TRUE(sessions_.Watch("s2", other));

    sessions_.Revoke("s1");
    sessions_.Revoke("s1");  // idempotent: e.g. the gateway's own revocation coming back from the bus

    EXPECT_EQ(a->revoked, 1);
    EXPECT_EQ(b->revoked, 1);
    EXPECT_EQ(other->revoked, 0);
    EXPECT_TRUE(sessions_.IsRevoked("s1"));
    EXPECT_FALSE(sessions_.IsRevoked("s2"));
    EXPECT_EQ(sessions_.watcher_count(), 1u);
}

TEST_F(SessionRegistryTest, AWatcherOfARevokedSessionIsRefused) {
    sessions_.Revoke("s1");
    EXPECT_FALSE(sessions_.Watch("s1", std::make_shared<CountingWatcher>()));
    EXPECT_EQ(sessions_.watcher_count(), 0u);
}

TEST_F(SessionRegistryTest, UnwatchedAndDestroyedWatchersAreNotTold) {
    auto gone = std::make_shared<CountingWatcher>();
    auto left = std::make_shared<CountingWatcher>();
    ASSERT_TRUE(sessions_.Watch("s1", gone));
    ASSERT_TRUE(sessions_.Watch("s1", left));
    sessions_.Unwatch("s1", left.get());
    EXPECT_EQ(sessions_.watcher_count(), 1u);
    gone.reset();
    sessions_.Revoke("s1");  // must not touch the destroyed one
    EXPECT_EQ(left->revoked, 0);
    EXPECT_EQ(sessions_.watcher_count(), 0u);
}

TEST_F(SessionRegistryTest, RevocationsAreForgottenOnceEveryAccessTokenOfThemExpired) {
    sessions_.Revoke("old");
    time_.Advance(seconds(899));
    EXPECT_TRUE(sessions_.IsRevoked("old"));
    time_.Advance(seconds(1));
    EXPECT_FALSE(sessions_.IsRevoked("old")) << "no access token of it can be valid any more";
    for (int i = 0; i < 1000; ++i) sessions_.Revoke("s" + std::to_string(i));
    EXPECT_EQ(sessions_.revoked_count(), 1000u) << "the expired one was dropped when the next came";
    time_.Advance(seconds(900));
    sessions_.Revoke("new");
    EXPECT_EQ(sessions_.revoked_count(), 1u) << "the table holds one access-token lifetime of revocations";
}

TEST_F(SessionRegistryTest, EmptySessionIsNeverRevoked) {
    sessions_.Revoke("");
    EXPECT_FALSE(sessions_.IsRevoked(""));
    EXPECT_EQ(sessions_.revoked_count(), 0u);
}

}  // namespace
}  // namespace rooms
