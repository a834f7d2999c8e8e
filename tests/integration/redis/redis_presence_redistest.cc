#include <thread>

#include "adapters/redis/redis_presence.h"
#include "redis_test_util.h"

namespace rooms::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Names = std::vector<std::string>;

class RedisPresenceTest : public RedisTest {
  protected:
    void SetUp() override {
        RedisTest::SetUp();
        if (HasFatalFailure()) return;
        pool_ = std::make_unique<RedisPool>(Options());
    }

    RedisPresenceOptions PresenceOptions(seconds ttl = seconds(30)) const {
        RedisPresenceOptions options;
        options.key_prefix = prefix_;
        options.ttl = ttl;
        return options;
    }

    std::unique_ptr<RedisPool> pool_;
};

TEST_F(RedisPresenceTest, TwoConnectionsOfOneUserAreListedOnce) {
    RedisPresence presence(*pool_, PresenceOptions());
    EXPECT_EQ(presence.Online(1), Names{});
    presence.Add(1, "1:1", 10, "alice");
    presence.Add(1, "1:2", 10, "alice");
    EXPECT_EQ(presence.Online(1), Names{"alice"});
    presence.Remove(1, "1:1");
    EXPECT_EQ(presence.Online(1), Names{"alice"});
    presence.Remove(1, "1:2");
    EXPECT_EQ(presence.Online(1), Names{});
    EXPECT_EQ(presence.LocalConnections(), 0u);
    EXPECT_TRUE(Keys().empty());  // an empty sorted set is no key at all
}

TEST_F(RedisPresenceTest, UsersAreSortedByNicknameAndRoomsAreSeparate) {
    RedisPresence presence(*pool_, PresenceOptions());
    presence.Add(1, "1:1", 30, "carol");
    presence.Add(1, "1:2", 10, "alice");
    presence.Add(1, "1:3", 20, "bob smith");
    presence.Add(2, "1:4", 40, "Дмитрий");
    EXPECT_EQ(presence.Online(1), (Names{"alice", "bob smith", "carol"}));
    EXPECT_EQ(presence.Online(2), Names{"Дмитрий"});
    EXPECT_EQ(presence.Online(3), Names{});
    presence.Remove(1, "no-such-connection");
    presence.Remove(9, "1:1");
    EXPECT_EQ(presence.Online(1).size(), 3u);
}

TEST_F(RedisPresenceTest, AnotherGatewaySeesTheSameUsers) {
    RedisPool other_pool(Options());
    RedisPresence gateway1(*pool_, PresenceOptions());
    RedisPresence gateway2(other_pool, PresenceOptions());
    gateway1.Add(1, "1:1", 10, "alice");
    gateway2.Add(1, "2:1", 20, "bob");
    gateway2.Add(1, "2:2", 10, "alice");  // alice on both gateways: still once
    EXPECT_EQ(gateway1.Online(1), (Names{"alice", "bob"}));
    EXPECT_EQ(gateway2.Online(1), (Names{"alice", "bob"}));
    gateway1.Remove(1, "1:1");
    EXPECT_EQ(gateway2.Online(1), (Names{"alice", "bob"}));
    gateway2.Remove(1, "2:2");
    EXPECT_EQ(gateway1.Online(1), Names{"bob"});
}

TEST_F(RedisPresenceTest, EntriesOfAStoppedOwnerExpireWhileRefreshedOnesStay) {
    RedisPool other_pool(Options());
    RedisPresence dead(*pool_, PresenceOptions(seconds(2)));  // a gateway that gets killed: never refreshes
    RedisPresence live(other_pool, PresenceOptions(seconds(2)));
    dead.Add(1, "1:1", 10, "alice");
    live.Add(1, "2:1", 20, "bob");
    EXPECT_EQ(live.Online(1), (Names{"alice", "bob"}));

    const auto deadline = std::chrono::steady_clock::now() + milliseconds(2500);
    while (std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(500));  // a refresh every ttl/4
        live.RefreshAll();
    }
    EXPECT_EQ(live.Online(1), Names{"bob"});
    // The expired entry was also deleted, not only hidden.
    const RedisReply count = admin_->Run([&](RedisConnection& c) {
        return c.CommandOrThrow({"ZCARD", live.RoomKey(1)});
    });
    EXPECT_EQ(count.integer, 1);
}

TEST_F(RedisPresenceTest, RefreshAllRestoresLostEntries) {
    RedisPresence presence(*pool_, PresenceOptions());
    presence.Add(1, "1:1", 10, "alice");
    presence.Add(2, "1:2", 20, "bob");
    // Redis lost its data (a restart without persistence).
    for (const auto& key : Keys()) admin_->Run([&](RedisConnection& c) { return c.Command({"DEL", key}); });
    EXPECT_EQ(presence.Online(1), Names{});
    presence.RefreshAll();
    EXPECT_EQ(presence.Online(1), Names{"alice"});
    EXPECT_EQ(presence.Online(2), Names{"bob"});
    // The sets expire by themselves too, should every gateway die.
    const RedisReply ttl = admin_->Run([&](RedisConnection& c) {
        return c.CommandOrThrow({"PTTL", presence.RoomKey(1)});
    });
    EXPECT_GT(ttl.integer, 30'000);
    EXPECT_LE(ttl.integer, 60'000);
}

TEST_F(RedisPresenceTest, RemovedConnectionsStayRemovedUnderConcurrentRefresh) {
    RedisPresence presence(*pool_, PresenceOptions());
    std::atomic<bool> stop = false;
    std::thread refresher([&] {
        while (!stop) presence.RefreshAll();
    });
    for (int i = 0; i < 200; ++i) {
        const std::string connection = "1:" + std::to_string(i);
        presence.Add(1, connection, 100 + i, "user" + std::to_string(i));
        presence.Remove(1, connection);
    }
    stop = true;
    refresher.join();
    EXPECT_EQ(presence.Online(1), Names{});
}

TEST_F(RedisPresenceTest, ReAddingAConnectionReplacesItsEntry) {
    RedisPresence presence(*pool_, PresenceOptions());
    presence.Add(1, "1:1", 10, "alice");
    presence.Add(1, "1:1", 11, "alicia");  // same connection, another identity (not expected, but consistent)
    EXPECT_EQ(presence.Online(1), Names{"alicia"});
    presence.Remove(1, "1:1");
    EXPECT_EQ(presence.Online(1), Names{});
}

}  // namespace
}  // namespace rooms::test
