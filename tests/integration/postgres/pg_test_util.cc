#include "pg_test_util.h"

#include <cstdlib>
#include <random>
#include <stdexcept>

namespace rooms::pgtest {

const char* const kMissingDsnMessage =
    "ROOMS_TEST_POSTGRES_DSN is not set: the PostgreSQL integration tests need a server. Start one with "
    "`scripts/services.sh start pg` and run them with "
    "ROOMS_TEST_POSTGRES_DSN=postgresql://postgres@127.0.0.1:55432/rooms";

std::string TestDsn() {
    const char* dsn = std::getenv("ROOMS_TEST_POSTGRES_DSN");
    return dsn ? dsn : "";
}

std::filesystem::path SourceMigrationsDir() { return ROOMS_PG_MIGRATIONS_DIR; }

std::string UniqueName(const std::string& prefix) {
    static thread_local std::mt19937_64 rng{std::random_device{}() ^ static_cast<std::uint64_t>(::getpid())};
    static const char kHex[] = "0123456789abcdef";
    std::string out = prefix;
    std::uint64_t bits = rng();
    for (int i = 0; i < 16; ++i, bits >>= 4) out.push_back(kHex[bits & 0xf]);
    return out;
}


TokenHash HashOf(std::string_view token) {
    // The token's own bytes (distinct tokens of up to 32 bytes give distinct hashes), longer ones folded in.
    TokenHash h{};
    for (std::size_t i = 0; i < token.size(); ++i) h[i % h.size()] ^= static_cast<unsigned char>(token[i]);
    return h;
}


AdminConnection::AdminConnection(const std::string& dsn) : conn_(PQconnectdb(dsn.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
        const std::string message = PQerrorMessage(conn_);
        PQfinish(conn_);
        throw std::runtime_error("test admin connection failed: " + message);
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
}

AdminConnection::~AdminConnection() { PQfinish(conn_); }

std::vector<AdminConnection::Row> AdminConnection::Query(const std::string& sql,
                                                         const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                               nullptr, 0);
    const ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        const std::string message = PQresultErrorMessage(r);
        PQclear(r);
        throw std::runtime_error("test query failed: " + sql + ": " + message);
    }
    std::vector<Row> rows;
    for (int i = 0; i < PQntuples(r); ++i) {
        Row row;
        for (int j = 0; j < PQnfields(r); ++j) {
            if (PQgetisnull(r, i, j)) {
                row.emplace_back(std::nullopt);
            } else {
                row.emplace_back(std::string(PQgetvalue(r, i, j), static_cast<std::size_t>(PQgetlength(r, i, j))));
            }
        }
        rows.push_back(std::move(row));
    }
    PQclear(r);
    return rows;
}

std::string AdminConnection::Scalar(const std::string& sql, const std::vector<std::string>& params) {
    const auto rows = Query(sql, params);
    if (rows.empty() || rows[0].empty() || !rows[0][0]) throw std::runtime_error("no value from " + sql);
    return *rows[0][0];
}

std::vector<std::string> AdminConnection::Column(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<std::string> out;
    for (const auto& row : Query(sql, params)) out.push_back(row.at(0).value_or("NULL"));
    return out;
}

std::string Quote(const std::string& identifier) {
    std::string out = "\"";
    for (char c : identifier) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    return out + "\"";
}

void PgSchemaTest::SetUp() {
    dsn_ = TestDsn();
    ASSERT_FALSE(dsn_.empty()) << kMissingDsnMessage;
    admin_ = std::make_unique<AdminConnection>(dsn_);
    schema_ = UniqueName("test_");
    admin_->Query("CREATE SCHEMA " + Quote(schema_));
}

void PgSchemaTest::TearDown() {
    if (admin_) admin_->Query("DROP SCHEMA IF EXISTS " + Quote(schema_) + " CASCADE");
    admin_.reset();
}

PgPoolOptions PgSchemaTest::PoolOptions(int size) const {
    PgPoolOptions options;
    options.dsn = dsn_;
    options.size = size;
    options.schema = schema_;
    options.application_name = "rooms-test-" + schema_;
    options.acquire_timeout = std::chrono::seconds(30);
    return options;
}

void PgStoreTest::SetUp() {
    PgSchemaTest::SetUp();
    if (HasFatalFailure()) return;
    MigratePostgres(dsn_, MigrationDirection::kUp, SourceMigrationsDir(), schema_);
    pool_ = std::make_unique<PgPool>(PoolOptions(8));
    users_ = std::make_unique<PgUserStore>(*pool_);
    tokens_ = std::make_unique<PgRefreshTokenStore>(*pool_);
    rooms_ = std::make_unique<PgRoomStore>(*pool_);
    messages_ = std::make_unique<PgMessageStore>(*pool_);
}

void PgStoreTest::TearDown() {
    messages_.reset();
    rooms_.reset();
    tokens_.reset();
    users_.reset();
    pool_.reset();
    PgSchemaTest::TearDown();
}

std::vector<MessageId> PgStoreTest::PageIds(RoomId room, std::optional<MessageId> before, int limit) {
    auto page = messages_->Page(room, before, limit);
    EXPECT_TRUE(page.ok()) << page.error().message;
    return page.ok() ? Ids(page.value()) : std::vector<MessageId>{};
}

}  // namespace rooms::pgtest
