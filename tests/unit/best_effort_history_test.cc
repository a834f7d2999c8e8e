#include "services/best_effort_history.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "adapters/memory/memory_history.h"
#include "test_util.h"

namespace rooms {
namespace {

using unit::MakeMessage;

/// A cache that fails while `down`, and records what it was asked to forget.
struct FlakyCache : MemoryHistoryCache {
    explicit FlakyCache(int capacity) : MemoryHistoryCache(capacity) {}
    bool down = false;
    std::vector<RoomId> forgotten;
    void AppendBatch(std::span<const Message> messages) override {
        if (down) throw std::runtime_error("redis: connection refused");
        MemoryHistoryCache::AppendBatch(messages);
    }
    void Forget(std::span<const RoomId> rooms) override {
        if (down) throw std::runtime_error("redis: connection refused");
        forgotten.insert(forgotten.end(), rooms.begin(), rooms.end());
    }
};

TEST(BestEffortHistoryTest, WritesThroughWhileTheCacheWorks) {
    FlakyCache cache(10);
    cache.Fill(1, {});
    BestEffortHistory history(cache);
    const std::vector<Message> batch{MakeMessage(1, 1), MakeMessage(2, 1)};
    history.Write(batch);
    EXPECT_EQ(cache.Recent(1, 10)->size(), 2u);
    EXPECT_EQ(history.Health(), std::nullopt);
    EXPECT_EQ(history.StaleRooms(), 0u);
}

TEST(BestEffortHistoryTest, AFailedWriteDoesNotThrowAndTheRoomsAreForgottenWhenTheCacheReturns) {
    FlakyCache cache(10);
    BestEffortHistory history(cache);
    cache.down = true;
    history.Write(std::vector<Message>{MakeMessage(1, 1), MakeMessage(2, 2)});
    history.Write(std::vector<Message>{MakeMessage(3, 2), MakeMessage(4, 3)});
    ASSERT_TRUE(history.Health());
    EXPECT_NE(history.Health()->find("connection refused"), std::string::npos) << *history.Health();
    EXPECT_EQ(history.StaleRooms(), 3u);
    EXPECT_TRUE(cache.forgotten.empty());

    cache.down = false;
    history.Write(std::vector<Message>{MakeMessage(5, 4)});
    EXPECT_EQ(cache.forgotten, (std::vector<RoomId>{1, 2, 3}));  // before anything else is written
    EXPECT_EQ(history.Health(), std::nullopt);
    EXPECT_EQ(history.StaleRooms(), 0u);

    cache.forgotten.clear();
    history.Write(std::vector<Message>{MakeMessage(6, 1)});
    EXPECT_TRUE(cache.forgotten.empty()) << "forgotten once only";
}

TEST(BestEffortHistoryTest, RoomsStayStaleWhileForgettingFails) {
    FlakyCache cache(10);
    BestEffortHistory history(cache);
    cache.down = true;
    history.Write(std::vector<Message>{MakeMessage(1, 1)});
    history.Write(std::vector<Message>{MakeMessage(2, 2)});  // Forget fails too: room 1 is still stale
    EXPECT_EQ(history.StaleRooms(), 2u);
    cache.down = false;
    history.Write(std::vector<Message>{});
    EXPECT_EQ(cache.forgotten, (std::vector<RoomId>{1, 2}));
}

}  // namespace
}  // namespace rooms
