#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/redis/redis_revocations.h"
#include "redis_test_util.h"

namespace rooms::test {
namespace {

using namespace std::chrono_literals;

/// What one gateway's bus received.
struct Received {
    void Add(const std::string& session) {
        std::lock_guard lock(mu);
        sessions.push_back(session);
        cv.notify_all();
    }
    bool WaitFor(const std::string& session, std::chrono::milliseconds timeout) {
        std::unique_lock lock(mu);
        return cv.wait_for(lock, timeout,
                           [&] { return std::find(sessions.begin(), sessions.end(), session) != sessions.end(); });
    }
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::string> sessions;
};

class RedisRevocationsTest : public RedisTest {
  protected:
    std::unique_ptr<RedisRevocationBus> MakeBus(RedisPool& pool, Received& into) {
        RedisRevocationOptions o;
        o.redis = Options();
        o.redis.redis.key_prefix = prefix_;
        o.retry_interval = 100ms;
        return std::make_unique<RedisRevocationBus>(pool, o, [&into](const std::string& s) { into.Add(s); });
    }
};

TEST_F(RedisRevocationsTest, ARevocationPublishedByOneGatewayReachesEvery) {
    RedisPool pool1(Options()), pool2(Options());
    Received got1, got2;
    auto gw1 = MakeBus(pool1, got1);
    auto gw2 = MakeBus(pool2, got2);
    ASSERT_TRUE(gw1->WaitSubscribed(5s)) << *gw1->Health();
    ASSERT_TRUE(gw2->WaitSubscribed(5s)) << *gw2->Health();
    EXPECT_FALSE(gw1->Health().has_value());

    gw1->Publish("session-a");
    EXPECT_TRUE(got2.WaitFor("session-a", 5s)) << "the other gateway";
    EXPECT_TRUE(got1.WaitFor("session-a", 5s)) << "the publisher's own subscription too";
    gw2->Publish("session-b");
    EXPECT_TRUE(got1.WaitFor("session-b", 5s));
}

TEST_F(RedisRevocationsTest, OtherPrefixesAreOtherClusters) {
    RedisPool pool(Options());
    Received ours, theirs;
    auto bus = MakeBus(pool, ours);
    RedisRevocationOptions o;
    o.redis = Options();
    o.redis.redis.key_prefix = prefix_ + "other:";
    RedisRevocationBus other(pool, o, [&theirs](const std::string& s) { theirs.Add(s); });
    ASSERT_TRUE(bus->WaitSubscribed(5s));
    ASSERT_TRUE(other.WaitSubscribed(5s));
    other.Publish("theirs");
    bus->Publish("ours");
    EXPECT_TRUE(ours.WaitFor("ours", 5s));
    EXPECT_TRUE(theirs.WaitFor("theirs", 5s));
    std::lock_guard lock(ours.mu);
    EXPECT_EQ(ours.sessions, std::vector<std::string>{"ours"});
}

TEST_F(RedisRevocationsTest, TheSubscriberComesBackAfterARedisRestart) {
    PrivateRedisServer server;
    ASSERT_EQ(server.Start(), "");
    RedisOptions options = Options();
    options.redis.address = server.Address();
    RedisPool pool(options);
    Received got;
    RedisRevocationOptions o;
    o.redis = options;
    o.redis.redis.key_prefix = prefix_;
    o.retry_interval = 100ms;
    RedisRevocationBus bus(pool, o, [&got](const std::string& s) { got.Add(s); });
    ASSERT_TRUE(bus.WaitSubscribed(5s));

    server.Stop();
    for (int i = 0; i < 100 && !bus.Health(); ++i) std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(bus.Health().has_value()) << "not subscribed while Redis is down";
    EXPECT_THROW(bus.Publish("lost"), RedisError) << "a publish that cannot reach Redis says so";

    ASSERT_EQ(server.Start(), "");
    ASSERT_TRUE(bus.WaitSubscribed(10s)) << *bus.Health();
    bus.Publish("after restart");
    EXPECT_TRUE(got.WaitFor("after restart", 5s));
}

}  // namespace
}  // namespace rooms::test
