#include "adapters/postgres/pg_pool.h"

#include <spdlog/spdlog.h>

#include "adapters/postgres/impl/pg_connection.h"

namespace rooms {

PgPool::PgPool(PgPoolOptions options) : options_(std::move(options)) {
    if (options_.size < 1)
        throw PgError("postgres: the pool needs at least one connection; hint: set postgres.pool_size to 1 or more");
    pg::ConnectSettings settings;
    settings.dsn = options_.dsn;
    settings.schema = options_.schema;
    settings.connect_timeout_s = options_.connect_timeout_s;
    settings.statement_timeout_ms = options_.statement_timeout.count();
    settings.application_name = options_.application_name;
    for (int i = 0; i < options_.size; ++i) {
        connections_.push_back(std::make_unique<pg::Connection>(settings));
        idle_.push_back(connections_.back().get());
    }
    spdlog::info("postgres: {} connection(s) to {}{}", connections_.size(), pg::Describe(connections_[0]->native()),
                 options_.schema ? ", schema " + *options_.schema : std::string());
}

PgPool::PgPool(std::string dsn, int size, std::optional<std::string> schema)
    : PgPool(PgPoolOptions{.dsn = std::move(dsn), .size = size, .schema = std::move(schema)}) {}

PgPool::~PgPool() = default;

PgPool::Lease::~Lease() {
    if (conn_ != nullptr) pool_->Release(conn_);
}

PgPool::Lease PgPool::Acquire() {
    pg::Connection* conn = nullptr;
    {
        std::unique_lock lock(mu_);
        if (!idle_cv_.wait_for(lock, options_.acquire_timeout, [&] { return !idle_.empty(); })) {
            throw PgError("postgres: no free connection within " + std::to_string(options_.acquire_timeout.count()) +
                          " ms, all " + std::to_string(connections_.size()) +
                          " in use; hint: raise postgres.pool_size or look for slow queries");
        }
        conn = idle_.back();
        idle_.pop_back();
    }
    Lease lease(this, conn);  // gives the connection back if the reset below throws
    if (conn->NeedsReset()) conn->Reset();
    return lease;
}

void PgPool::Release(pg::Connection* conn) {
    {
        std::lock_guard lock(mu_);
        idle_.push_back(conn);
    }
    idle_cv_.notify_one();
}

std::optional<std::string> PgPool::Ping() {
    try {
        pg::Run(*this, pg::Retry::kOnceWhenConnectionLost, [](pg::Connection& c) { c.ExecuteOnce("SELECT 1"); });
        return std::nullopt;
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
}

}  // namespace rooms
