#include "pg_test_util.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
}

AdminConnection::~AdminConnection() { PQfinish(conn_); }

std::vector<AdminConnection::Row> AdminConnection::Query(const std::string& sql,
                                                         const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    PGresult* r =
        PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0);
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

namespace {

// A libpq connection-string value in single quotes.
std::string ConninfoValue(const std::string& value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out + "'";
}

sockaddr_in Loopback(int port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    return addr;
}

}  // namespace

CuttableProxy::CuttableProxy(const std::string& dsn) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(dsn.c_str(), &error);
    if (!options) {
        const std::string why = error ? error : "out of memory";
        PQfreemem(error);
        throw std::runtime_error("CuttableProxy: cannot parse the DSN: " + why);
    }
    for (PQconninfoOption* o = options; o->keyword; ++o) {
        const std::string key = o->keyword;
        if (!o->val || key == "host" || key == "hostaddr") continue;
        if (key == "port") {
            upstream_port_ = std::stoi(o->val);
            continue;
        }
        proxy_dsn_ += key + "=" + ConninfoValue(o->val) + " ";
    }
    PQconninfoFree(options);
    if (upstream_port_ == 0) upstream_port_ = 5432;

    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = Loopback(0);
    socklen_t len = sizeof(addr);
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || ::listen(listen_fd_, 16) != 0) {
        if (listen_fd_ >= 0) ::close(listen_fd_);
        throw std::runtime_error("CuttableProxy: cannot listen on loopback");
    }
    proxy_dsn_ += "host=127.0.0.1 port=" + std::to_string(ntohs(addr.sin_port));
    acceptor_ = std::thread([this] { Accept(); });
}

CuttableProxy::~CuttableProxy() { Cut(); }

void CuttableProxy::Accept() {
    for (;;) {
        const int client = ::accept(listen_fd_, nullptr, nullptr);
        if (client < 0) return;  // Cut shut the listener down
        const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
        const sockaddr_in addr = Loopback(upstream_port_);
        if (upstream < 0 || ::connect(upstream, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
            ::close(client);
            if (upstream >= 0) ::close(upstream);
            continue;
        }
        std::lock_guard lock(mu_);
        if (cut_) {
            ::close(client);
            ::close(upstream);
            return;
        }
        fds_.push_back(client);
        fds_.push_back(upstream);
        pumps_.emplace_back([this, client, upstream] { Pump(client, upstream); });
        pumps_.emplace_back([this, client, upstream] { Pump(upstream, client); });
    }
}

void CuttableProxy::Pump(int from, int to) {
    char buffer[16384];
    for (;;) {
        const ssize_t n = ::read(from, buffer, sizeof buffer);
        if (n <= 0) break;
        for (ssize_t sent = 0; sent < n;) {
            const ssize_t w = ::send(to, buffer + sent, static_cast<std::size_t>(n - sent), MSG_NOSIGNAL);
            if (w <= 0) return;
            sent += w;
        }
    }
    ::shutdown(to, SHUT_WR);
}

void CuttableProxy::Cut() {
    std::vector<std::thread> pumps;
    {
        std::lock_guard lock(mu_);
        if (cut_) return;
        cut_ = true;
        ::shutdown(listen_fd_, SHUT_RDWR);              // wakes accept
        for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);  // wakes every read: both ends see the connection close
        pumps.swap(pumps_);
    }
    acceptor_.join();
    for (auto& t : pumps) t.join();
    ::close(listen_fd_);
    for (int fd : fds_) ::close(fd);
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
    options.postgres.dsn = dsn_;
    options.postgres.pool_size = size;
    options.schema = schema_;
    options.application_name = "rooms-test-" + schema_;
    options.postgres.acquire_timeout_ms = 30000;
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
