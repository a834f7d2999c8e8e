#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters/memory/memory_bus.h"
#include "adapters/memory/memory_history.h"
#include "adapters/memory/memory_presence.h"
#include "support/fakes.h"
#include "test_util.h"

namespace rooms {
namespace {

using unit::Ids;
using unit::MakeMessage;
using Names = std::vector<std::string>;

std::vector<Message> Messages(RoomId room, std::initializer_list<MessageId> ids) {
    std::vector<Message> out;
    for (auto id : ids) out.push_back(MakeMessage(id, room));
    return out;
}

// --- MemoryPresence ------------------------------------------------------------------------------------

TEST(MemoryPresenceTest, UserWithTwoConnectionsIsListedOnce) {
    MemoryPresence presence;
    EXPECT_TRUE(presence.Online(1).empty());
    presence.Add(1, "conn-a", 7, "bob");
    presence.Add(1, "conn-b", 7, "bob");
    EXPECT_EQ(presence.Online(1), (Names{"bob"}));

    presence.Remove(1, "conn-a");
    EXPECT_EQ(presence.Online(1), (Names{"bob"})) << "one connection is still open";
    presence.Remove(1, "conn-b");
    EXPECT_TRUE(presence.Online(1).empty());
}

TEST(MemoryPresenceTest, SortedByNicknameAndPerRoom) {
    MemoryPresence presence;
    presence.Add(1, "c1", 1, "zed");
    presence.Add(1, "c2", 2, "amy");
    presence.Add(1, "c3", 3, "mia");
    presence.Add(1, "c4", 2, "amy");
    presence.Add(2, "c5", 1, "zed");
    EXPECT_EQ(presence.Online(1), (Names{"amy", "mia", "zed"}));
    EXPECT_EQ(presence.Online(2), (Names{"zed"}));
    EXPECT_TRUE(presence.Online(3).empty());

    presence.Remove(1, "c1");
    EXPECT_EQ(presence.Online(1), (Names{"amy", "mia"}));
    EXPECT_EQ(presence.Online(2), (Names{"zed"})) << "other rooms are unaffected";
    presence.Remove(1, "unknown");
    presence.Remove(99, "c2");
    EXPECT_EQ(presence.Online(1), (Names{"amy", "mia"}));
}

TEST(MemoryPresenceTest, ConcurrentConnectionsOfOneUser) {
    MemoryPresence presence;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&presence, t] {
            for (int i = 0; i < 500; ++i) {
                const ConnectionId c = std::to_string(t) + "-" + std::to_string(i);
                presence.Add(1, c, 42, "carol");
                EXPECT_EQ(presence.Online(1), (Names{"carol"}));
                presence.Remove(1, c);
            }
        });
    presence.Add(1, "steady", 42, "carol");
    for (auto& th : threads) th.join();
    EXPECT_EQ(presence.Online(1), (Names{"carol"}));
    presence.Remove(1, "steady");
    EXPECT_TRUE(presence.Online(1).empty());
}

// --- MemoryHistoryCache --------------------------------------------------------------------------------

TEST(MemoryHistoryCacheTest, MissUntilFilled) {
    MemoryHistoryCache cache(10);
    EXPECT_FALSE(cache.Recent(1, 10).has_value());
    cache.Append(MakeMessage(1, 1));
    EXPECT_FALSE(cache.Recent(1, 10).has_value()) << "appends alone do not make a room known";
    cache.Fill(1, {});
    auto recent = cache.Recent(1, 10);
    ASSERT_TRUE(recent.has_value());
    EXPECT_EQ(Ids(*recent), (std::vector<MessageId>{1}));
    // An empty, filled room is a hit with no messages.
    cache.Fill(2, {});
    ASSERT_TRUE(cache.Recent(2, 10).has_value());
    EXPECT_TRUE(cache.Recent(2, 10)->empty());
}

TEST(MemoryHistoryCacheTest, FillMergesEarlierAppendsWithoutDuplicates) {
    MemoryHistoryCache cache(10);
    // The store read for the fill raced with messages 3 and 4: 3 reached the store in time, 4 did not.
    cache.Append(MakeMessage(3, 1));
    cache.Append(MakeMessage(4, 1));
    cache.Fill(1, Messages(1, {3, 2, 1}));  // newest first, as read from the store
    auto recent = cache.Recent(1, 10);
    ASSERT_TRUE(recent.has_value());
    EXPECT_EQ(Ids(*recent), (std::vector<MessageId>{4, 3, 2, 1}));

    cache.Append(MakeMessage(5, 1));
    EXPECT_EQ(Ids(*cache.Recent(1, 10)), (std::vector<MessageId>{5, 4, 3, 2, 1}));
    EXPECT_EQ(Ids(*cache.Recent(1, 2)), (std::vector<MessageId>{5, 4}));
    EXPECT_TRUE(cache.Recent(1, 0)->empty());

    // A second fill (another joiner's store read) changes nothing.
    cache.Fill(1, Messages(1, {5, 4, 3, 2, 1, 0}));
    EXPECT_EQ(Ids(*cache.Recent(1, 10)), (std::vector<MessageId>{5, 4, 3, 2, 1}));
}

TEST(MemoryHistoryCacheTest, KeepsFieldsIntact) {
    MemoryHistoryCache cache(10);
    cache.Fill(1, {MakeMessage(1, 1, "stored 日本", "zoë", 3, MessageType::kJoin)});
    cache.Append(MakeMessage(2, 1, "live", "bob", 4, MessageType::kLeave));
    const auto recent = *cache.Recent(1, 10);
    ASSERT_EQ(recent.size(), 2u);
    EXPECT_EQ(recent[0].content, "live");
    EXPECT_EQ(recent[0].nickname, "bob");
    EXPECT_EQ(recent[0].type, MessageType::kLeave);
    EXPECT_EQ(recent[1].content, "stored 日本");
    EXPECT_EQ(recent[1].nickname, "zoë");
    EXPECT_EQ(recent[1].user_id, 3);
    EXPECT_EQ(recent[1].type, MessageType::kJoin);
}

TEST(MemoryHistoryCacheTest, TrimsToCapacity) {
    MemoryHistoryCache cache(3);
    cache.Fill(1, Messages(1, {5, 4, 3, 2, 1}));
    EXPECT_EQ(Ids(*cache.Recent(1, 10)), (std::vector<MessageId>{5, 4, 3}));
    for (MessageId id = 6; id <= 10; ++id) cache.Append(MakeMessage(id, 1));
    EXPECT_EQ(Ids(*cache.Recent(1, 10)), (std::vector<MessageId>{10, 9, 8}));

    // Appends before the fill are trimmed too, and win over older store rows.
    MemoryHistoryCache cache2(3);
    for (MessageId id = 10; id <= 14; ++id) cache2.Append(MakeMessage(id, 2));
    cache2.Fill(2, Messages(2, {9, 8}));
    EXPECT_EQ(Ids(*cache2.Recent(2, 10)), (std::vector<MessageId>{14, 13, 12}));
}

// --- MemoryHistoryCache: the byte budget and the notices --------------------------------------------

Message BigMessage(MessageId id, RoomId room, std::size_t bytes = 4096, MessageType type = MessageType::kMessage) {
    return MakeMessage(id, room, std::string(bytes, 'x'), "alice", 1, type);
}

TEST(MemoryHistoryCacheBudgetTest, ChargesEveryMessageAndRoom) {
    MemoryHistoryCache cache(10, 1 << 20);
    EXPECT_EQ(cache.bytes(), 0u);
    cache.Fill(1, {});
    EXPECT_EQ(cache.bytes(), MemoryHistoryCache::kRoomBytes);
    const Message m = BigMessage(1, 1);
    cache.Append(m);
    const std::size_t one = MemoryHistoryCache::MessageBytes(m);
    EXPECT_GE(one, 4096u);
    EXPECT_EQ(cache.bytes(), MemoryHistoryCache::kRoomBytes + one);
    // Trimming to the capacity gives back what the dropped messages cost.
    for (MessageId id = 2; id <= 25; ++id) cache.Append(BigMessage(id, 1));
    EXPECT_EQ(cache.bytes(), MemoryHistoryCache::kRoomBytes + 10 * one);
    EXPECT_EQ(cache.rooms(), 1u);
    EXPECT_EQ(cache.evictions(), 0u);
}

TEST(MemoryHistoryCacheBudgetTest, DropsTheLeastRecentlyUsedRoomsToStayWithinTheBudget) {
    const std::size_t room_bytes =
        MemoryHistoryCache::kRoomBytes + 10 * MemoryHistoryCache::MessageBytes(BigMessage(1, 1));
    const std::size_t budget = 3 * room_bytes;  // three full rooms
    MemoryHistoryCache cache(10, static_cast<std::int64_t>(budget));
    MessageId id = 0;
    auto fill_room = [&](RoomId room) {
        cache.Fill(room, {});
        for (int i = 0; i < 10; ++i) cache.Append(BigMessage(++id, room));
    };
    fill_room(1);
    fill_room(2);
    fill_room(3);
    EXPECT_EQ(cache.rooms(), 3u);
    EXPECT_LE(cache.bytes(), budget);
    ASSERT_TRUE(cache.Recent(1, 10).has_value()) << "read: room 1 is now the most recently used";
    fill_room(4);  // over the budget: room 2, the least recently used, goes
    EXPECT_LE(cache.bytes(), budget);
    EXPECT_EQ(cache.evictions(), 1u);
    EXPECT_FALSE(cache.Recent(2, 10).has_value()) << "dropped: a miss, the store answers";
    EXPECT_TRUE(cache.Recent(1, 10).has_value());
    EXPECT_TRUE(cache.Recent(3, 10).has_value());
    EXPECT_TRUE(cache.Recent(4, 10).has_value());

    // Three times the budget over many rooms: never above it, and every room that stays is whole.
    for (RoomId room = 10; room < 40; ++room) {
        fill_room(room);
        EXPECT_LE(cache.bytes(), budget) << "room " << room;
    }
    EXPECT_LE(cache.rooms(), 3u);
    auto newest = cache.Recent(39, 10);
    ASSERT_TRUE(newest.has_value());
    EXPECT_EQ(newest->size(), 10u);
    EXPECT_EQ(newest->front().id, id);

    // A dropped room fills again from the store like any miss.
    cache.Fill(2, {BigMessage(5, 2), BigMessage(4, 2)});
    EXPECT_EQ(Ids(*cache.Recent(2, 10)), (std::vector<MessageId>{5, 4}));
    EXPECT_LE(cache.bytes(), budget);
}

TEST(MemoryHistoryCacheBudgetTest, OneRoomLargerThanTheBudgetIsKeptAlone) {
    MemoryHistoryCache cache(10, 10'000);  // less than three 4 KiB messages
    cache.Fill(1, {});
    cache.Fill(2, {});
    for (MessageId id = 1; id <= 5; ++id) cache.Append(BigMessage(id, 2));
    EXPECT_FALSE(cache.Recent(1, 10).has_value());
    ASSERT_TRUE(cache.Recent(2, 10).has_value());
    EXPECT_EQ(cache.Recent(2, 10)->size(), 5u);
    EXPECT_EQ(cache.rooms(), 1u);
}

TEST(MemoryHistoryCacheBudgetTest, AZeroBudgetCachesNothing) {
    MemoryHistoryCache cache(10, 0);
    cache.Fill(1, Messages(1, {2, 1}));
    cache.Append(MakeMessage(3, 1));
    EXPECT_FALSE(cache.Recent(1, 10).has_value());
    EXPECT_EQ(cache.bytes(), 0u);
}

TEST(MemoryHistoryCacheTest, NoticesNeverPushChatMessagesOut) {
    MemoryHistoryCache cache(3);
    cache.Fill(1, Messages(1, {3, 2, 1}));
    // A join/leave storm: far more notices than the capacity.
    for (MessageId id = 4; id < 100; ++id)
        cache.Append(MakeMessage(id, 1, "", "bob", 2, id % 2 == 0 ? MessageType::kJoin : MessageType::kLeave));
    auto recent = cache.Recent(1, 3);
    ASSERT_TRUE(recent.has_value());
    std::vector<MessageId> chat;
    std::size_t notices = 0;
    for (const auto& m : *recent) (m.type == MessageType::kMessage ? chat.push_back(m.id) : void(++notices));
    EXPECT_EQ(chat, (std::vector<MessageId>{3, 2, 1})) << "the three chat messages are still there";
    EXPECT_EQ(notices, 3u) << "and the newest three notices, no more";
    EXPECT_EQ(recent->front().id, 99);
    // A new chat message pushes the oldest chat message out, and the notices older than it.
    cache.Append(MakeMessage(100, 1));
    std::vector<MessageId> chat_after;
    const auto after = cache.Recent(1, 3);
    ASSERT_TRUE(after.has_value());
    for (const auto& m : *after)
        if (m.type == MessageType::kMessage) chat_after.push_back(m.id);
    EXPECT_EQ(chat_after, (std::vector<MessageId>{100, 3, 2}));
}

TEST(MemoryHistoryCacheTest, RoomsAreSeparate) {
    MemoryHistoryCache cache(10);
    cache.Fill(1, Messages(1, {1}));
    cache.Fill(2, Messages(2, {2}));
    cache.Append(MakeMessage(3, 1));
    EXPECT_EQ(Ids(*cache.Recent(1, 10)), (std::vector<MessageId>{3, 1}));
    EXPECT_EQ(Ids(*cache.Recent(2, 10)), (std::vector<MessageId>{2}));
}

// --- MemoryBus -----------------------------------------------------------------------------------------

using test_support::RecordingSink;

TEST(MemoryBusTest, EverySinkSeesEveryMessageInPublishOrder) {
    MemoryBus bus;
    RecordingSink a, b;
    bus.Subscribe(&a);
    bus.Subscribe(&b);
    int accepted = 0;
    std::vector<MessageId> expected;
    for (MessageId id = 1; id <= 100; ++id) {
        bus.Publish(MakeMessage(id, 1 + id % 3), [&](std::optional<Error> err) {
            EXPECT_FALSE(err.has_value());
            ++accepted;
        });
        expected.push_back(id);
    }
    EXPECT_EQ(accepted, 100);
    EXPECT_EQ(Ids(a.Messages()), expected);
    EXPECT_EQ(Ids(b.Messages()), expected);
    EXPECT_EQ(a.Messages()[41].content, "message 42");
}

TEST(MemoryBusTest, ConcurrentPublishersKeepPerRoomOrder) {
    MemoryBus bus;
    RecordingSink sink;
    bus.Subscribe(&sink);
    constexpr int kPerThread = 1000;
    std::vector<std::thread> threads;
    std::atomic<int> accepted{0};
    for (int t = 1; t <= 4; ++t)
        threads.emplace_back([&, t] {
            // Rooms 1 and 65 share a stripe; the order within each room must hold regardless.
            const RoomId room = t == 2 ? 65 : t;
            for (int i = 1; i <= kPerThread; ++i)
                bus.Publish(MakeMessage(t * 10000 + i, room), [&](std::optional<Error> err) {
                    if (!err) ++accepted;
                });
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(accepted.load(), 4 * kPerThread);
    std::map<RoomId, std::vector<MessageId>> per_room;
    for (const auto& m : sink.Messages()) per_room[m.room_id].push_back(m.id);
    ASSERT_EQ(per_room.size(), 4u);
    for (const auto& [room, ids] : per_room) {
        EXPECT_EQ(ids.size(), static_cast<std::size_t>(kPerThread));
        EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end())) << room;
    }
}

TEST(MemoryBusTest, CloseRefusesLaterPublishes) {
    MemoryBus bus;
    RecordingSink sink;
    bus.Subscribe(&sink);
    bus.Publish(MakeMessage(1, 1), [](std::optional<Error> err) { EXPECT_FALSE(err.has_value()); });
    bus.Close();
    int calls = 0;
    bus.Publish(MakeMessage(2, 1), [&](std::optional<Error> err) {
        ++calls;
        ASSERT_TRUE(err.has_value());
        EXPECT_EQ(err->code, ErrorCode::kUnavailable);
    });
    EXPECT_EQ(calls, 1) << "the handler is called exactly once";
    EXPECT_EQ(Ids(sink.Messages()), (std::vector<MessageId>{1}));
}

// Shutdown closes the bus while connections still publish on other threads: each Publish is answered exactly
// once, a publisher refused once stays refused, and the sinks got exactly the accepted messages, in order.
TEST(MemoryBusTest, CloseWhilePublishingAnswersEachPublishOnce) {
    MemoryBus bus;
    RecordingSink sink;
    bus.Subscribe(&sink);
    constexpr int kThreads = 4, kPerThread = 1000;
    std::atomic<int> accepted{0};
    std::vector<std::vector<bool>> outcomes(kThreads);  // per thread, one entry per handler call: accepted?
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 1; i <= kPerThread; ++i)
                bus.Publish(MakeMessage(t * 10000 + i, 1 + t), [&, t](std::optional<Error> err) {
                    if (err) {
                        EXPECT_EQ(err->code, ErrorCode::kUnavailable);
                    } else {
                        ++accepted;
                    }
                    outcomes[t].push_back(!err);
                });
        });
    // Close once a quarter went through: the publishers are usually still at it (either way the counts hold).
    while (accepted.load() < kThreads * kPerThread / 4) std::this_thread::yield();
    bus.Close();
    for (auto& th : threads) th.join();

    std::map<RoomId, std::vector<MessageId>> per_room;
    for (const auto& m : sink.Messages()) per_room[m.room_id].push_back(m.id);
    int total_accepted = 0;
    for (int t = 0; t < kThreads; ++t) {
        SCOPED_TRACE(t);
        const auto& o = outcomes[t];
        ASSERT_EQ(o.size(), static_cast<std::size_t>(kPerThread)) << "a handler was called more or less than once";
        EXPECT_TRUE(std::is_sorted(o.rbegin(), o.rend())) << "accepted after a refusal";
        const auto n = static_cast<MessageId>(std::count(o.begin(), o.end(), true));
        std::vector<MessageId> expected;
        for (MessageId i = 1; i <= n; ++i) expected.push_back(t * 10000 + i);
        EXPECT_EQ(per_room[1 + t], expected);
        total_accepted += static_cast<int>(n);
    }
    EXPECT_EQ(total_accepted, accepted.load());
    EXPECT_EQ(sink.Messages().size(), static_cast<std::size_t>(total_accepted));
    bool refused = false;
    bus.Publish(MakeMessage(99, 1), [&](std::optional<Error> err) { refused = err.has_value(); });
    EXPECT_TRUE(refused);
}

}  // namespace
}  // namespace rooms
