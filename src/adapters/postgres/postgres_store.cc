#include "adapters/postgres/postgres_store.h"

#include <deque>

#include "adapters/postgres/impl/pg_connection.h"

namespace rooms {

namespace {

using pg::Connection;
using pg::Params;
using pg::Retry;
using pg::Statement;

constexpr std::string_view kUniqueViolation = "23505";

// SQLSTATE class 22 (data exception: value too long, invalid encoding...) or 23 (integrity constraint violation:
// foreign key, check...): the server refuses the data itself, so the same statement fails on every retry.
bool IsDataRefusal(std::string_view sqlstate) { return sqlstate.starts_with("22") || sqlstate.starts_with("23"); }

// ---- Statements: prepared once per connection, values always as parameters. ----

constexpr Statement kInsertUser{"rooms_insert_user",
                                "INSERT INTO users (nickname, nickname_key, password_hash, time_created) "
                                "VALUES ($1, $2, $3, $4) RETURNING id"};
constexpr Statement kUserByKey{"rooms_user_by_key",
                               "SELECT id, nickname, password_hash, time_created FROM users WHERE nickname_key = $1"};
constexpr Statement kUsersWithoutKey{"rooms_users_without_key",
                                     "SELECT id, nickname, password_hash, time_created FROM users "
                                     "WHERE nickname_key IS NULL AND id > $1 ORDER BY id LIMIT $2"};
constexpr Statement kSetUserKey{"rooms_set_user_key",
                                "UPDATE users SET nickname_key = $2 WHERE id = $1 AND nickname_key IS NULL"};
constexpr Statement kUserByNickname{"rooms_user_by_nickname",
                                    "SELECT id, nickname, password_hash, time_created FROM users WHERE nickname = $1"};
constexpr Statement kUserById{"rooms_user_by_id",
                              "SELECT id, nickname, password_hash, time_created FROM users WHERE id = $1"};

constexpr Statement kInsertToken{
    "rooms_insert_token",
    "INSERT INTO refresh_tokens (token_hash, user_id, family, expires_at) VALUES ($1, $2, $3, $4)"};
// The subquery locks the row and yields its state before this statement; a concurrent caller waits on the lock
// and then sees the row as updated (used), so exactly one caller finds it unused. Only a live token is marked.
constexpr Statement kConsumeToken{
    "rooms_consume_token",
    "UPDATE refresh_tokens AS t "
    "SET used = t.used OR (NOT prev.revoked AND prev.expires_at > $2), "
    "    used_at = CASE WHEN NOT prev.used AND NOT prev.revoked AND prev.expires_at > $2 THEN $2 ELSE t.used_at END "
    "FROM (SELECT token_hash, used, revoked, expires_at, used_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE) "
    "     AS prev "
    "WHERE t.token_hash = prev.token_hash "
    "RETURNING t.user_id, t.family, prev.used, prev.revoked, prev.expires_at > $2, prev.used_at"};
constexpr Statement kRevokeFamily{"rooms_revoke_family",
                                  "UPDATE refresh_tokens SET revoked = true WHERE family = $1 AND NOT revoked"};
constexpr Statement kFamilyOf{"rooms_family_of", "SELECT family FROM refresh_tokens WHERE token_hash = $1"};

constexpr Statement kInsertRoom{"rooms_insert_room",
                                "INSERT INTO rooms (name, time_created) VALUES ($1, $2) RETURNING id"};
constexpr Statement kListRooms{"rooms_list_rooms", "SELECT id, name, time_created FROM rooms ORDER BY id"};
constexpr Statement kListRoomsAfter{"rooms_list_rooms_after",
                                    "SELECT id, name, time_created FROM rooms WHERE id > $1 ORDER BY id LIMIT $2"};
constexpr Statement kRoomListVersion{"rooms_room_list_version", "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM rooms"};
constexpr Statement kRoomById{"rooms_room_by_id", "SELECT id, name, time_created FROM rooms WHERE id = $1"};

// unnest keeps the arrays' order and ORDER BY ord makes it explicit, so seq follows the batch. Repeated and
// already stored ids are skipped by ON CONFLICT.
constexpr Statement kInsertMessages{
    "rooms_insert_messages",
    "INSERT INTO messages (id, room_id, user_id, nickname, type, content, time_created) "
    "SELECT id, room_id, user_id, nickname, type, content, time_created "
    "FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::text[], $5::int2[], $6::text[], $7::timestamptz[]) "
    "WITH ORDINALITY AS batch (id, room_id, user_id, nickname, type, content, time_created, ord) "
    "ORDER BY ord "
    "ON CONFLICT (id) DO NOTHING"};
constexpr Statement kNewestMessages{"rooms_newest_messages",
                                    "SELECT id, room_id, user_id, nickname, type, content, time_created FROM messages "
                                    "WHERE room_id = $1 ORDER BY seq DESC LIMIT $2"};
// No row: `before` is not a message of this room (NotFound). One row of NULLs: it is, and nothing is older.
constexpr Statement kMessagesBefore{
    "rooms_messages_before",
    "SELECT m.id, m.room_id, m.user_id, m.nickname, m.type, m.content, m.time_created "
    "FROM (SELECT seq FROM messages WHERE id = $2 AND room_id = $1) AS b "
    "LEFT JOIN LATERAL (SELECT seq, id, room_id, user_id, nickname, type, content, time_created FROM messages "
    "                   WHERE room_id = $1 AND seq < b.seq ORDER BY seq DESC LIMIT $3) AS m ON true "
    "ORDER BY m.seq DESC"};
constexpr Statement kMaxMessageId{"rooms_max_message_id", "SELECT COALESCE(MAX(id), 0) FROM messages"};

User ReadUser(const pg::Result& r, int row) {
    return User{r.Int(row, 0), r.Text(row, 1), r.Text(row, 2), r.Time(row, 3)};
}

Room ReadRoom(const pg::Result& r, int row) { return Room{r.Int(row, 0), r.Text(row, 1), r.Time(row, 2)}; }

Message ReadMessage(const pg::Result& r, int row) {
    Message m;
    m.id = r.Int(row, 0);
    m.room_id = r.Int(row, 1);
    m.user_id = r.Int(row, 2);
    m.nickname = r.Text(row, 3);
    m.type = static_cast<MessageType>(r.Int(row, 4));
    m.content = r.Text(row, 5);
    m.time_created = r.Time(row, 6);
    return m;
}

/// PostgreSQL text cannot hold U+0000, which is valid UTF-8 and may reach us in a message: it becomes U+FFFD, or
/// the whole batch would fail on every retry. `storage` keeps the copies alive.
std::string_view WithoutNul(std::string_view s, std::deque<std::string>& storage) {
    if (s.find('\0') == std::string_view::npos) return s;
    std::string& copy = storage.emplace_back();
    for (char c : s) {
        if (c == '\0') {
            copy += "\xEF\xBF\xBD";
        } else {
            copy.push_back(c);
        }
    }
    return copy;
}

std::optional<User> FindUser(PgPool& pool, const Statement& statement, const Params& params) {
    return pg::Run(pool, Retry::kOnceWhenConnectionLost, [&](Connection& c) -> std::optional<User> {
        const pg::Result r = c.Execute(statement, params);
        if (r.rows() == 0) return std::nullopt;
        return ReadUser(r, 0);
    });
}

}  // namespace

// ---- Users ----

Result<User> PgUserStore::Create(std::string_view nickname, std::string_view nickname_key,
                                 std::string_view password_hash, TimePoint now) {
    const auto params = Params().Text(nickname).Text(nickname_key).Text(password_hash).Timestamptz(now);
    try {
        return pg::Run(pool_, Retry::kNever, [&](Connection& c) -> Result<User> {
            const pg::Result r = c.Execute(kInsertUser, params);
            return User{r.Int(0, 0), std::string(nickname), std::string(password_hash), now};
        });
    } catch (const PgError& e) {
        if (e.sqlstate() == kUniqueViolation) return Conflict("nickname is already taken");
        throw;
    }
}

std::optional<User> PgUserStore::FindByNickname(std::string_view nickname) {
    return FindUser(pool_, kUserByNickname, Params().Text(nickname));
}

std::optional<User> PgUserStore::FindByKey(std::string_view nickname_key) {
    return FindUser(pool_, kUserByKey, Params().Text(nickname_key));
}

std::optional<User> PgUserStore::FindById(UserId id) { return FindUser(pool_, kUserById, Params().Int8(id)); }

std::vector<User> PgUserStore::WithoutKey(UserId after_id, int limit) {
    const auto params = Params().Int8(after_id).Int8(limit);
    return pg::Run(pool_, Retry::kOnceWhenConnectionLost, [&](Connection& c) {
        const pg::Result r = c.Execute(kUsersWithoutKey, params);
        std::vector<User> out;
        out.reserve(static_cast<std::size_t>(r.rows()));
        for (int i = 0; i < r.rows(); ++i) out.push_back(ReadUser(r, i));
        return out;
    });
}

bool PgUserStore::SetKey(UserId id, std::string_view nickname_key) {
    const auto params = Params().Int8(id).Text(nickname_key);
    try {
        // Sets the key only where none is: running it twice changes nothing.
        return pg::Run(pool_, Retry::kOnceWhenConnectionLost, [&](Connection& c) {
            c.Execute(kSetUserKey, params);
            return true;
        });
    } catch (const PgError& e) {
        if (e.sqlstate() == kUniqueViolation) return false;
        throw;
    }
}

// ---- Refresh tokens ----

void PgRefreshTokenStore::Insert(const TokenHash& hash, UserId user_id, std::string_view family, TimePoint expires_at) {
    const auto params = Params().Bytea(hash).Int8(user_id).Text(family).Timestamptz(expires_at);
    pg::Run(pool_, Retry::kNever, [&](Connection& c) { c.Execute(kInsertToken, params); });
}

ConsumedToken PgRefreshTokenStore::Consume(const TokenHash& hash, TimePoint now) {
    const auto params = Params().Bytea(hash).Timestamptz(now);
    return pg::Run(pool_, Retry::kNever, [&](Connection& c) {
        ConsumedToken out;
        const pg::Result r = c.Execute(kConsumeToken, params);
        if (r.rows() == 0) return out;
        out.user_id = r.Int(0, 0);
        out.family = r.Text(0, 1);
        const bool was_used = r.Bool(0, 2), revoked = r.Bool(0, 3), live = r.Bool(0, 4);
        if (revoked) {
            out.status = ConsumeStatus::kRevoked;
        } else if (was_used) {
            out.status = ConsumeStatus::kAlreadyUsed;
            if (!r.IsNull(0, 5)) out.used_at = r.Time(0, 5);
        } else if (!live) {
            out.status = ConsumeStatus::kExpired;
        } else {
            out.status = ConsumeStatus::kOk;
        }
        return out;
    });
}

void PgRefreshTokenStore::RevokeFamily(std::string_view family) {
    const auto params = Params().Text(family);
    pg::Run(pool_, Retry::kOnceWhenConnectionLost, [&](Connection& c) { c.Execute(kRevokeFamily, params); });
}

std::optional<std::string> PgRefreshTokenStore::FamilyOf(const TokenHash& hash) {
    const auto params = Params().Bytea(hash);
    return pg::Run(pool_, Retry::kOnceWhenConnectionLost, [&](Connection& c) -> std::optional<std::string> {
        const pg::Result r = c.Execute(kFamilyOf, params);
        if (r.rows() == 0) return std::nullopt;
        return r.Text(0, 0);
    });
}

// ---- Rooms ----

Room PgRoomStore::Create(std::string_view name, TimePoint now) {
    const auto params = Params().Text(name).Timestamptz(now);
    return pg::Run(pool_, Retry::kNever, [&](Connection& c) {
        const pg::Result r = c.Execute(kInsertRoom, params);
        return Room{r.Int(0, 0), std::string(name), now};
    });
}

std::vector<Room> PgRoomStore::List() {
    return pg::Run(pool_, Retry::kOnceWhenConnectionLost, [&](Connection& c) {
        const pg::Result r = c.Execute(kListRooms);
        std::vector<Room> out;
        out.reserve(static_cast<std::size_t>(r.rows()));
        for (int i = 0; i < r.rows(); ++i) out.push_back(ReadRoom(r, i));
        return out;
    });
}

std::vector<Room> PgRoomStore::ListPage(std::optional<RoomId> after, int limit) {
    const auto params = Params().Int8(after.value_or(0)).Int8(limit);
    return pg::Run(pool_, Retry::kOnceWhenConnectionLost, [&](Connection& c) {
        const pg::Result r = c.Execute(kListRoomsAfter, params);
        std::vector<Room> out;
        out.reserve(static_cast<std::size_t>(r.rows()));
        for (int i = 0; i < r.rows(); ++i) out.push_back(ReadRoom(r, i));
        return out;
    });
}

RoomListVersion PgRoomStore::Version() {
    return pg::Run(pool_, Retry::kOnceWhenConnectionLost, [&](Connection& c) {
        const pg::Result r = c.Execute(kRoomListVersion);
        return RoomListVersion{r.Int(0, 0), r.Int(0, 1)};
    });
}

std::optional<Room> PgRoomStore::Find(RoomId id) {
    const auto params = Params().Int8(id);
    return pg::Run(pool_, Retry::kOnceWhenConnectionLost, [&](Connection& c) -> std::optional<Room> {
        const pg::Result r = c.Execute(kRoomById, params);
        if (r.rows() == 0) return std::nullopt;
        return ReadRoom(r, 0);
    });
}

// ---- Messages ----

void PgMessageStore::InsertBatch(std::span<const Message> messages) {
    if (messages.empty()) return;
    std::vector<std::int64_t> ids, room_ids, user_ids;
    std::vector<std::string_view> nicknames, contents;
    std::vector<std::int16_t> types;
    std::vector<TimePoint> times;
    std::deque<std::string> copies;
    for (const Message& m : messages) {
        ids.push_back(m.id);
        room_ids.push_back(m.room_id);
        user_ids.push_back(m.user_id);
        nicknames.push_back(WithoutNul(m.nickname, copies));
        types.push_back(static_cast<std::int16_t>(m.type));
        contents.push_back(WithoutNul(m.content, copies));
        times.push_back(m.time_created);
    }
    Params params;
    params.Int8Array(ids).Int8Array(room_ids).Int8Array(user_ids).TextArray(nicknames).Int2Array(types);
    params.TextArray(contents).TimestamptzArray(times);
    try {
        // Idempotent, so a retry after a lost connection cannot store a message twice.
        pg::Run(pool_, Retry::kOnceWhenConnectionLost, [&](Connection& c) { c.Execute(kInsertMessages, params); });
    } catch (const PgConnectionError&) {
        throw;  // the statement may not have run at all: worth retrying
    } catch (const PgError& e) {
        if (IsDataRefusal(e.sqlstate())) throw RejectedWrite(e.what());
        throw;
    }
}

Result<std::vector<Message>> PgMessageStore::Page(RoomId room, std::optional<MessageId> before, int limit) {
    if (limit < 0) limit = 0;
    return pg::Run(pool_, Retry::kOnceWhenConnectionLost, [&](Connection& c) -> Result<std::vector<Message>> {
        std::vector<Message> out;
        if (!before) {
            const pg::Result r = c.Execute(kNewestMessages, Params().Int8(room).Int8(limit));
            for (int i = 0; i < r.rows(); ++i) out.push_back(ReadMessage(r, i));
            return out;
        }
        const pg::Result r = c.Execute(kMessagesBefore, Params().Int8(room).Int8(*before).Int8(limit));
        if (r.rows() == 0) return NotFound("message " + std::to_string(*before) + " not found in this room");
        for (int i = 0; i < r.rows(); ++i) {
            if (!r.IsNull(i, 0)) out.push_back(ReadMessage(r, i));
        }
        return out;
    });
}

MessageId PgMessageStore::MaxId() {
    return pg::Run(pool_, Retry::kOnceWhenConnectionLost,
                   [&](Connection& c) { return c.Execute(kMaxMessageId).Int(0, 0); });
}

}  // namespace rooms
