#include "adapters/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "crypto/secrets.h"
#include "test_util.h"

namespace rooms {
namespace {

using unit::FixedTime;
using unit::Ids;
using unit::MakeMessage;

class SqliteStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        room1_ = rooms_.Create("one", FixedTime()).id;
        room2_ = rooms_.Create("two", FixedTime()).id;
    }

    std::vector<MessageId> PageIds(RoomId room, std::optional<MessageId> before, int limit) {
        auto page = messages_.Page(room, before, limit);
        EXPECT_TRUE(page.ok()) << page.error().message;
        return page.ok() ? Ids(page.value()) : std::vector<MessageId>{};
    }

    SqliteDatabase db_{":memory:"};
    SqliteUserStore users_{db_};
    SqliteRefreshTokenStore tokens_{db_};
    SqliteRoomStore rooms_{db_};
    SqliteMessageStore messages_{db_};
    RoomId room1_ = 0, room2_ = 0;
};

TEST_F(SqliteStoreTest, InsertIsIdempotent) {
    const Message m = MakeMessage(100, room1_);
    messages_.InsertBatch({&m, 1});
    messages_.InsertBatch({&m, 1});
    const std::vector<Message> twice_in_one_batch = {MakeMessage(101, room1_), MakeMessage(101, room1_)};
    messages_.InsertBatch(twice_in_one_batch);
    // A retried batch overlapping what is stored already.
    const std::vector<Message> retry = {MakeMessage(100, room1_), MakeMessage(101, room1_), MakeMessage(102, room1_)};
    messages_.InsertBatch(retry);
    EXPECT_EQ(PageIds(room1_, std::nullopt, 100), (std::vector<MessageId>{102, 101, 100}));
    EXPECT_EQ(messages_.MaxId(), 102);
    messages_.InsertBatch({});  // nothing
}

TEST_F(SqliteStoreTest, RoundTripsEveryField) {
    const Message in = MakeMessage(5, room1_, "multi\nline 日本 😀 \"quoted\"", "Zoë", 77, MessageType::kLeave);
    messages_.InsertBatch({&in, 1});
    auto page = messages_.Page(room1_, std::nullopt, 10);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->size(), 1u);
    test_support::ExpectSameMessage(page->front(), in);
}

TEST_F(SqliteStoreTest, PagesNewestFirstWithBefore) {
    std::vector<Message> batch;
    for (MessageId id = 1000; id < 1025; ++id) {
        batch.push_back(MakeMessage(id, room1_));
        batch.push_back(MakeMessage(id + 5000, room2_));  // interleaved other room
    }
    messages_.InsertBatch(batch);

    std::vector<MessageId> expected_first, expected_second, expected_third;
    for (MessageId id = 1024; id >= 1015; --id) expected_first.push_back(id);
    for (MessageId id = 1014; id >= 1005; --id) expected_second.push_back(id);
    for (MessageId id = 1004; id >= 1000; --id) expected_third.push_back(id);

    EXPECT_EQ(PageIds(room1_, std::nullopt, 10), expected_first);
    EXPECT_EQ(PageIds(room1_, 1015, 10), expected_second);
    EXPECT_EQ(PageIds(room1_, 1005, 10), expected_third);
    EXPECT_TRUE(PageIds(room1_, 1000, 10).empty());
    EXPECT_EQ(PageIds(room1_, 1024, 1), (std::vector<MessageId>{1023}));
    EXPECT_EQ(PageIds(room2_, std::nullopt, 2), (std::vector<MessageId>{6024, 6023}));
}

TEST_F(SqliteStoreTest, OrderIsAcceptanceOrderNotIdOrder) {
    // Ids from several nodes need not be monotonic in acceptance order.
    const std::vector<Message> batch = {MakeMessage(50, room1_), MakeMessage(30, room1_), MakeMessage(90, room1_),
                                        MakeMessage(10, room1_)};
    messages_.InsertBatch(batch);
    EXPECT_EQ(PageIds(room1_, std::nullopt, 10), (std::vector<MessageId>{10, 90, 30, 50}));
    EXPECT_EQ(PageIds(room1_, 90, 10), (std::vector<MessageId>{30, 50}));
}

TEST_F(SqliteStoreTest, UnknownBeforeIsNotFound) {
    const std::vector<Message> batch = {MakeMessage(1, room1_), MakeMessage(2, room2_)};
    messages_.InsertBatch(batch);
    auto unknown = messages_.Page(room1_, 12345, 10);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
    // An id that exists, but in another room.
    auto other_room = messages_.Page(room1_, 2, 10);
    ASSERT_FALSE(other_room.ok());
    EXPECT_EQ(other_room.error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, EmptyStore) {
    EXPECT_EQ(messages_.MaxId(), 0);
    EXPECT_TRUE(PageIds(room1_, std::nullopt, 10).empty());
    EXPECT_TRUE(PageIds(999, std::nullopt, 10).empty());
    EXPECT_TRUE(db_.Ping());
}

TEST_F(SqliteStoreTest, Rooms) {
    const Room three = rooms_.Create("日本 room", FixedTime());
    const auto list = rooms_.List();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].name, "one");  // oldest first
    EXPECT_EQ(list[1].name, "two");
    EXPECT_EQ(list[2].name, "日本 room");
    EXPECT_LT(list[0].id, list[1].id);
    const auto found = rooms_.Find(three.id);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->name, "日本 room");
    EXPECT_EQ(found->time_created, FixedTime());
    EXPECT_FALSE(rooms_.Find(three.id + 100).has_value());
}

TEST_F(SqliteStoreTest, Users) {
    auto alice = users_.Create("alice", "hash-a", FixedTime());
    ASSERT_TRUE(alice.ok());
    EXPECT_GT(alice->id, 0);
    auto dup = users_.Create("alice", "hash-b", FixedTime());
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
    auto bob = users_.Create("Alice", "hash-c", FixedTime());  // nicknames are compared exactly
    ASSERT_TRUE(bob.ok());
    EXPECT_NE(bob->id, alice->id);

    const auto by_id = users_.FindById(alice->id);
    ASSERT_TRUE(by_id.has_value());
    EXPECT_EQ(by_id->nickname, "alice");
    EXPECT_EQ(by_id->password_hash, "hash-a");
    EXPECT_EQ(by_id->time_created, FixedTime());
    EXPECT_EQ(users_.FindByNickname("alice")->id, alice->id);
    EXPECT_FALSE(users_.FindByNickname("carol").has_value());
    EXPECT_FALSE(users_.FindById(9999).has_value());
}

TEST_F(SqliteStoreTest, RefreshTokenStates) {
    const auto user = users_.Create("alice", "hash", FixedTime());
    ASSERT_TRUE(user.ok());
    const auto now = FixedTime();
    const TokenHash live = Sha256("live"), old = Sha256("old"), other = Sha256("other");
    tokens_.Insert(live, user->id, "fam-1", now + std::chrono::hours(1));
    tokens_.Insert(old, user->id, "fam-1", now - std::chrono::seconds(1));
    tokens_.Insert(other, user->id, "fam-2", now + std::chrono::hours(1));

    EXPECT_EQ(tokens_.Consume(Sha256("unknown"), now).status, ConsumeStatus::kNotFound);
    EXPECT_EQ(tokens_.Consume(old, now).status, ConsumeStatus::kExpired);
    EXPECT_EQ(*tokens_.FamilyOf(live), "fam-1");
    EXPECT_FALSE(tokens_.FamilyOf(Sha256("unknown")).has_value());

    const auto first = tokens_.Consume(live, now);
    EXPECT_EQ(first.status, ConsumeStatus::kOk);
    EXPECT_EQ(first.user_id, user->id);
    EXPECT_EQ(first.family, "fam-1");
    const auto second = tokens_.Consume(live, now);
    EXPECT_EQ(second.status, ConsumeStatus::kAlreadyUsed);
    EXPECT_EQ(second.family, "fam-1");

    tokens_.RevokeFamily("fam-1");
    EXPECT_EQ(tokens_.Consume(live, now).status, ConsumeStatus::kRevoked);
    EXPECT_EQ(tokens_.Consume(other, now).status, ConsumeStatus::kOk) << "other families are unaffected";
}

TEST_F(SqliteStoreTest, OnlyOneConcurrentConsumeWins) {
    const auto user = users_.Create("alice", "hash", FixedTime());
    ASSERT_TRUE(user.ok());
    const TokenHash hash = Sha256("contested");
    tokens_.Insert(hash, user->id, "fam", FixedTime() + std::chrono::hours(1));
    std::atomic<int> ok{0}, used{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&] {
            const auto c = tokens_.Consume(hash, FixedTime());
            if (c.status == ConsumeStatus::kOk) ++ok;
            if (c.status == ConsumeStatus::kAlreadyUsed) ++used;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(used.load(), 7);
}

TEST(SqliteDatabaseTest, SchemaSurvivesReopenInATempDir) {
    const auto dir = std::filesystem::temp_directory_path() / ("rooms_unit_sqlite_" + std::to_string(::getpid()) + "_" +
                                                               std::to_string(Now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "rooms.db").string();
    {
        SqliteDatabase db(path);
        SqliteRoomStore rooms(db);
        SqliteMessageStore messages(db);
        const auto room = rooms.Create("persisted", FixedTime());
        const Message m = MakeMessage(7, room.id);
        messages.InsertBatch({&m, 1});
    }
    {
        SqliteDatabase db(path);  // migrations must not run twice
        SqliteRoomStore rooms(db);
        SqliteMessageStore messages(db);
        ASSERT_EQ(rooms.List().size(), 1u);
        EXPECT_EQ(messages.MaxId(), 7);
    }
    std::filesystem::remove_all(dir);
}

TEST(SqliteDatabaseTest, OpenFailureThrows) {
    EXPECT_THROW(SqliteDatabase("/nonexistent-dir-for-rooms-unit-tests/sub/rooms.db"), std::runtime_error);
}

}  // namespace
}  // namespace rooms
