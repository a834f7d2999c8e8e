#include "adapters/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "contract/store_contract.h"
#include "crypto/secrets.h"
#include "support/test_messages.h"
#include "test_util.h"

namespace rooms {
namespace {

using unit::FixedTime;
using unit::Ids;
using unit::MakeMessage;

/// The SQLite stores on a fresh in-memory database, for the store contract (tests/contract/store_contract.h).
struct SqliteBackend {
    void SetUp() {}
    void TearDown() {}
    UserStore& users() { return users_; }
    RefreshTokenStore& tokens() { return tokens_; }
    RoomStore& rooms() { return rooms_; }
    MessageStore& messages() { return messages_; }
    RefreshTokenStore& other_tokens() { return other_tokens_; }
    UserId CreateWithoutKey(const std::string& nickname) {
        return db_.With([&](sqlite3* db) {
            sqlite3_stmt* s = nullptr;
            sqlite3_prepare_v2(db, "INSERT INTO users(nickname, password_hash, time_created) VALUES(?, 'h', 0)", -1, &s,
                               nullptr);
            sqlite3_bind_text(s, 1, nickname.data(), static_cast<int>(nickname.size()), SQLITE_TRANSIENT);
            EXPECT_EQ(sqlite3_step(s), SQLITE_DONE) << sqlite3_errmsg(db);
            sqlite3_finalize(s);
            return static_cast<UserId>(sqlite3_last_insert_rowid(db));
        });
    }

    SqliteDatabase db_{":memory:"};
    SqliteUserStore users_{db_};
    SqliteRefreshTokenStore tokens_{db_};
    SqliteRefreshTokenStore other_tokens_{db_};
    SqliteRoomStore rooms_{db_};
    SqliteMessageStore messages_{db_};
};

}  // namespace

namespace contract {
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Types<SqliteBackend>);
}  // namespace contract

namespace {

TEST(SqliteDatabaseTest, AnswersItsHealthCheck) {
    SqliteDatabase db(":memory:");
    EXPECT_EQ(db.Health(), std::nullopt);
}

TEST(SqliteDatabaseTest, SchemaSurvivesReopenInATempDir) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("rooms_unit_sqlite_" + std::to_string(::getpid()) + "_" +
                                                  std::to_string(test_support::Now().time_since_epoch().count()));
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

TEST(SqliteDatabaseTest, ADatabaseOfVersionOneKeepsItsUsersAndTokensWhenMigrated) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("rooms_unit_sqlite_v1_" + std::to_string(::getpid()) + "_" +
                                                  std::to_string(test_support::Now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "rooms.db").string();
    {
        // The schema as the first release wrote it, with two users whose nicknames now look alike.
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
        const char* v1 = R"sql(
            CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, nickname TEXT NOT NULL UNIQUE,
                                password_hash TEXT NOT NULL, time_created INTEGER NOT NULL);
            CREATE TABLE rooms (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, time_created INTEGER NOT NULL);
            CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id INTEGER NOT NULL UNIQUE,
                                   room_id INTEGER NOT NULL REFERENCES rooms(id), user_id INTEGER NOT NULL,
                                   nickname TEXT NOT NULL, type INTEGER NOT NULL, content TEXT NOT NULL,
                                   time_created INTEGER NOT NULL);
            CREATE INDEX messages_room_seq ON messages(room_id, seq DESC);
            CREATE TABLE refresh_tokens (token_hash BLOB PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
                                         family TEXT NOT NULL, expires_at INTEGER NOT NULL,
                                         used INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX refresh_tokens_family ON refresh_tokens(family);
            INSERT INTO users(nickname, password_hash, time_created) VALUES ('Bob', 'h1', 0), ('bob', 'h2', 0);
            INSERT INTO refresh_tokens(token_hash, user_id, family, expires_at, used) VALUES (x'0100000000000000000000000000000000000000000000000000000000000000', 1, 'f', 0, 1);
            PRAGMA user_version = 1;
        )sql";
        ASSERT_EQ(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(raw);
        sqlite3_close(raw);
    }
    {
        SqliteDatabase db(path);
        SqliteUserStore users(db);
        EXPECT_EQ(users.FindByNickname("Bob")->password_hash, "h1") << "existing users keep their names";
        EXPECT_EQ(users.FindByNickname("bob")->password_hash, "h2");
        EXPECT_EQ(users.WithoutKey(0, 10).size(), 2u) << "keyed later, by the gateway's backfill";
        EXPECT_TRUE(users.SetKey(1, "bob"));
        EXPECT_FALSE(users.SetKey(2, "bob"));
        TokenHash spent{};
        spent[0] = 1;
        const auto c = SqliteRefreshTokenStore(db).Consume(spent, FixedTime());
        EXPECT_EQ(c.status, ConsumeStatus::kAlreadyUsed);
        EXPECT_FALSE(c.used_at.has_value()) << "spent before used_at existed: no reuse grace";
    }
    std::filesystem::remove_all(dir);
}

TEST(SqliteDatabaseTest, OpenFailureThrows) {
    EXPECT_THROW(SqliteDatabase("/nonexistent-dir-for-rooms-unit-tests/sub/rooms.db"), std::runtime_error);
}

}  // namespace
}  // namespace rooms
