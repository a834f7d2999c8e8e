#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "domain/ports.h"

struct sqlite3;

namespace rooms {

/// How far a commit is durable (PRAGMA synchronous, storage.sqlite_synchronous). In WAL mode `kNormal` writes
/// each commit to the WAL file (the OS holds it: a killed process loses nothing) and syncs at checkpoints, so a
/// power loss may undo the last commits; `kFull` also syncs the WAL at every commit.
enum class SqliteSynchronous { kNormal, kFull };

/// The embedded store of the `all` role: users, refresh tokens, rooms and messages in one SQLite file
/// (WAL mode). One connection behind a mutex; every call blocks, so call from worker threads.
/// The schema is created and migrated on open (PRAGMA user_version).
class SqliteDatabase {
  public:
    /// Opens or creates the database at `path` (":memory:" for tests). Throws on failure.
    explicit SqliteDatabase(const std::string& path, SqliteSynchronous synchronous = SqliteSynchronous::kNormal);
    ~SqliteDatabase();
    SqliteDatabase(const SqliteDatabase&) = delete;
    SqliteDatabase& operator=(const SqliteDatabase&) = delete;

    /// Runs `fn(sqlite3*)` holding the connection.
    template <typename Fn>
    auto With(Fn&& fn) {
        std::lock_guard lock(mu_);
        return fn(db_);
    }

    /// For readiness: nullopt when the database answers a trivial query, else why not.
    std::optional<std::string> Health();

  private:
    void Migrate();
    std::mutex mu_;
    sqlite3* db_ = nullptr;
};

class SqliteUserStore : public UserStore {
  public:
    explicit SqliteUserStore(SqliteDatabase& db) : db_(db) {}
    Result<User> Create(std::string_view nickname, std::string_view nickname_key, std::string_view password_hash,
                        TimePoint now) override;
    std::optional<User> FindByNickname(std::string_view nickname) override;
    std::optional<User> FindByKey(std::string_view nickname_key) override;
    std::optional<User> FindById(UserId id) override;
    std::vector<User> WithoutKey(UserId after_id, int limit) override;
    bool SetKey(UserId id, std::string_view nickname_key) override;

  private:
    SqliteDatabase& db_;
};

class SqliteRefreshTokenStore : public RefreshTokenStore {
  public:
    explicit SqliteRefreshTokenStore(SqliteDatabase& db) : db_(db) {}
    void Insert(const TokenHash& hash, UserId user_id, std::string_view family, TimePoint expires_at) override;
    ConsumedToken Consume(const TokenHash& hash, TimePoint now) override;
    void RevokeFamily(std::string_view family) override;
    std::optional<std::string> FamilyOf(const TokenHash& hash) override;

  private:
    SqliteDatabase& db_;
};

class SqliteRoomStore : public RoomStore {
  public:
    explicit SqliteRoomStore(SqliteDatabase& db) : db_(db) {}
    Room Create(std::string_view name, TimePoint now) override;
    std::vector<Room> List() override;
    std::vector<Room> ListPage(std::optional<RoomId> after, int limit) override;
    RoomListVersion Version() override;
    std::optional<Room> Find(RoomId id) override;

  private:
    SqliteDatabase& db_;
};

class SqliteMessageStore : public MessageStore {
  public:
    explicit SqliteMessageStore(SqliteDatabase& db) : db_(db) {}
    void InsertBatch(std::span<const Message> messages) override;
    Result<std::vector<Message>> Page(RoomId room, std::optional<MessageId> before, int limit) override;
    MessageId MaxId() override;

  private:
    SqliteDatabase& db_;
};

}  // namespace rooms
