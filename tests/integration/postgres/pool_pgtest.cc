// PgPool against a live server: reconnection after the server closed its connections, clear and bounded failures
// when the server cannot be reached, and the pool's own limits.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "adapters/postgres/impl/pg_connection.h"
#include "pg_test_util.h"

namespace rooms::pgtest {
namespace {

using Clock = std::chrono::steady_clock;

class PgPoolTest : public PgStoreTest {
  protected:
    /// The server processes serving this test's pool.
    std::vector<std::string> Backends() {
        return admin_->Column("SELECT pid::text FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid",
                              {PoolOptions().application_name});
    }

    /// Terminates every backend of the pool; with `wait`, returns once they are gone.
    void TerminateBackends(bool wait) {
        const std::string timeout_ms = wait ? "5000" : "0";
        admin_->Query("SELECT pg_terminate_backend(pid, $2::int8) FROM pg_stat_activity WHERE application_name = $1",
                      {PoolOptions().application_name, timeout_ms});
    }
};

TEST_F(PgPoolTest, ReconnectsAfterTheServerClosedItsConnections) {
    const auto room = rooms_->Create("before", FixedTime());
    const auto before = Backends();
    ASSERT_EQ(before.size(), 8u) << "every connection is opened at start";

    TerminateBackends(/*wait=*/true);
    ASSERT_TRUE(Backends().empty());

    // The next calls work, writes included (the broken connection is noticed before the statement is sent).
    const auto user = users_->Create("after-terminate", "after-terminate", "hash", FixedTime());
    ASSERT_TRUE(user.ok()) << user.error().message;
    EXPECT_EQ(rooms_->List().size(), 1u);
    EXPECT_EQ(rooms_->Find(room.id)->name, "before");
    const Message m = MakeMessage(1, room.id);
    messages_->InsertBatch({&m, 1});
    EXPECT_EQ(messages_->MaxId(), 1);
    EXPECT_EQ(pool_->Health(), std::nullopt);

    // Every connection comes back when it is next used, on a new server process.
    {
        std::vector<PgPool::Lease> leases;
        for (int i = 0; i < pool_->size(); ++i) leases.push_back(pool_->Acquire());
    }
    const auto after = Backends();
    ASSERT_EQ(after.size(), 8u);
    for (const auto& pid : after) EXPECT_EQ(std::count(before.begin(), before.end(), pid), 0) << pid;
}

TEST_F(PgPoolTest, ReadsSurviveTerminationRacingTheCall) {
    const auto room = rooms_->Create("racy", FixedTime());
    for (int i = 0; i < 20; ++i) {
        TerminateBackends(/*wait=*/false);  // the backend may die while the statement is on its way
        EXPECT_EQ(rooms_->Find(room.id)->name, "racy") << "iteration " << i;
        const Message m = MakeMessage(i + 1, room.id);
        messages_->InsertBatch({&m, 1});  // idempotent: retried once on a lost connection
        EXPECT_EQ(messages_->MaxId(), i + 1);
    }
}

TEST_F(PgPoolTest, KeepsSearchPathAfterReconnecting) {
    rooms_->Create("in my schema", FixedTime());
    TerminateBackends(/*wait=*/true);
    const auto list = rooms_->List();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].name, "in my schema");
}

TEST_F(PgPoolTest, AcquireTimesOutWhenEveryConnectionIsInUse) {
    PgPoolOptions options = PoolOptions(1);
    options.postgres.acquire_timeout_ms = 300;
    PgPool pool(options);
    {
        auto held = pool.Acquire();
        const auto start = Clock::now();
        try {
            pool.Acquire();
            FAIL() << "expected PgError";
        } catch (const PgConnectionError& e) {
            FAIL() << "a busy pool is not a connection failure: " << e.what();
        } catch (const PgError& e) {
            EXPECT_NE(std::string(e.what()).find("pool_size"), std::string::npos) << e.what();
        }
        const auto waited = Clock::now() - start;
        EXPECT_GE(waited, std::chrono::milliseconds(250));
        EXPECT_LT(waited, std::chrono::seconds(5));
        EXPECT_NE(pool.Health(), std::nullopt) << "no connection free for the probe";
    }
    EXPECT_EQ(pool.Health(), std::nullopt);
    // A waiting caller gets the connection as soon as it is given back.
    auto held = std::make_unique<PgPool::Lease>(pool.Acquire());
    std::thread releaser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        held.reset();
    });
    EXPECT_NO_THROW(pool.Acquire());
    releaser.join();
}

TEST_F(PgPoolTest, TransactionLeftOpenIsNotHandedOn) {
    PgPool pool(PoolOptions(1));
    {
        auto lease = pool.Acquire();
        // Simulates a caller that died between BEGIN and COMMIT.
        PQclear(PQexec(lease->native(), "BEGIN"));
    }
    auto lease = pool.Acquire();
    EXPECT_EQ(PQtransactionStatus(lease->native()), PQTRANS_IDLE);
}

TEST_F(PgPoolTest, PreparesAgainWhenTheSessionLostItsStatements) {
    PgPool pool(PoolOptions(1));
    PgRoomStore rooms(pool);
    rooms.Create("one", FixedTime());
    EXPECT_EQ(rooms.List().size(), 1u);  // prepared now
    PQclear(PQexec(pool.Acquire()->native(), "DEALLOCATE ALL"));
    EXPECT_EQ(rooms.List().size(), 1u);
}

TEST_F(PgPoolTest, StatementTimeoutIsApplied) {
    PgPoolOptions options = PoolOptions(1);
    options.postgres.statement_timeout_ms = 200;
    PgPool pool(options);
    auto lease = pool.Acquire();
    try {
        lease->ExecuteOnce("SELECT pg_sleep(10)");
        FAIL() << "expected PgError";
    } catch (const PgConnectionError& e) {
        FAIL() << "a timeout is not a connection failure: " << e.what();
    } catch (const PgError& e) {
        EXPECT_EQ(e.sqlstate(), "57014");  // query_canceled
        EXPECT_NE(std::string(e.what()).find("hint:"), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(lease->ExecuteOnce("SELECT 1")) << "the connection stays usable";
}

TEST(PgPoolUnreachableTest, ClosedPortFailsFastWithAHintAndNoPassword) {
    const std::string dsn = "postgresql://rooms:s3cret-pw@127.0.0.1:" + std::to_string(ClosedPort()) + "/rooms";
    const auto start = Clock::now();
    try {
        PgPool pool(dsn, 2);
        FAIL() << "expected PgConnectionError";
    } catch (const PgConnectionError& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("127.0.0.1"), std::string::npos) << message;
        EXPECT_NE(message.find("hint:"), std::string::npos) << message;
        EXPECT_NE(message.find("postgres.dsn"), std::string::npos) << message;
        EXPECT_EQ(message.find("s3cret-pw"), std::string::npos) << message;
    }
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

TEST(PgPoolUnreachableTest, SilentServerTimesOutInsteadOfHanging) {
    // Accepts TCP connections (the kernel completes them) but never answers the start-up packet.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    ASSERT_EQ(::listen(fd, 16), 0);

    PgPoolOptions options;
    options.postgres.dsn = "postgresql://postgres@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/rooms";
    options.postgres.pool_size = 1;
    options.postgres.connect_timeout_s = 2;
    const auto start = Clock::now();
    EXPECT_THROW(PgPool pool(options), PgConnectionError);
    const auto waited = Clock::now() - start;
    ::close(fd);
    EXPECT_GE(waited, std::chrono::milliseconds(1500));
    EXPECT_LT(waited, std::chrono::seconds(15));
}

TEST(PgPoolUnreachableTest, MalformedDsnDoesNotEchoIt) {
    try {
        PgPool pool("host=127.0.0.1 password=s3cret-pw no_such_option=1", 1);
        FAIL() << "expected PgConnectionError";
    } catch (const PgConnectionError& e) {
        EXPECT_EQ(std::string(e.what()).find("s3cret-pw"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("hint:"), std::string::npos) << e.what();
    }
}

TEST(PgPoolUnreachableTest, MigrateFailsClearlyToo) {
    const std::string dsn = "postgresql://postgres@127.0.0.1:" + std::to_string(ClosedPort()) + "/rooms";
    EXPECT_THROW(MigratePostgres(dsn, MigrationDirection::kUp, SourceMigrationsDir()), PgConnectionError);
}

TEST(PgPoolOptionsTest, PoolNeedsAConnection) { EXPECT_THROW(PgPool("postgresql://x@127.0.0.1/db", 0), PgError); }

}  // namespace
}  // namespace rooms::pgtest
