#pragma once

// The stores of the distributed roles (websocket, consumer) on PostgreSQL. Same semantics as the SQLite stores of
// the `all` role; the schema comes from migrations/postgres (see pg_migrate.h), never from these classes.
//
// Every method blocks on the network: call from worker threads, never from an I/O thread. All are thread-safe
// (each call takes its own connection from the pool). Server and connection failures throw PgError (or
// PgConnectionError); expected domain failures are values (Conflict, NotFound). Reads and idempotent writes are
// retried once on a fresh connection when the connection is lost midway; other writes are not, since the first
// attempt may have run.

#include "adapters/postgres/pg_pool.h"
#include "domain/ports.h"

namespace rooms {

class PgUserStore : public UserStore {
  public:
    /// `pool` must outlive the store.
    explicit PgUserStore(PgPool& pool) : pool_(pool) {}
    /// Conflict when the nickname (compared exactly) or the key is taken.
    Result<User> Create(std::string_view nickname, std::string_view nickname_key, std::string_view password_hash,
                        TimePoint now) override;
    std::optional<User> FindByNickname(std::string_view nickname) override;
    std::optional<User> FindByKey(std::string_view nickname_key) override;
    std::optional<User> FindById(UserId id) override;
    std::vector<User> WithoutKey(UserId after_id, int limit) override;
    bool SetKey(UserId id, std::string_view nickname_key) override;

  private:
    PgPool& pool_;
};

class PgRefreshTokenStore : public RefreshTokenStore {
  public:
    explicit PgRefreshTokenStore(PgPool& pool) : pool_(pool) {}
    void Insert(const TokenHash& hash, UserId user_id, std::string_view family, TimePoint expires_at) override;
    /// One statement that locks the row: of concurrent callers, across processes too, only one gets kOk.
    ConsumedToken Consume(const TokenHash& hash, TimePoint now) override;
    void RevokeFamily(std::string_view family) override;
    std::optional<std::string> FamilyOf(const TokenHash& hash) override;

  private:
    PgPool& pool_;
};

class PgRoomStore : public RoomStore {
  public:
    explicit PgRoomStore(PgPool& pool) : pool_(pool) {}
    Room Create(std::string_view name, TimePoint now) override;
    std::vector<Room> List() override;
    std::vector<Room> ListPage(std::optional<RoomId> after, int limit) override;
    RoomListVersion Version() override;
    std::optional<Room> Find(RoomId id) override;

  private:
    PgPool& pool_;
};

class PgMessageStore : public MessageStore {
  public:
    explicit PgMessageStore(PgPool& pool) : pool_(pool) {}
    /// One statement for the whole batch; rows take the batch's order (acceptance order). Messages whose id is
    /// stored already, or repeated within the batch, are skipped, so a replayed batch is harmless. PostgreSQL text
    /// cannot hold U+0000: it is stored as U+FFFD rather than failing the batch forever. Throws RejectedWrite when
    /// the server refuses the data itself (SQLSTATE class 22 data exception or 23 integrity constraint violation:
    /// an unknown room, content over the column's limit, an invalid encoding), PgError (PgConnectionError) for
    /// anything else.
    void InsertBatch(std::span<const Message> messages) override;
    Result<std::vector<Message>> Page(RoomId room, std::optional<MessageId> before, int limit) override;
    MessageId MaxId() override;

  private:
    PgPool& pool_;
};

}  // namespace rooms
