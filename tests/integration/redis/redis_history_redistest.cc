#include <algorithm>
#include <thread>

#include "adapters/redis/redis_history.h"
#include "common/message_codec.h"
#include "redis_test_util.h"

namespace rooms::test {
namespace {

std::vector<MessageId> Ids(const std::optional<std::vector<Message>>& messages) {
    std::vector<MessageId> ids;
    if (messages) {
        for (const auto& m : *messages) ids.push_back(m.id);
    }
    return ids;
}

class RedisHistoryTest : public RedisTest {
  protected:
    void SetUp() override {
        RedisTest::SetUp();
        if (HasFatalFailure()) return;
        pool_ = std::make_unique<RedisPool>(Options());
    }

    RedisHistoryCache Cache(int capacity) {
        RedisHistoryOptions options;
        options.key_prefix = prefix_;
        options.capacity = capacity;
        return RedisHistoryCache(*pool_, options);
    }

    std::int64_t Ttl(const std::string& key) {
        return admin_->Run([&](RedisConnection& c) { return c.CommandOrThrow({"TTL", key}); }).integer;
    }

    std::unique_ptr<RedisPool> pool_;
};

TEST_F(RedisHistoryTest, MissThenFillThenRecentNewestFirst) {
    auto cache = Cache(10);
    EXPECT_EQ(cache.Recent(1, 10), std::nullopt);
    cache.Fill(1, {MakeMessage(3, 1), MakeMessage(2, 1), MakeMessage(1, 1)});
    EXPECT_EQ(Ids(cache.Recent(1, 10)), (std::vector<MessageId>{3, 2, 1}));
    EXPECT_EQ(Ids(cache.Recent(1, 2)), (std::vector<MessageId>{3, 2}));
    EXPECT_EQ(cache.Recent(2, 10), std::nullopt);  // another room is still a miss
}

TEST_F(RedisHistoryTest, ForgetMakesTheRoomsAMissAgainAndLeavesOthers) {
    auto cache = Cache(10);
    cache.Fill(1, {MakeMessage(2, 1), MakeMessage(1, 1)});
    cache.Fill(2, {MakeMessage(4, 2), MakeMessage(3, 2)});
    cache.Fill(3, {MakeMessage(5, 3)});
    const std::vector<RoomId> forget{1, 3, 99};  // 99 was never cached
    cache.Forget(forget);
    EXPECT_EQ(cache.Recent(1, 10), std::nullopt);
    EXPECT_EQ(cache.Recent(3, 10), std::nullopt);
    EXPECT_EQ(Ids(cache.Recent(2, 10)), (std::vector<MessageId>{4, 3}));
    // Refilled from the store, the room holds what the store has, not what was cached before.
    cache.Fill(1, {MakeMessage(7, 1), MakeMessage(2, 1), MakeMessage(1, 1)});
    EXPECT_EQ(Ids(cache.Recent(1, 10)), (std::vector<MessageId>{7, 2, 1}));
    EXPECT_NO_THROW(cache.Forget(std::vector<RoomId>{}));
}

TEST_F(RedisHistoryTest, EveryFieldSurvivesTheRoundTrip) {
    auto cache = Cache(10);
    Message m;
    m.id = (std::int64_t{1} << 62) + 12345;  // a large Snowflake id must stay exact
    m.room_id = 77;
    m.user_id = 9'007'199'254'740'993;  // 2^53 + 1: not representable as a double
    m.nickname = "Zoë \"quoted\" \\ ник";
    m.content = std::string("line1\nline2\t\x01 and a nul: ") + std::string(1, '\0') + " 😀";
    m.time_created = TimePoint(std::chrono::microseconds(1'717'171'717'123'456));
    m.type = MessageType::kJoin;
    Message leave = MakeMessage(5, 77);
    leave.type = MessageType::kLeave;
    cache.Fill(77, {m, leave});
    const auto got = cache.Recent(77, 10);
    ASSERT_TRUE(got.has_value());
    ASSERT_EQ(got->size(), 2u);
    const Message& r = (*got)[0];
    EXPECT_EQ(r.id, m.id);
    EXPECT_EQ(r.room_id, m.room_id);
    EXPECT_EQ(r.user_id, m.user_id);
    EXPECT_EQ(r.nickname, m.nickname);
    EXPECT_EQ(r.content, m.content);
    EXPECT_EQ(r.time_created, m.time_created);
    EXPECT_EQ(r.type, MessageType::kJoin);
    EXPECT_EQ((*got)[1].type, MessageType::kLeave);
}

TEST_F(RedisHistoryTest, AppendToAnUnfilledRoomStaysAMiss) {
    auto cache = Cache(10);
    cache.Append(MakeMessage(1, 1));
    cache.Append(MakeMessage(2, 1));
    EXPECT_EQ(cache.Recent(1, 10), std::nullopt);
    // What it keeps meanwhile expires soon, not after the filled rooms' week.
    const auto ttl = Ttl(cache.ListKey(1));
    EXPECT_GT(ttl, 0);
    EXPECT_LE(ttl, 60);
}

TEST_F(RedisHistoryTest, AppendAfterFillPushesAndTrimsToCapacity) {
    auto cache = Cache(3);
    cache.Fill(1, {MakeMessage(2, 1), MakeMessage(1, 1)});
    cache.Append(MakeMessage(3, 1));
    EXPECT_EQ(Ids(cache.Recent(1, 10)), (std::vector<MessageId>{3, 2, 1}));
    cache.Append(MakeMessage(4, 1));
    cache.Append(MakeMessage(5, 1));
    EXPECT_EQ(Ids(cache.Recent(1, 10)), (std::vector<MessageId>{5, 4, 3}));
    EXPECT_EQ(admin_->Run([&](RedisConnection& c) { return c.CommandOrThrow({"LLEN", cache.ListKey(1)}); }).integer, 3);
    EXPECT_EQ(admin_->Run([&](RedisConnection& c) {
                        return c.CommandOrThrow({"LLEN", cache.ListKey(1) + ":ids"});
                    })
                  .integer,
              3);
    // A filled room's keys live long, and every write renews them.
    EXPECT_GT(Ttl(cache.ListKey(1)), 24 * 3600);
    EXPECT_GT(Ttl(cache.ListKey(1) + ":filled"), 24 * 3600);
}

TEST_F(RedisHistoryTest, FillNeverOverwritesAFilledRoom) {
    auto cache = Cache(10);
    cache.Fill(1, {MakeMessage(2, 1), MakeMessage(1, 1)});
    cache.Append(MakeMessage(3, 1));
    // A second reader that missed concurrently fills with its (older) snapshot: ignored.
    cache.Fill(1, {MakeMessage(2, 1), MakeMessage(1, 1)});
    EXPECT_EQ(Ids(cache.Recent(1, 10)), (std::vector<MessageId>{3, 2, 1}));
    cache.Fill(1, {});
    EXPECT_EQ(Ids(cache.Recent(1, 10)), (std::vector<MessageId>{3, 2, 1}));
}

TEST_F(RedisHistoryTest, MessageAppendedBetweenStoreReadAndFillIsKept) {
    auto cache = Cache(3);
    // The reader saw 3,2,1 in the store; 4 was stored and appended before its Fill.
    cache.Append(MakeMessage(4, 1));
    cache.Fill(1, {MakeMessage(3, 1), MakeMessage(2, 1), MakeMessage(1, 1)});
    EXPECT_EQ(Ids(cache.Recent(1, 10)), (std::vector<MessageId>{4, 3, 2}));
    EXPECT_GT(Ttl(cache.ListKey(1)), 24 * 3600);  // now a filled room
}

TEST_F(RedisHistoryTest, MessageInBothTheStoreReadAndTheCacheIsNotDoubled) {
    auto cache = Cache(5);
    // Appended before the Fill, and also in the reader's snapshot.
    cache.Append(MakeMessage(3, 1));
    cache.Fill(1, {MakeMessage(3, 1), MakeMessage(2, 1), MakeMessage(1, 1)});
    EXPECT_EQ(Ids(cache.Recent(1, 10)), (std::vector<MessageId>{3, 2, 1}));
    // In the snapshot, appended after the Fill (the consumer was slower than the reader).
    cache.Fill(2, {MakeMessage(12, 2), MakeMessage(11, 2)});
    cache.Append(MakeMessage(12, 2));
    EXPECT_EQ(Ids(cache.Recent(2, 10)), (std::vector<MessageId>{12, 11}));
}

TEST_F(RedisHistoryTest, RedeliveredBatchIsNotDoubled) {
    auto cache = Cache(5);
    cache.Fill(1, {});
    std::vector<Message> batch{MakeMessage(1, 1), MakeMessage(2, 1), MakeMessage(3, 1)};
    cache.AppendBatch(batch);
    cache.AppendBatch(batch);  // Kafka at-least-once: the consumer died before committing
    EXPECT_EQ(Ids(cache.Recent(1, 10)), (std::vector<MessageId>{3, 2, 1}));
}

TEST_F(RedisHistoryTest, AnEmptyFilledRoomIsNotAMiss) {
    auto cache = Cache(10);
    cache.Fill(5, {});
    const auto got = cache.Recent(5, 10);
    ASSERT_TRUE(got.has_value());
    EXPECT_TRUE(got->empty());
    cache.Append(MakeMessage(1, 5));
    EXPECT_EQ(Ids(cache.Recent(5, 10)), (std::vector<MessageId>{1}));
}

TEST_F(RedisHistoryTest, FillKeepsOnlyTheCapacity) {
    auto cache = Cache(2);
    cache.Fill(1, {MakeMessage(3, 1), MakeMessage(2, 1), MakeMessage(1, 1)});
    EXPECT_EQ(Ids(cache.Recent(1, 10)), (std::vector<MessageId>{3, 2}));
}

TEST_F(RedisHistoryTest, AppendBatchKeepsTheOrderOfEachRoom) {
    auto cache = Cache(4);
    cache.Fill(1, {});
    cache.Fill(2, {});
    cache.Fill(3, {});
    std::vector<Message> batch;
    for (MessageId id = 1; id <= 15; ++id) batch.push_back(MakeMessage(id, id % 3 + 1));
    cache.AppendBatch(batch);
    // room 1: 3,6,9,12,15; room 2: 1,4,7,10,13; room 3: 2,5,8,11,14 -- newest four each.
    EXPECT_EQ(Ids(cache.Recent(1, 10)), (std::vector<MessageId>{15, 12, 9, 6}));
    EXPECT_EQ(Ids(cache.Recent(2, 10)), (std::vector<MessageId>{13, 10, 7, 4}));
    EXPECT_EQ(Ids(cache.Recent(3, 10)), (std::vector<MessageId>{14, 11, 8, 5}));

    // A large batch in one call.
    auto big = Cache(100);
    big.Fill(9, {});
    std::vector<Message> many;
    for (MessageId id = 1000; id < 2000; ++id) many.push_back(MakeMessage(id, 9));
    big.AppendBatch(many);
    const auto ids = Ids(big.Recent(9, 100));
    ASSERT_EQ(ids.size(), 100u);
    for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], 1999 - static_cast<MessageId>(i));
}

TEST_F(RedisHistoryTest, ConcurrentFillsLeaveExactlyOneSnapshot) {
    auto cache = Cache(10);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            std::vector<Message> rows;
            for (int i = 3; i >= 1; --i) rows.push_back(MakeMessage(t * 10 + i, 1));
            cache.Fill(1, rows);
        });
    }
    for (auto& t : threads) t.join();
    const auto ids = Ids(cache.Recent(1, 10));
    ASSERT_EQ(ids.size(), 3u);
    const MessageId base = ids[0] - 3;
    EXPECT_EQ(ids, (std::vector<MessageId>{base + 3, base + 2, base + 1}));
}

TEST_F(RedisHistoryTest, AppendsRacingAFillLoseNothing) {
    auto cache = Cache(1000);
    // The store holds 1..100; a consumer stores and appends 101..400 while a reader fills from the store.
    std::vector<Message> snapshot;
    for (MessageId id = 100; id >= 1; --id) snapshot.push_back(MakeMessage(id, 1));
    std::thread consumer([&] {
        for (MessageId id = 101; id <= 400; ++id) cache.Append(MakeMessage(id, 1));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    cache.Fill(1, snapshot);
    consumer.join();
    const auto ids = Ids(cache.Recent(1, 1000));
    ASSERT_EQ(ids.size(), 400u);
    for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], 400 - static_cast<MessageId>(i));
}

TEST_F(RedisHistoryTest, UndecodableEntriesAreSkipped) {
    auto cache = Cache(10);
    cache.Fill(1, {MakeMessage(2, 1), MakeMessage(1, 1)});
    admin_->Run([&](RedisConnection& c) { return c.CommandOrThrow({"RPUSH", cache.ListKey(1), "not json"}); });
    EXPECT_EQ(Ids(cache.Recent(1, 10)), (std::vector<MessageId>{2, 1}));
    EXPECT_FALSE(DecodeMessage("{\"id\":1}").ok());
    EXPECT_EQ(DecodeMessage(EncodeMessage(MakeMessage(3, 1)))->id, 3);
}

TEST_F(RedisHistoryTest, NoticesNeverPushChatMessagesOut) {
    auto cache = Cache(3);
    cache.Fill(1, {MakeMessage(3, 1), MakeMessage(2, 1), MakeMessage(1, 1)});
    // A join/leave storm: far more notices than the capacity, one at a time and in a batch.
    const auto notice = [](MessageId id, RoomId room = 1) {
        Message m = MakeMessage(id, room, "");
        m.type = id % 2 == 0 ? MessageType::kJoin : MessageType::kLeave;
        return m;
    };
    for (MessageId id = 4; id < 50; ++id) cache.Append(notice(id));
    std::vector<Message> batch;
    for (MessageId id = 50; id < 100; ++id) batch.push_back(notice(id));
    cache.AppendBatch(batch);
    const auto recent = cache.Recent(1, 3);
    ASSERT_TRUE(recent.has_value());
    EXPECT_EQ(Ids(recent), (std::vector<MessageId>{99, 98, 97, 3, 2, 1}))
        << "the three chat messages and the newest three notices, newest first";
    EXPECT_EQ(admin_->Run([&](RedisConnection& c) {
                        return c.CommandOrThrow({"LLEN", cache.ListKey(1) + ":notices"});
                    })
                  .integer,
              3);
    // A new chat message pushes the oldest chat message out; notices older than the window go with it.
    cache.Append(MakeMessage(100, 1));
    EXPECT_EQ(Ids(cache.Recent(1, 3)), (std::vector<MessageId>{100, 99, 98, 97, 3, 2}));
    EXPECT_EQ(Ids(cache.Recent(1, 1)), (std::vector<MessageId>{100}));

    // Filled from the store with a storm in it: the newest three of each kind.
    std::vector<Message> rows;
    for (MessageId id = 300; id > 200; --id) rows.push_back(notice(id, 2));
    for (MessageId id = 200; id > 190; --id) rows.push_back(MakeMessage(id, 2));
    cache.Fill(2, rows);
    EXPECT_EQ(Ids(cache.Recent(2, 3)), (std::vector<MessageId>{300, 299, 298, 200, 199, 198}));
    // And Forget drops the notices too.
    const std::vector<RoomId> forget{1, 2};
    cache.Forget(forget);
    EXPECT_TRUE(Keys().empty());
}

TEST_F(RedisHistoryTest, ZeroCapacityKeepsNothingAndNeverMisses) {
    auto cache = Cache(0);
    cache.Fill(1, {MakeMessage(1, 1)});
    cache.Append(MakeMessage(2, 1));
    const auto got = cache.Recent(1, 10);
    ASSERT_TRUE(got.has_value());
    EXPECT_TRUE(got->empty());
    EXPECT_TRUE(Keys().empty());
}

}  // namespace
}  // namespace rooms::test
