// The four PostgreSQL stores against a live server: the store contract every adapter keeps
// (tests/contract/store_contract.h, which the SQLite stores run in the unit tier), plus what only PostgreSQL shows:
// rows, column limits, lost connections, timeouts, concurrency across connections.

#include <atomic>
#include <barrier>
#include <thread>

#include "adapters/memory/memory_presence.h"
#include "contract/store_contract.h"
#include "pg_test_util.h"
#include "services/room_service.h"
#include "support/simulated_time.h"

namespace rooms::pgtest {
namespace {

/// A migrated schema of its own and the four stores, for the store contract; a second pool stands for a second
/// server instance.
struct PgBackend : PgStoreTest {
    void SetUp() override {
        PgStoreTest::SetUp();
        if (HasFatalFailure()) return;
        other_pool_ = std::make_unique<PgPool>(PoolOptions(8));
        other_tokens_ = std::make_unique<PgRefreshTokenStore>(*other_pool_);
    }
    void TearDown() override {
        other_tokens_.reset();
        other_pool_.reset();
        PgStoreTest::TearDown();
    }
    void TestBody() override {}
    UserStore& users() { return *users_; }
    RefreshTokenStore& tokens() { return *tokens_; }
    RoomStore& rooms() { return *rooms_; }
    MessageStore& messages() { return *messages_; }
    RefreshTokenStore& other_tokens() { return *other_tokens_; }
    UserId CreateWithoutKey(const std::string& nickname) {
        return std::stoll(admin_->Scalar(
            "INSERT INTO " + Quote(schema_) + ".users (nickname, password_hash) VALUES ($1, 'h') RETURNING id",
            {nickname}));
    }

    std::unique_ptr<PgPool> other_pool_;
    std::unique_ptr<PgRefreshTokenStore> other_tokens_;
};

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

TEST_F(PgStoresTest, SameBatchTwiceKeepsOneRowPerId) {
    std::vector<Message> batch;
    for (MessageId id = 1; id <= 50; ++id) batch.push_back(MakeMessage(id * 7 % 51, id % 2 ? room1_ : room2_));
    messages_->InsertBatch(batch);
    messages_->InsertBatch(batch);
    EXPECT_EQ(RowCount(), 50);
    EXPECT_EQ(admin_->Scalar("SELECT count(DISTINCT id) FROM " + Quote(schema_) + ".messages"), "50");
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
    const auto user = users_->Create("timely", "timely", "hash", before_2000);
    ASSERT_TRUE(user.ok());
    EXPECT_EQ(users_->FindById(user->id)->time_created, before_2000);
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
    options.postgres.dsn = proxy.dsn();
    options.postgres.connect_timeout_s = 2;
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
    options.postgres.statement_timeout_ms = 200;
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

TEST_F(PgStoresTest, ConcurrentRegistrationsOfOneNicknameGiveOneUser) {
    constexpr int kThreads = 8;
    std::atomic<int> ok{0}, conflict{0};
    std::barrier start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            const auto r = users_->Create("popular", "popular", "hash", FixedTime());
            if (r.ok()) ++ok;
            if (!r.ok() && r.error().code == ErrorCode::kConflict) ++conflict;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(conflict.load(), kThreads - 1);
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

TEST_F(PgStoresTest, AnswersItsHealthCheck) { EXPECT_EQ(pool_->Health(), std::nullopt); }

// The gateway's room use case on PostgreSQL, as the websocket role runs it: the per-user rate, the total cap (the
// count PostgreSQL gives), pages that walk the list to its end, and the list's version for the ETag.
TEST_F(PgStoresTest, RoomServiceCapsPagesAndVersionsTheListOnPostgres) {
    test_support::SimulatedTime time;
    MemoryPresence presence;
    RateLimiter per_user(1.0 / 60, 4, time);
    RoomService rooms(*rooms_, presence, time, RoomLimits{&per_user, 8});  // the fixture made two
    std::vector<RoomId> created = {room1_, room2_};
    const auto create = [&](UserId user, const std::string& name) {
        auto r = rooms.Create(user, name);
        EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().message);
        if (r.ok()) created.push_back(r->id);
    };
    for (int i = 0; i < 4; ++i) create(1, "a" + std::to_string(i));
    auto limited = rooms.Create(1, "a4");
    ASSERT_FALSE(limited.ok());
    EXPECT_EQ(limited.error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(limited.error().retry_after_s, 60);
    for (int i = 0; i < 2; ++i) create(2, "b" + std::to_string(i));
    ASSERT_EQ(created.size(), 8u);
    auto capped = rooms.Create(3, "c");
    ASSERT_FALSE(capped.ok());
    EXPECT_EQ(capped.error().code, ErrorCode::kConflict);
    EXPECT_EQ(rooms.Version(), (RoomListVersion{8, created.back()}));

    std::vector<RoomId> walked;
    std::optional<RoomId> after;
    for (int pages = 0; pages < 10; ++pages) {
        RoomPage page = rooms.ListPage(after, 4);
        for (const Room& r : page.rooms) walked.push_back(r.id);
        if (!page.next_after) break;
        after = page.next_after;
    }
    EXPECT_EQ(walked, created);
    EXPECT_FALSE(rooms.ListPage(created[3], 4).next_after) << "4 rooms after the fourth: the last page";
    EXPECT_TRUE(rooms.ListPage(created[3], 3).next_after);
}

}  // namespace
}  // namespace rooms::pgtest

namespace rooms::contract {
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, StoreContract, ::testing::Types<pgtest::PgBackend>);
}  // namespace rooms::contract
