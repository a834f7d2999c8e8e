#pragma once

// Shared by the PostgreSQL integration tests (*_pgtest.cc). They run against the server named by the environment
// variable ROOMS_TEST_POSTGRES_DSN; each test works in its own freshly created schema, dropped at the end.

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/postgres/pg_migrate.h"
#include "adapters/postgres/pg_pool.h"
#include "adapters/postgres/postgres_store.h"
#include "domain/types.h"
#include "support/closed_port.h"
#include "support/test_messages.h"

namespace rooms::pgtest {

/// The DSN of the test server, empty when ROOMS_TEST_POSTGRES_DSN is not set.
std::string TestDsn();
/// Why a test that needs the server fails when it is not configured, and how to fix that.
extern const char* const kMissingDsnMessage;

/// The migrations shipped in the source tree.
std::filesystem::path SourceMigrationsDir();

/// A name no other test uses: prefix + random hex.
std::string UniqueName(const std::string& prefix);

using test_support::FixedTime;
using test_support::Ids;
using test_support::MakeMessage;

/// A stand-in for the SHA-256 of a token: 32 bytes derived from `token`, distinct for distinct short tokens.
TokenHash HashOf(std::string_view token);

using test_support::ClosedPort;

/// A plain libpq connection for test set-up and inspection, independent of the code under test. Text results.
class AdminConnection {
  public:
    explicit AdminConnection(const std::string& dsn);
    ~AdminConnection();
    AdminConnection(const AdminConnection&) = delete;
    AdminConnection& operator=(const AdminConnection&) = delete;

    using Row = std::vector<std::optional<std::string>>;
    /// Runs one statement with text parameters; throws std::runtime_error on failure.
    std::vector<Row> Query(const std::string& sql, const std::vector<std::string>& params = {});
    /// The first column of the first row.
    std::string Scalar(const std::string& sql, const std::vector<std::string>& params = {});
    /// The first column of every row.
    std::vector<std::string> Column(const std::string& sql, const std::vector<std::string>& params = {});

  private:
    PGconn* conn_ = nullptr;
};

/// A TCP proxy on loopback to the test server that a test can cut: then every connection through it is closed
/// and new ones are refused, as when the server or the network goes away, without touching the shared server.
class CuttableProxy {
  public:
    /// Listens on a free loopback port and forwards to the host and port of `dsn` (TCP only).
    explicit CuttableProxy(const std::string& dsn);
    /// Cut().
    ~CuttableProxy();
    CuttableProxy(const CuttableProxy&) = delete;
    CuttableProxy& operator=(const CuttableProxy&) = delete;

    /// `dsn` with its host and port replaced by the proxy's (key=value form).
    const std::string& dsn() const { return proxy_dsn_; }
    /// Closes every connection through the proxy and stops accepting new ones. Idempotent.
    void Cut();

  private:
    void Accept();
    void Pump(int from, int to);

    int upstream_port_ = 0;
    int listen_fd_ = -1;
    std::string proxy_dsn_;
    std::mutex mu_;
    bool cut_ = false;                // guarded by mu_
    std::vector<int> fds_;            // guarded by mu_: every socket of every proxied connection
    std::vector<std::thread> pumps_;  // guarded by mu_
    std::thread acceptor_;
};

/// Quotes an identifier for SQL written by the tests.
std::string Quote(const std::string& identifier);

/// A fresh, empty schema per test (created in SetUp, dropped in TearDown). Fails the test, never skips it, when
/// ROOMS_TEST_POSTGRES_DSN is not set.
class PgSchemaTest : public ::testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override;

    /// Pool options for this test's schema, with an application_name unique to the test.
    PgPoolOptions PoolOptions(int size = 4) const;

    std::string dsn_;
    std::string schema_;
    std::unique_ptr<AdminConnection> admin_;
};

/// A migrated schema with a pool and the four stores.
class PgStoreTest : public PgSchemaTest {
  protected:
    void SetUp() override;
    void TearDown() override;

    std::vector<MessageId> PageIds(RoomId room, std::optional<MessageId> before, int limit);

    std::unique_ptr<PgPool> pool_;
    std::unique_ptr<PgUserStore> users_;
    std::unique_ptr<PgRefreshTokenStore> tokens_;
    std::unique_ptr<PgRoomStore> rooms_;
    std::unique_ptr<PgMessageStore> messages_;
};

}  // namespace rooms::pgtest
