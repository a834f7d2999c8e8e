#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/settings.h"
#include "metrics/pool_metrics.h"

namespace rooms {

/// A PostgreSQL failure. The message never holds the password nor the values of a query; when the operator can
/// do something about it, it ends with a hint.
class PgError : public std::runtime_error {
  public:
    explicit PgError(const std::string& message, std::string sqlstate = {})
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
    /// The SQLSTATE code ("23505"...), empty when the server did not send one.
    const std::string& sqlstate() const { return sqlstate_; }

  private:
    std::string sqlstate_;
};

/// The server cannot be reached, or a connection was lost in the middle of a call (so the statement may or may
/// not have run).
class PgConnectionError : public PgError {
  public:
    using PgError::PgError;
};

struct PgPoolOptions {
    /// dsn (a libpq URI or key=value pairs; settings given in it win over connect_timeout_s and
    /// application_name), pool_size, acquire_timeout_ms, connect_timeout_s, statement_timeout_ms.
    PostgresSettings postgres;
    /// When set, the only schema in search_path: every table is read and written there (test isolation).
    std::optional<std::string> schema;
    /// Shown in pg_stat_activity.
    std::string application_name = "rooms";
    /// pool="postgres"; errors: no free connection within acquire_timeout_ms, or a failed reconnect.
    PoolMetrics metrics = {};
};

namespace pg {
class Connection;
}  // namespace pg

/// A fixed set of connections to one database. Thread-safe.
///
/// Every call blocks on the network (libpq's synchronous API): use it from worker threads, never from an I/O
/// thread. The constructor connects every connection, so a wrong DSN or an unreachable server fails at start.
/// A connection that broke (server restart, pg_terminate_backend, network failure) is reconnected when it is
/// next handed out; a connection returned in the middle of a transaction is reconnected as well. Connections keep
/// session state (search_path, statement_timeout, prepared statements): behind PgBouncer use session pooling.
class PgPool {
  public:
    /// Throws PgConnectionError when a connection cannot be made, PgError on a bad option.
    explicit PgPool(PgPoolOptions options);
    PgPool(std::string dsn, int size, std::optional<std::string> schema = {});
    ~PgPool();
    PgPool(const PgPool&) = delete;
    PgPool& operator=(const PgPool&) = delete;

    /// Exclusive use of one connection until destroyed. Must not outlive the pool.
    class Lease {
      public:
        Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(other.conn_) { other.conn_ = nullptr; }
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease();

        pg::Connection& operator*() const { return *conn_; }
        pg::Connection* operator->() const { return conn_; }

      private:
        friend class PgPool;
        Lease(PgPool* pool, pg::Connection* conn) : pool_(pool), conn_(conn) {}
        PgPool* pool_;
        pg::Connection* conn_;
    };

    /// A healthy connection: waits up to acquire_timeout for a free one (then throws PgError), and reconnects it
    /// first when it broke since its last use (throws PgConnectionError when that fails).
    Lease Acquire();

    /// For readiness: nullopt when the database answers a trivial query, else why it does not.
    std::optional<std::string> Health();

    int size() const { return static_cast<int>(connections_.size()); }
    const PgPoolOptions& options() const { return options_; }

  private:
    void Release(pg::Connection* conn);

    const PgPoolOptions options_;
    std::vector<std::unique_ptr<pg::Connection>> connections_;
    std::mutex mu_;
    std::condition_variable idle_cv_;
    std::vector<pg::Connection*> idle_;  // guarded by mu_
};

}  // namespace rooms
