#pragma once

// Private to the postgres adapter: one libpq connection, binary parameters and results.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "adapters/postgres/pg_pool.h"
#include "domain/types.h"

namespace rooms::pg {

/// Type OIDs (pg_type.h is a server header).
inline constexpr Oid kBoolOid = 16;
inline constexpr Oid kByteaOid = 17;
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kInt2Oid = 21;
inline constexpr Oid kInt4Oid = 23;
inline constexpr Oid kTextOid = 25;
inline constexpr Oid kTimestamptzOid = 1184;
inline constexpr Oid kInt2ArrayOid = 1005;
inline constexpr Oid kTextArrayOid = 1009;
inline constexpr Oid kInt8ArrayOid = 1016;
inline constexpr Oid kTimestamptzArrayOid = 1185;

/// Query parameters, all sent in binary format with their types, so no value is ever spliced into SQL text and
/// times keep their microseconds.
class Params {
  public:
    Params& Int8(std::int64_t v);
    Params& Int2(std::int16_t v);
    Params& Text(std::string_view v);
    Params& Bytea(std::span<const unsigned char> v);
    Params& Timestamptz(TimePoint v);
    /// One-dimensional arrays without NULLs.
    Params& Int8Array(std::span<const std::int64_t> v);
    Params& Int2Array(std::span<const std::int16_t> v);
    Params& TextArray(std::span<const std::string_view> v);
    Params& TimestamptzArray(std::span<const TimePoint> v);

    int size() const { return static_cast<int>(values_.size()); }
    const Oid* types() const { return types_.data(); }

    /// Pointers into this object, valid while it is neither modified nor destroyed.
    struct Raw {
        std::vector<const char*> values;
        std::vector<int> lengths;
        std::vector<int> formats;
    };
    Raw Pointers() const;

  private:
    Params& Add(Oid type, std::string bytes);
    std::vector<Oid> types_;
    std::vector<std::string> values_;
};

/// A query result in binary format; accessors check the column type and throw PgError on a mismatch (a bug).
class Result {
  public:
    explicit Result(PGresult* r) : r_(r, &PQclear) {}
    int rows() const { return PQntuples(r_.get()); }
    bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
    std::int64_t Int(int row, int col) const;  // int2, int4 or int8
    bool Bool(int row, int col) const;
    std::string Text(int row, int col) const;  // text or bytea
    TimePoint Time(int row, int col) const;
    /// Rows touched by an INSERT/UPDATE/DELETE.
    std::int64_t Affected() const;

  private:
    std::string_view Bytes(int row, int col, Oid expected, int expected_size) const;
    std::unique_ptr<PGresult, decltype(&PQclear)> r_;
};

/// A named statement, prepared on each connection the first time it runs there.
struct Statement {
    const char* name;
    const char* sql;
};

/// Where and how to connect. The DSN is kept here only; it is never logged nor put in a message.
struct ConnectSettings {
    std::string dsn;
    std::optional<std::string> schema;
    int connect_timeout_s = 5;
    std::int64_t statement_timeout_ms = 0;
    std::string application_name = "rooms";
};

/// One connection. Not thread-safe: one user at a time (the pool hands it out).
class Connection {
  public:
    /// Throws PgConnectionError.
    explicit Connection(ConnectSettings settings);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Runs a named statement (preparing it first on this connection when needed). Throws PgError, or
    /// PgConnectionError when the connection broke.
    Result Execute(const Statement& statement, const Params& params = {});
    /// Runs an unnamed parameterized statement (for one-off queries).
    Result ExecuteOnce(const char* sql, const Params& params = {});
    /// Runs SQL text without parameters, possibly several statements (migration files, BEGIN, COMMIT).
    void ExecuteScript(const std::string& sql);

    /// True when the connection is known or suspected to be broken, or was left inside a transaction. Does not
    /// block: an idle healthy connection has nothing to read, so readable data (the FATAL message and EOF of a
    /// terminated backend) means it is gone.
    bool NeedsReset() const;
    /// Reconnects with the same settings. Throws PgConnectionError.
    void Reset();
    /// The server process serving this connection.
    int BackendPid() const { return PQbackendPID(conn_); }
    PGconn* native() const { return conn_; }

  private:
    void SetUpSession();
    /// `r` when it succeeded; else throws, with the operator hint for a missing schema when `schema_hint`.
    Result Check(PGresult* r, std::string_view what, bool schema_hint = false);
    [[noreturn]] void ThrowConnectionError(const std::string& what, const char* hint) const;

    ConnectSettings settings_;
    PGconn* conn_ = nullptr;
    std::unordered_set<std::string> prepared_;
};

/// "host:port/db as user" of a connection, for messages (never the password).
std::string Describe(const PGconn* conn);

/// Quotes an identifier ("my""schema"), for the few places SQL needs one (CREATE SCHEMA, search_path).
std::string QuoteIdentifier(std::string_view name);

}  // namespace rooms::pg

namespace rooms::pg {

/// Whether a call may be repeated when its connection is lost midway: only for reads and idempotent writes,
/// since the first attempt may have run on the server.
enum class Retry { kNever, kOnceWhenConnectionLost };

void LogRetry(const PgConnectionError& error);

/// Runs `fn(Connection&)` on a pooled connection.
template <typename Fn>
auto Run(PgPool& pool, Retry retry, Fn&& fn) {
    for (int attempt = 1;; ++attempt) {
        PgPool::Lease lease = pool.Acquire();
        try {
            return fn(*lease);
        } catch (const PgConnectionError& e) {
            if (retry == Retry::kNever || attempt > 1) throw;
            LogRetry(e);
        }
    }
}

}  // namespace rooms::pg
