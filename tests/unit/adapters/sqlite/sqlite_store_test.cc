#include "adapters/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
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

TEST(SqliteDatabaseTest, OpenFailureThrows) {
    EXPECT_THROW(SqliteDatabase("/nonexistent-dir-for-rooms-unit-tests/sub/rooms.db"), std::runtime_error);
}

}  // namespace
}  // namespace rooms
