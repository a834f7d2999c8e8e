// The four PostgreSQL stores against a live server: the same behaviours as the SQLite stores
// (tests/unit/sqlite_store_test.cc), plus what only a server shows (concurrency across connections).

#include <atomic>
#include <barrier>
#include <thread>

#include "pg_test_util.h"

namespace rooms::pgtest {
namespace {

class PgStoresTest : public PgStoreTest {
  protected:
    void SetUp() override {
        PgStoreTest::SetUp();
        if (HasFatalFailure()) return;
        room1_ = rooms_->Create("one", FixedTime()).id;
        room2_ = rooms_->Create("two", FixedTime()).id;
    }

    std::int64_t RowCount() {
        return std::stoll(admin_->Scalar("SELECT count(*) FROM " + Quote(schema_) + ".messages"));
    }

    RoomId room1_ = 0, room2_ = 0;
};

TEST_F(PgStoresTest, InsertIsIdempotent) {
    const Message m = MakeMessage(100, room1_);
    messages_->InsertBatch({&m, 1});
    messages_->InsertBatch({&m, 1});
    const std::vector<Message> twice_in_one_batch = {MakeMessage(101, room1_), MakeMessage(101, room1_)};
    messages_->InsertBatch(twice_in_one_batch);
    // A retried batch overlapping what is stored already.
    const std::vector<Message> retry = {MakeMessage(100, room1_), MakeMessage(101, room1_), MakeMessage(102, room1_)};
    messages_->InsertBatch(retry);
    EXPECT_EQ(PageIds(room1_, std::nullopt, 100), (std::vector<MessageId>{102, 101, 100}));
    EXPECT_EQ(messages_->MaxId(), 102);
    EXPECT_EQ(RowCount(), 3);
    messages_->InsertBatch({});  // nothing
    EXPECT_EQ(RowCount(), 3);
}

TEST_F(PgStoresTest, SameBatchTwiceKeepsOneRowPerId) {
    std::vector<Message> batch;
    for (MessageId id = 1; id <= 50; ++id) batch.push_back(MakeMessage(id * 7 % 51, id % 2 ? room1_ : room2_));
    messages_->InsertBatch(batch);
    messages_->InsertBatch(batch);
    EXPECT_EQ(RowCount(), 50);
    EXPECT_EQ(admin_->Scalar("SELECT count(DISTINCT id) FROM " + Quote(schema_) + ".messages"), "50");
}

TEST_F(PgStoresTest, RoundTripsEveryField) {
    const Message in =
        MakeMessage(5, room1_, "multi\nline 日本 😀 \"quoted\" 'single' \\ back", "Zoë", 77, MessageType::kLeave);
    messages_->InsertBatch({&in, 1});
    auto page = messages_->Page(room1_, std::nullopt, 10);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->size(), 1u);
    test_support::ExpectSameMessage(page->front(), in);
}

TEST_F(PgStoresTest, NulCharacterDoesNotPoisonTheBatch) {
    // U+0000 is valid UTF-8 but PostgreSQL text cannot hold it; the batch must still be stored.
    const std::vector<Message> batch = {MakeMessage(1, room1_, std::string("a\0b", 3), std::string("n\0", 2)),
                                        MakeMessage(2, room1_)};
    messages_->InsertBatch(batch);
    auto page = messages_->Page(room1_, std::nullopt, 10);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->size(), 2u);
    EXPECT_EQ(page->at(1).content,
              "a\xEF\xBF\xBD"
              "b");
    EXPECT_EQ(page->at(1).nickname, "n\xEF\xBF\xBD");
    EXPECT_EQ(page->at(0).content, "message 2");
}

TEST_F(PgStoresTest, TimesKeepMicrosecondsOnBothSidesOf2000) {
    using namespace std::chrono;
    const TimePoint before_2000 = time_point_cast<microseconds>(sys_days{year{1999} / December / 31}) + hours{23} +
                                  minutes{59} + seconds{59} + microseconds{999999};
    const TimePoint unix_epoch{};
    const TimePoint far = time_point_cast<microseconds>(sys_days{year{2262} / January / 1}) + microseconds{1};
    MessageId id = 1;
    for (const TimePoint t : {before_2000, unix_epoch, far, FixedTime()}) {
        Message m = MakeMessage(id++, room1_);
        m.time_created = t;
        messages_->InsertBatch({&m, 1});
        auto page = messages_->Page(room1_, std::nullopt, 1);
        ASSERT_TRUE(page.ok());
        EXPECT_EQ(page->at(0).time_created, t);
    }
    // The server sees the same instant (not a shifted one).
    EXPECT_EQ(admin_->Scalar("SELECT to_char(time_created AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM " +
                             Quote(schema_) + ".messages WHERE id = 1"),
              "1999-12-31 23:59:59.999999");
    const auto user = users_->Create("timely", "hash", before_2000);
    ASSERT_TRUE(user.ok());
    EXPECT_EQ(users_->FindById(user->id)->time_created, before_2000);
}

TEST_F(PgStoresTest, PagesNewestFirstWithBefore) {
    std::vector<Message> batch;
    for (MessageId id = 1000; id < 1025; ++id) {
        batch.push_back(MakeMessage(id, room1_));
        batch.push_back(MakeMessage(id + 5000, room2_));  // interleaved other room
    }
    messages_->InsertBatch(batch);

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
    EXPECT_TRUE(PageIds(room1_, std::nullopt, 0).empty());
    EXPECT_TRUE(PageIds(room1_, 1015, 0).empty());
}

TEST_F(PgStoresTest, OrderIsAcceptanceOrderNotIdOrder) {
    // Ids from several nodes need not be monotonic in acceptance order.
    const std::vector<Message> batch = {MakeMessage(50, room1_), MakeMessage(30, room1_), MakeMessage(90, room1_),
                                        MakeMessage(10, room1_)};
    messages_->InsertBatch(batch);
    EXPECT_EQ(PageIds(room1_, std::nullopt, 10), (std::vector<MessageId>{10, 90, 30, 50}));
    EXPECT_EQ(PageIds(room1_, 90, 10), (std::vector<MessageId>{30, 50}));
}

TEST_F(PgStoresTest, OrderIsPreservedAcrossBatches) {
    const std::vector<Message> first = {MakeMessage(500, room1_), MakeMessage(400, room1_)};
    const std::vector<Message> second = {MakeMessage(300, room1_), MakeMessage(500, room1_),  // replayed
                                         MakeMessage(200, room1_)};
    const std::vector<Message> third = {MakeMessage(100, room1_)};
    messages_->InsertBatch(first);
    messages_->InsertBatch(second);
    messages_->InsertBatch(third);
    EXPECT_EQ(PageIds(room1_, std::nullopt, 10), (std::vector<MessageId>{100, 200, 300, 400, 500}));
    EXPECT_EQ(PageIds(room1_, 300, 10), (std::vector<MessageId>{400, 500}));
    EXPECT_EQ(messages_->MaxId(), 500);
}

TEST_F(PgStoresTest, LargeBatchKeepsItsOrder) {
    std::vector<Message> batch;
    for (MessageId i = 0; i < 5000; ++i) {
        // Ids deliberately out of numeric order; three rooms interleaved.
        const RoomId room = i % 3 == 0 ? room2_ : room1_;
        batch.push_back(MakeMessage((i * 7919) % 5000 + 1, room, std::string(100 + i % 50, 'x')));
    }
    messages_->InsertBatch(batch);
    EXPECT_EQ(RowCount(), 5000);
    std::vector<MessageId> expected_room1;
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
        if (it->room_id == room1_) expected_room1.push_back(it->id);
    }
    EXPECT_EQ(PageIds(room1_, std::nullopt, 100000), expected_room1);
    EXPECT_EQ(messages_->MaxId(), 5000);
}

TEST_F(PgStoresTest, ConcurrentOverlappingBatchesStoreEachMessageOnce) {
    std::vector<Message> batch;
    for (MessageId id = 1; id <= 400; ++id) batch.push_back(MakeMessage(id, id % 2 ? room1_ : room2_));
    constexpr int kWriters = 6;
    std::barrier start(kWriters);
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            start.arrive_and_wait();
            // Each writer replays the whole batch, in pieces of different sizes.
            const std::size_t piece = 50 + 30 * static_cast<std::size_t>(w);
            for (std::size_t i = 0; i < batch.size(); i += piece) {
                messages_->InsertBatch(std::span(batch).subspan(i, std::min(piece, batch.size() - i)));
            }
        });
    }
    for (auto& t : writers) t.join();
    EXPECT_EQ(RowCount(), 400);
    std::vector<MessageId> expected;
    for (MessageId id = 399; id >= 1; id -= 2) expected.push_back(id);
    EXPECT_EQ(PageIds(room1_, std::nullopt, 1000), expected);
}

TEST_F(PgStoresTest, UnknownBeforeIsNotFound) {
    const std::vector<Message> batch = {MakeMessage(1, room1_), MakeMessage(2, room2_)};
    messages_->InsertBatch(batch);
    auto unknown = messages_->Page(room1_, 12345, 10);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
    // An id that exists, but in another room.
    auto other_room = messages_->Page(room1_, 2, 10);
    ASSERT_FALSE(other_room.ok());
    EXPECT_EQ(other_room.error().code, ErrorCode::kNotFound);
    // A room that does not exist.
    auto no_room = messages_->Page(999999, 1, 10);
    ASSERT_FALSE(no_room.ok());
    EXPECT_EQ(no_room.error().code, ErrorCode::kNotFound);
}

TEST_F(PgStoresTest, MessageOfUnknownRoomIsRejectedWithItsBatch) {
    const std::vector<Message> batch = {MakeMessage(1, room1_), MakeMessage(2, 999999)};
    try {
        messages_->InsertBatch(batch);
        FAIL() << "expected RejectedWrite";
    } catch (const RejectedWrite& e) {
        EXPECT_NE(std::string(e.what()).find("SQLSTATE 23503"), std::string::npos) << e.what();  // foreign key
        EXPECT_EQ(std::string(e.what()).find("999999"), std::string::npos) << "no values in messages: " << e.what();
    }
    EXPECT_EQ(RowCount(), 0) << "one statement: all or nothing";
}

TEST_F(PgStoresTest, ContentOverTheColumnLimitIsRejected) {
    // 65536 bytes is the most chat.max_message_bytes allows, and what the column holds (0002_message_limits).
    const Message largest = MakeMessage(1, room1_, std::string(65536, 'x'));
    messages_->InsertBatch({&largest, 1});
    const Message too_long = MakeMessage(2, room1_, std::string(65537, 'x'));
    try {
        messages_->InsertBatch({&too_long, 1});
        FAIL() << "expected RejectedWrite";
    } catch (const RejectedWrite& e) {
        EXPECT_NE(std::string(e.what()).find("messages_content_size"), std::string::npos) << e.what();
    }
    // Bytes, not characters: 21846 three-byte characters are 65538 bytes.
    std::string wide;
    for (int i = 0; i < 21846; ++i) wide += "\xE2\x82\xAC";  // €
    const Message too_wide = MakeMessage(3, room1_, wide);
    EXPECT_THROW(messages_->InsertBatch({&too_wide, 1}), RejectedWrite);
    EXPECT_EQ(RowCount(), 1);
}

TEST_F(PgStoresTest, NicknameOverTheApiLimitIsRejected) {
    const Message longest = MakeMessage(1, room1_, "", std::string(50, 'n'));
    messages_->InsertBatch({&longest, 1});
    const Message too_long = MakeMessage(2, room1_, "", std::string(51, 'n'));
    EXPECT_THROW(messages_->InsertBatch({&too_long, 1}), RejectedWrite);
    EXPECT_EQ(RowCount(), 1);
}

TEST_F(PgStoresTest, InvalidUtf8IsRejected) {
    const Message m = MakeMessage(1, room1_, "bad \xC3\x28 byte");
    try {
        messages_->InsertBatch({&m, 1});
        FAIL() << "expected RejectedWrite";
    } catch (const RejectedWrite& e) {
        EXPECT_NE(std::string(e.what()).find("SQLSTATE 22"), std::string::npos) << e.what();  // data exception
    }
}

TEST_F(PgStoresTest, ALostConnectionIsNotARejection) {
    CuttableProxy proxy(dsn_);
    PgPoolOptions options = PoolOptions(1);
    options.dsn = proxy.dsn();
    options.connect_timeout_s = 2;
    PgPool pool(options);
    PgMessageStore store(pool);
    const Message first = MakeMessage(1, room1_);
    store.InsertBatch({&first, 1});

    proxy.Cut();  // the connection drops, and so does the reconnection attempt
    const Message second = MakeMessage(2, room1_);
    EXPECT_THROW(store.InsertBatch({&second, 1}), PgConnectionError);
    EXPECT_EQ(RowCount(), 1);
}

TEST_F(PgStoresTest, AStatementTimeoutIsNotARejection) {
    PgPoolOptions options = PoolOptions(1);
    options.statement_timeout = std::chrono::milliseconds(200);
    PgPool pool(options);
    PgMessageStore store(pool);
    // Another session holds the table: the insert waits for its lock until the statement timeout cancels it.
    admin_->Query("BEGIN");
    admin_->Query("LOCK TABLE " + Quote(schema_) + ".messages IN ACCESS EXCLUSIVE MODE");
    const Message m = MakeMessage(1, room1_);
    try {
        store.InsertBatch({&m, 1});
        ADD_FAILURE() << "expected PgError";
    } catch (const RejectedWrite& e) {
        ADD_FAILURE() << "a timeout is worth retrying, not a rejection: " << e.what();
    } catch (const PgError& e) {
        EXPECT_EQ(e.sqlstate(), "57014") << e.what();  // query_canceled
    }
    admin_->Query("ROLLBACK");
    store.InsertBatch({&m, 1});
    EXPECT_EQ(RowCount(), 1);
}

TEST_F(PgStoresTest, EmptyStore) {
    EXPECT_EQ(messages_->MaxId(), 0);
    EXPECT_TRUE(PageIds(room1_, std::nullopt, 10).empty());
    EXPECT_TRUE(PageIds(999, std::nullopt, 10).empty());
    EXPECT_EQ(pool_->Ping(), std::nullopt);
}

TEST_F(PgStoresTest, Rooms) {
    const Room three = rooms_->Create("日本 room", FixedTime());
    const auto list = rooms_->List();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].name, "one");  // oldest first
    EXPECT_EQ(list[1].name, "two");
    EXPECT_EQ(list[2].name, "日本 room");
    EXPECT_LT(list[0].id, list[1].id);
    EXPECT_LT(list[1].id, list[2].id);
    EXPECT_EQ(list[2].id, three.id);
    const auto found = rooms_->Find(three.id);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->name, "日本 room");
    EXPECT_EQ(found->time_created, FixedTime());
    EXPECT_FALSE(rooms_->Find(three.id + 100).has_value());
}

TEST_F(PgStoresTest, Users) {
    auto alice = users_->Create("alice", "hash-a", FixedTime());
    ASSERT_TRUE(alice.ok());
    EXPECT_GT(alice->id, 0);
    auto dup = users_->Create("alice", "hash-b", FixedTime());
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
    auto bob = users_->Create("Alice", "hash-c", FixedTime());  // nicknames are compared exactly
    ASSERT_TRUE(bob.ok());
    EXPECT_NE(bob->id, alice->id);

    const auto by_id = users_->FindById(alice->id);
    ASSERT_TRUE(by_id.has_value());
    EXPECT_EQ(by_id->nickname, "alice");
    EXPECT_EQ(by_id->password_hash, "hash-a");
    EXPECT_EQ(by_id->time_created, FixedTime());
    EXPECT_EQ(users_->FindByNickname("alice")->id, alice->id);
    EXPECT_EQ(users_->FindByNickname("Alice")->id, bob->id);
    EXPECT_FALSE(users_->FindByNickname("carol").has_value());
    EXPECT_FALSE(users_->FindById(9999).has_value());
    // Values travel as parameters: SQL in a nickname is just text.
    const std::string tricky = "x'); DROP TABLE users; --";
    ASSERT_TRUE(users_->Create(tricky, "h", FixedTime()).ok());
    EXPECT_EQ(users_->FindByNickname(tricky)->nickname, tricky);
}

TEST_F(PgStoresTest, ConcurrentRegistrationsOfOneNicknameGiveOneUser) {
    constexpr int kThreads = 8;
    std::atomic<int> ok{0}, conflict{0};
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            const auto r = users_->Create("popular", "hash", FixedTime());
            if (r.ok()) ++ok;
            if (!r.ok() && r.error().code == ErrorCode::kConflict) ++conflict;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(conflict.load(), kThreads - 1);
}

TEST_F(PgStoresTest, RefreshTokenStates) {
    const auto user = users_->Create("alice", "hash", FixedTime());
    ASSERT_TRUE(user.ok());
    const auto now = FixedTime();
    const TokenHash live = HashOf("live"), old = HashOf("old"), other = HashOf("other");
    tokens_->Insert(live, user->id, "fam-1", now + std::chrono::hours(1));
    tokens_->Insert(old, user->id, "fam-1", now - std::chrono::seconds(1));
    tokens_->Insert(other, user->id, "fam-2", now + std::chrono::hours(1));

    EXPECT_EQ(tokens_->Consume(HashOf("unknown"), now).status, ConsumeStatus::kNotFound);
    const auto expired = tokens_->Consume(old, now);
    EXPECT_EQ(expired.status, ConsumeStatus::kExpired);
    EXPECT_EQ(expired.family, "fam-1");
    EXPECT_EQ(tokens_->Consume(old, now).status, ConsumeStatus::kExpired) << "an expired token is not marked used";
    EXPECT_EQ(*tokens_->FamilyOf(live), "fam-1");
    EXPECT_FALSE(tokens_->FamilyOf(HashOf("unknown")).has_value());

    const auto first = tokens_->Consume(live, now);
    EXPECT_EQ(first.status, ConsumeStatus::kOk);
    EXPECT_EQ(first.user_id, user->id);
    EXPECT_EQ(first.family, "fam-1");
    const auto second = tokens_->Consume(live, now);
    EXPECT_EQ(second.status, ConsumeStatus::kAlreadyUsed);
    EXPECT_EQ(second.family, "fam-1");
    EXPECT_EQ(second.user_id, user->id);

    tokens_->RevokeFamily("fam-1");
    tokens_->RevokeFamily("fam-1");  // idempotent
    EXPECT_EQ(tokens_->Consume(live, now).status, ConsumeStatus::kRevoked);
    EXPECT_EQ(tokens_->Consume(old, now).status, ConsumeStatus::kRevoked);
    EXPECT_EQ(*tokens_->FamilyOf(live), "fam-1") << "revoked tokens still tell their family";
    EXPECT_EQ(tokens_->Consume(other, now).status, ConsumeStatus::kOk) << "other families are unaffected";
    tokens_->RevokeFamily("no-such-family");
}

TEST_F(PgStoresTest, TokenExpiresAtItsInstant) {
    const auto user = users_->Create("alice", "hash", FixedTime());
    ASSERT_TRUE(user.ok());
    const TokenHash edge = HashOf("edge");
    tokens_->Insert(edge, user->id, "fam", FixedTime());
    // Live up to the microsecond before expires_at, expired from expires_at on (as the SQLite store).
    EXPECT_EQ(tokens_->Consume(edge, FixedTime()).status, ConsumeStatus::kExpired);
    EXPECT_EQ(tokens_->Consume(edge, FixedTime() - std::chrono::microseconds(1)).status, ConsumeStatus::kOk);
}

TEST_F(PgStoresTest, OnlyOneConcurrentConsumeWins) {
    const auto user = users_->Create("alice", "hash", FixedTime());
    ASSERT_TRUE(user.ok());
    // Two pools stand for two server instances; every thread has its own connection.
    PgPool other_pool(PoolOptions(8));
    PgRefreshTokenStore other_tokens(other_pool);
    constexpr int kThreads = 16;
    constexpr int kRounds = 10;
    for (int round = 0; round < kRounds; ++round) {
        const TokenHash hash = HashOf("contested-" + std::to_string(round));
        tokens_->Insert(hash, user->id, "fam-" + std::to_string(round), FixedTime() + std::chrono::hours(1));
        std::atomic<int> ok{0}, used{0};
        std::barrier start(kThreads);
        std::vector<std::thread> threads;
        for (int i = 0; i < kThreads; ++i) {
            threads.emplace_back([&, i] {
                RefreshTokenStore& store = i % 2 == 0 ? static_cast<RefreshTokenStore&>(*tokens_) : other_tokens;
                start.arrive_and_wait();
                const auto c = store.Consume(hash, FixedTime());
                if (c.status == ConsumeStatus::kOk) ++ok;
                if (c.status == ConsumeStatus::kAlreadyUsed) ++used;
            });
        }
        for (auto& t : threads) t.join();
        EXPECT_EQ(ok.load(), 1) << "round " << round;
        EXPECT_EQ(used.load(), kThreads - 1) << "round " << round;
    }
}

TEST_F(PgStoresTest, RefreshTokenOfUnknownUserIsRejected) {
    EXPECT_THROW(tokens_->Insert(HashOf("orphan"), 424242, "fam", FixedTime()), PgError);
}

TEST_F(PgSchemaTest, StoresOnAnUnmigratedSchemaSayWhatToDo) {
    PgPool pool(PoolOptions(1));
    PgRoomStore rooms(pool);
    try {
        rooms.List();
        FAIL() << "expected PgError";
    } catch (const PgError& e) {
        EXPECT_EQ(e.sqlstate(), "42P01");  // undefined_table
        EXPECT_NE(std::string(e.what()).find("rooms migrate up"), std::string::npos) << e.what();
    }
    // Once migrated, the same pool works: the failed statement was not kept as prepared.
    MigratePostgres(dsn_, MigrationDirection::kUp, SourceMigrationsDir(), schema_);
    EXPECT_TRUE(rooms.List().empty());
    rooms.Create("now it works", FixedTime());
    EXPECT_EQ(rooms.List().size(), 1u);
}

}  // namespace
}  // namespace rooms::pgtest
