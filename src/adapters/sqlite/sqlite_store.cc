#include "adapters/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <stdexcept>

namespace rooms {

namespace {

// Each entry moves the schema from version i to i+1. Append only; never edit a shipped step.
const char* const kMigrations[] = {
    R"sql(
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        nickname      TEXT    NOT NULL UNIQUE,
        password_hash TEXT    NOT NULL,
        time_created  INTEGER NOT NULL
    );
    CREATE TABLE rooms (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT    NOT NULL,
        time_created  INTEGER NOT NULL
    );
    -- seq is the acceptance order; id is the system-wide message id clients see.
    CREATE TABLE messages (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        id            INTEGER NOT NULL UNIQUE,
        room_id       INTEGER NOT NULL REFERENCES rooms(id),
        user_id       INTEGER NOT NULL,
        nickname      TEXT    NOT NULL,
        type          INTEGER NOT NULL,
        content       TEXT    NOT NULL,
        time_created  INTEGER NOT NULL
    );
    CREATE INDEX messages_room_seq ON messages(room_id, seq DESC);
    CREATE TABLE refresh_tokens (
        token_hash    BLOB    PRIMARY KEY,
        user_id       INTEGER NOT NULL REFERENCES users(id),
        family        TEXT    NOT NULL,
        expires_at    INTEGER NOT NULL,
        used          INTEGER NOT NULL DEFAULT 0,
        revoked       INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX refresh_tokens_family ON refresh_tokens(family);
    )sql",
    // Look-alike nicknames share a key (NicknameKey); users of before have none until the gateway backfills it.
    // Refresh tokens remember when they were spent, for the reuse grace.
    R"sql(
    ALTER TABLE users ADD COLUMN nickname_key TEXT;
    CREATE UNIQUE INDEX users_nickname_key_key ON users(nickname_key);
    ALTER TABLE refresh_tokens ADD COLUMN used_at INTEGER;
    )sql",
};

[[noreturn]] void Fail(sqlite3* db, const char* what) {
    throw std::runtime_error(std::string("sqlite: ") + what + ": " + sqlite3_errmsg(db));
}

void Exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw std::runtime_error(std::string("sqlite: ") + msg);
    }
}

/// A prepared statement, finalized on scope exit.
class Stmt {
  public:
    Stmt(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) Fail(db, "prepare");
    }
    ~Stmt() { sqlite3_finalize(s_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& Bind(int i, std::int64_t v) {
        sqlite3_bind_int64(s_, i, v);
        return *this;
    }
    Stmt& Bind(int i, std::string_view v) {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& Bind(int i, const TokenHash& v) {
        sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    /// True while a row is available.
    bool Step() {
        const int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        Fail(db_, "step");
    }
    /// Runs to completion; returns sqlite3_step's final code (SQLITE_DONE or a constraint error).
    int Run() {
        int rc;
        while ((rc = sqlite3_step(s_)) == SQLITE_ROW) {
        }
        return rc;
    }
    void Reset() {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }
    std::int64_t Int(int col) { return sqlite3_column_int64(s_, col); }
    bool IsNull(int col) { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
    std::string Text(int col) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string();
    }

  private:
    sqlite3* db_;
    sqlite3_stmt* s_ = nullptr;
};

TimePoint FromMicros(std::int64_t us) { return TimePoint(std::chrono::microseconds(us)); }
std::int64_t Micros(TimePoint t) { return t.time_since_epoch().count(); }

/// BEGIN IMMEDIATE ... COMMIT, rolled back when an exception leaves the scope.
class Transaction {
  public:
    explicit Transaction(sqlite3* db) : db_(db) { Exec(db_, "BEGIN IMMEDIATE"); }
    ~Transaction() {
        if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void Commit() {
        Exec(db_, "COMMIT");
        done_ = true;
    }

  private:
    sqlite3* db_;
    bool done_ = false;
};

Message ReadMessage(Stmt& s) {
    Message m;
    m.id = s.Int(0);
    m.room_id = s.Int(1);
    m.user_id = s.Int(2);
    m.nickname = s.Text(3);
    m.type = static_cast<MessageType>(s.Int(4));
    m.content = s.Text(5);
    m.time_created = FromMicros(s.Int(6));
    return m;
}

}  // namespace

SqliteDatabase::SqliteDatabase(const std::string& path, SqliteSynchronous synchronous) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw std::runtime_error("sqlite: cannot open " + path + ": " + msg +
                                 " (check that the data directory exists and is writable)");
    }
    sqlite3_busy_timeout(db_, 5000);
    Exec(db_, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;");
    Exec(db_, synchronous == SqliteSynchronous::kFull ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    Migrate();
}

SqliteDatabase::~SqliteDatabase() { sqlite3_close(db_); }

void SqliteDatabase::Migrate() {
    Stmt version(db_, "PRAGMA user_version");
    version.Step();
    const auto current = static_cast<std::size_t>(version.Int(0));
    constexpr std::size_t kLatest = std::size(kMigrations);
    if (current > kLatest)
        throw std::runtime_error("sqlite: database schema version " + std::to_string(current) +
                                 " is newer than this binary knows (" + std::to_string(kLatest) +
                                 "); run a newer rooms");
    for (std::size_t v = current; v < kLatest; ++v) {
        Transaction tx(db_);
        Exec(db_, kMigrations[v]);
        Exec(db_, ("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
        tx.Commit();
    }
}

std::optional<std::string> SqliteDatabase::Health() {
    const bool ok =
        With([](sqlite3* db) { return sqlite3_exec(db, "SELECT 1", nullptr, nullptr, nullptr) == SQLITE_OK; });
    if (ok) return std::nullopt;
    return "SQLite does not answer";
}

Result<User> SqliteUserStore::Create(std::string_view nickname, std::string_view nickname_key,
                                     std::string_view password_hash, TimePoint now) {
    return db_.With([&](sqlite3* db) -> Result<User> {
        Stmt s(db, "INSERT INTO users(nickname, nickname_key, password_hash, time_created) VALUES(?, ?, ?, ?)");
        s.Bind(1, nickname).Bind(2, nickname_key).Bind(3, password_hash).Bind(4, Micros(now));
        const int rc = s.Run();
        if (rc == SQLITE_CONSTRAINT) return Conflict("nickname is already taken");
        if (rc != SQLITE_DONE) Fail(db, "insert user");
        return User{sqlite3_last_insert_rowid(db), std::string(nickname), std::string(password_hash), now};
    });
}

std::optional<User> SqliteUserStore::FindByNickname(std::string_view nickname) {
    return db_.With([&](sqlite3* db) -> std::optional<User> {
        Stmt s(db, "SELECT id, nickname, password_hash, time_created FROM users WHERE nickname = ?");
        s.Bind(1, nickname);
        if (!s.Step()) return std::nullopt;
        return User{s.Int(0), s.Text(1), s.Text(2), FromMicros(s.Int(3))};
    });
}

std::optional<User> SqliteUserStore::FindByKey(std::string_view nickname_key) {
    return db_.With([&](sqlite3* db) -> std::optional<User> {
        Stmt s(db, "SELECT id, nickname, password_hash, time_created FROM users WHERE nickname_key = ?");
        s.Bind(1, nickname_key);
        if (!s.Step()) return std::nullopt;
        return User{s.Int(0), s.Text(1), s.Text(2), FromMicros(s.Int(3))};
    });
}

std::vector<User> SqliteUserStore::WithoutKey(UserId after_id, int limit) {
    return db_.With([&](sqlite3* db) {
        std::vector<User> out;
        Stmt s(db,
               "SELECT id, nickname, password_hash, time_created FROM users WHERE nickname_key IS NULL AND id > ? "
               "ORDER BY id LIMIT ?");
        s.Bind(1, after_id).Bind(2, limit);
        while (s.Step()) out.push_back(User{s.Int(0), s.Text(1), s.Text(2), FromMicros(s.Int(3))});
        return out;
    });
}

bool SqliteUserStore::SetKey(UserId id, std::string_view nickname_key) {
    return db_.With([&](sqlite3* db) {
        Stmt s(db, "UPDATE users SET nickname_key = ? WHERE id = ? AND nickname_key IS NULL");
        s.Bind(1, nickname_key).Bind(2, id);
        const int rc = s.Run();
        if (rc == SQLITE_CONSTRAINT) return false;
        if (rc != SQLITE_DONE) Fail(db, "set nickname key");
        return true;
    });
}

std::optional<User> SqliteUserStore::FindById(UserId id) {
    return db_.With([&](sqlite3* db) -> std::optional<User> {
        Stmt s(db, "SELECT id, nickname, password_hash, time_created FROM users WHERE id = ?");
        s.Bind(1, id);
        if (!s.Step()) return std::nullopt;
        return User{s.Int(0), s.Text(1), s.Text(2), FromMicros(s.Int(3))};
    });
}

void SqliteRefreshTokenStore::Insert(const TokenHash& hash, UserId user_id, std::string_view family,
                                     TimePoint expires_at) {
    db_.With([&](sqlite3* db) {
        Stmt s(db, "INSERT INTO refresh_tokens(token_hash, user_id, family, expires_at) VALUES(?, ?, ?, ?)");
        s.Bind(1, hash).Bind(2, user_id).Bind(3, family).Bind(4, Micros(expires_at));
        if (s.Run() != SQLITE_DONE) Fail(db, "insert refresh token");
    });
}

ConsumedToken SqliteRefreshTokenStore::Consume(const TokenHash& hash, TimePoint now) {
    return db_.With([&](sqlite3* db) {
        Transaction tx(db);
        ConsumedToken out;
        Stmt s(db,
               "SELECT user_id, family, expires_at, used, revoked, used_at FROM refresh_tokens WHERE token_hash = ?");
        s.Bind(1, hash);
        if (!s.Step()) return out;
        out.user_id = s.Int(0);
        out.family = s.Text(1);
        if (s.Int(4) != 0) {
            out.status = ConsumeStatus::kRevoked;
        } else if (s.Int(3) != 0) {
            out.status = ConsumeStatus::kAlreadyUsed;
            if (!s.IsNull(5)) out.used_at = FromMicros(s.Int(5));
        } else if (s.Int(2) <= Micros(now)) {
            out.status = ConsumeStatus::kExpired;
        } else {
            out.status = ConsumeStatus::kOk;
            Stmt u(db, "UPDATE refresh_tokens SET used = 1, used_at = ? WHERE token_hash = ?");
            u.Bind(1, Micros(now)).Bind(2, hash);
            if (u.Run() != SQLITE_DONE) Fail(db, "consume refresh token");
        }
        tx.Commit();
        return out;
    });
}

void SqliteRefreshTokenStore::RevokeFamily(std::string_view family) {
    db_.With([&](sqlite3* db) {
        Stmt s(db, "UPDATE refresh_tokens SET revoked = 1 WHERE family = ?");
        s.Bind(1, family);
        if (s.Run() != SQLITE_DONE) Fail(db, "revoke refresh tokens");
    });
}

std::optional<std::string> SqliteRefreshTokenStore::FamilyOf(const TokenHash& hash) {
    return db_.With([&](sqlite3* db) -> std::optional<std::string> {
        Stmt s(db, "SELECT family FROM refresh_tokens WHERE token_hash = ?");
        s.Bind(1, hash);
        if (!s.Step()) return std::nullopt;
        return s.Text(0);
    });
}

Room SqliteRoomStore::Create(std::string_view name, TimePoint now) {
    return db_.With([&](sqlite3* db) {
        Stmt s(db, "INSERT INTO rooms(name, time_created) VALUES(?, ?)");
        s.Bind(1, name).Bind(2, Micros(now));
        if (s.Run() != SQLITE_DONE) Fail(db, "insert room");
        return Room{sqlite3_last_insert_rowid(db), std::string(name), now};
    });
}

std::vector<Room> SqliteRoomStore::List() {
    return db_.With([&](sqlite3* db) {
        std::vector<Room> out;
        Stmt s(db, "SELECT id, name, time_created FROM rooms ORDER BY id");
        while (s.Step()) out.push_back(Room{s.Int(0), s.Text(1), FromMicros(s.Int(2))});
        return out;
    });
}

std::vector<Room> SqliteRoomStore::ListPage(std::optional<RoomId> after, int limit) {
    return db_.With([&](sqlite3* db) {
        std::vector<Room> out;
        Stmt s(db, "SELECT id, name, time_created FROM rooms WHERE id > ? ORDER BY id LIMIT ?");
        s.Bind(1, after.value_or(0)).Bind(2, static_cast<std::int64_t>(limit));
        while (s.Step()) out.push_back(Room{s.Int(0), s.Text(1), FromMicros(s.Int(2))});
        return out;
    });
}

RoomListVersion SqliteRoomStore::Version() {
    return db_.With([&](sqlite3* db) {
        Stmt s(db, "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM rooms");
        if (!s.Step()) Fail(db, "count rooms");
        return RoomListVersion{s.Int(0), s.Int(1)};
    });
}

std::optional<Room> SqliteRoomStore::Find(RoomId id) {
    return db_.With([&](sqlite3* db) -> std::optional<Room> {
        Stmt s(db, "SELECT id, name, time_created FROM rooms WHERE id = ?");
        s.Bind(1, id);
        if (!s.Step()) return std::nullopt;
        return Room{s.Int(0), s.Text(1), FromMicros(s.Int(2))};
    });
}

void SqliteMessageStore::InsertBatch(std::span<const Message> messages) {
    if (messages.empty()) return;
    db_.With([&](sqlite3* db) {
        Transaction tx(db);
        Stmt s(db,
               "INSERT OR IGNORE INTO messages(id, room_id, user_id, nickname, type, content, time_created) "
               "VALUES(?, ?, ?, ?, ?, ?, ?)");
        for (const Message& m : messages) {
            s.Bind(1, m.id).Bind(2, m.room_id).Bind(3, m.user_id).Bind(4, m.nickname);
            s.Bind(5, static_cast<std::int64_t>(m.type)).Bind(6, m.content).Bind(7, Micros(m.time_created));
            if (s.Run() != SQLITE_DONE) Fail(db, "insert message");
            s.Reset();
        }
        tx.Commit();
    });
}

Result<std::vector<Message>> SqliteMessageStore::Page(RoomId room, std::optional<MessageId> before, int limit) {
    return db_.With([&](sqlite3* db) -> Result<std::vector<Message>> {
        std::vector<Message> out;
        std::int64_t before_seq = INT64_MAX;
        if (before) {
            Stmt s(db, "SELECT seq FROM messages WHERE id = ? AND room_id = ?");
            s.Bind(1, *before).Bind(2, room);
            if (!s.Step()) return NotFound("message " + std::to_string(*before) + " not found in this room");
            before_seq = s.Int(0);
        }
        Stmt s(db,
               "SELECT id, room_id, user_id, nickname, type, content, time_created FROM messages "
               "WHERE room_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?");
        s.Bind(1, room).Bind(2, before_seq).Bind(3, limit);
        while (s.Step()) out.push_back(ReadMessage(s));
        return out;
    });
}

MessageId SqliteMessageStore::MaxId() {
    return db_.With([&](sqlite3* db) {
        Stmt s(db, "SELECT COALESCE(MAX(id), 0) FROM messages");
        s.Step();
        return s.Int(0);
    });
}

}  // namespace rooms
