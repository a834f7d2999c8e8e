#include "adapters/postgres/pg_pool.h"

#include <spdlog/spdlog.h>

#include "adapters/postgres/impl/pg_connection.h"

namespace rooms {

PgPool::PgPool(PgPoolOptions options) : options_(std::move(options)) {
    if (options_.postgres.pool_size < 1)
        throw PgError("postgres: the pool needs at least one connection; hint: set postgres.pool_size to 1 or more");
    pg::ConnectSettings settings;
    settings.dsn = options_.postgres.dsn;
    settings.schema = options_.schema;
    settings.connect_timeout_s = options_.postgres.connect_timeout_s;
    settings.statement_timeout_ms = options_.postgres.statement_timeout_ms;
    settings.application_name = options_.application_name;
    for (int i = 0; i < options_.postgres.pool_size; ++i) {
        connections_.push_back(std::make_unique<pg::Connection>(settings));
        idle_.push_back(connections_.back().get());
    }
    spdlog::info("postgres: {} connection(s) to {}{}", connections_.size(), pg::Describe(connections_[0]->native()),
                 options_.schema ? ", schema " + *options_.schema : std::string());
}

namespace {
PgPoolOptions OptionsFor(std::string dsn, int size, std::optional<std::string> schema) {
    PgPoolOptions o;
    o.postgres.dsn = std::move(dsn);
    o.postgres.pool_size = size;
    o.schema = std::move(schema);
    return o;
}
}  // namespace

PgPool::PgPool(std::string dsn, int size, std::optional<std::string> schema)
    : PgPool(OptionsFor(std::move(dsn), size, std::move(schema))) {}

PgPool::~PgPool() = default;

PgPool::Lease::~Lease() {
    if (conn_ != nullptr) pool_->Release(conn_);
}

PgPool::Lease PgPool::Acquire() {
    const auto started = std::chrono::steady_clock::now();
    pg::Connection* conn = nullptr;
    {
        std::unique_lock lock(mu_);
        if (!idle_cv_.wait_for(lock, std::chrono::milliseconds(options_.postgres.acquire_timeout_ms),
                               [&] { return !idle_.empty(); })) {
            options_.metrics.errors.Inc();
            throw PgError("postgres: no free connection within " +
                          std::to_string(options_.postgres.acquire_timeout_ms) + " ms, all " +
                          std::to_string(connections_.size()) +
                          " in use; hint: raise postgres.pool_size or look for slow queries");
        }
        conn = idle_.back();
        idle_.pop_back();
    }
    options_.metrics.in_use.Inc();
    options_.metrics.wait_seconds.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    Lease lease(this, conn);  // gives the connection back if the reset below throws
    if (conn->NeedsReset()) {
        try {
            conn->Reset();
        } catch (...) {
            options_.metrics.errors.Inc();
            throw;
        }
    }
    return lease;
}

void PgPool::Release(pg::Connection* conn) {
    options_.metrics.in_use.Dec();
    {
        std::lock_guard lock(mu_);
        idle_.push_back(conn);
    }
    idle_cv_.notify_one();
}

std::optional<std::string> PgPool::Health() {
    try {
        pg::Run(*this, pg::Retry::kOnceWhenConnectionLost, [](pg::Connection& c) { c.ExecuteOnce("SELECT 1"); });
        return std::nullopt;
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
}

}  // namespace rooms
