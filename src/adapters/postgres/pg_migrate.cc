#include "adapters/postgres/pg_migrate.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "adapters/postgres/impl/pg_connection.h"

namespace rooms {

namespace fs = std::filesystem;

namespace {

pg::ConnectSettings MigrationSettings(const std::string& dsn, const std::optional<std::string>& schema) {
    pg::ConnectSettings settings;
    settings.dsn = dsn;
    settings.schema = schema;
    settings.statement_timeout_ms = 0;  // DDL on a large table may take long
    settings.application_name = "rooms-migrate";
    return settings;
}

std::string ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    if (!in) throw PgError("postgres: cannot read migration " + path.string());
    return content.str();
}

const char* DirectionName(MigrationDirection direction) { return direction == MigrationDirection::kUp ? "up" : "down"; }

std::set<int> ReadApplied(pg::Connection& c) {
    std::set<int> applied;
    const pg::Result r = c.ExecuteOnce("SELECT version::int8 FROM schema_migrations");
    for (int i = 0; i < r.rows(); ++i) applied.insert(static_cast<int>(r.Int(i, 0)));
    return applied;
}

/// Runs one migration file and records it, in one transaction.
void ApplyStep(pg::Connection& c, const MigrationFile& file, MigrationDirection direction) {
    const bool up = direction == MigrationDirection::kUp;
    const std::string sql = ReadFile(up ? file.up : file.down);
    const auto start = std::chrono::steady_clock::now();
    try {
        c.ExecuteScript("BEGIN");
        c.ExecuteScript(sql);
        if (up) {
            c.ExecuteOnce("INSERT INTO schema_migrations (version) VALUES ($1)", pg::Params().Int8(file.version));
        } else {
            c.ExecuteOnce("DELETE FROM schema_migrations WHERE version = $1", pg::Params().Int8(file.version));
        }
        c.ExecuteScript("COMMIT");
    } catch (const PgError& e) {
        // A lost connection rolls back by itself; otherwise end the failed transaction before reporting.
        if (PQstatus(c.native()) == CONNECTION_OK) PQclear(PQexec(c.native(), "ROLLBACK"));
        std::string cause = e.what();
        if (cause.starts_with("postgres: ")) cause.erase(0, std::string_view("postgres: ").size());
        const std::string step = "postgres: migration " + file.name + " " + DirectionName(direction);
        if (dynamic_cast<const PgConnectionError*>(&e) != nullptr) {
            // The transaction may or may not have committed; either way schema_migrations tells the truth.
            throw PgConnectionError(step + " interrupted, running again is safe: " + cause, e.sqlstate());
        }
        throw PgError(step + " failed, nothing applied: " + cause, e.sqlstate());
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    spdlog::info("postgres: migration {} {} applied in {} ms", file.name, DirectionName(direction), ms.count());
}

}  // namespace

std::vector<MigrationFile> ListMigrations(const fs::path& dir) {
    std::error_code ec;
    if (dir.empty() || !fs::is_directory(dir, ec)) {
        throw PgError("postgres: migrations directory '" + dir.string() +
                      "' not found; hint: run from the source tree (migrations/postgres) or name the directory");
    }
    static const std::regex kName(R"(^(([0-9]{4,})_[A-Za-z0-9_]+)\.(up|down)\.sql$)");
    std::map<int, MigrationFile> by_version;
    std::map<int, std::pair<std::string, fs::path>> downs;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
        const std::string filename = entry.path().filename().string();
        if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
        std::smatch match;
        if (!std::regex_match(filename, match, kName)) {
            throw PgError("postgres: unexpected migration file name " + filename +
                          "; hint: name migrations NNNN_name.up.sql and NNNN_name.down.sql");
        }
        const int version = std::stoi(match[2].str());
        const std::string name = match[1].str();
        if (match[3].str() == "up") {
            auto [it, inserted] = by_version.try_emplace(version, MigrationFile{version, name, entry.path(), {}});
            if (!inserted) {
                throw PgError("postgres: migration version " + std::to_string(version) + " is used by both " +
                              it->second.name + " and " + name);
            }
        } else {
            auto [it, inserted] = downs.try_emplace(version, name, entry.path());
            if (!inserted) {
                throw PgError("postgres: migration version " + std::to_string(version) + " has two down files");
            }
        }
    }
    for (const auto& [version, down] : downs) {
        auto it = by_version.find(version);
        if (it == by_version.end() || it->second.name != down.first) {
            throw PgError("postgres: migration " + down.first + ".down.sql has no matching " + down.first + ".up.sql");
        }
        it->second.down = down.second;
    }
    std::vector<MigrationFile> out;
    out.reserve(by_version.size());
    for (auto& [version, file] : by_version) out.push_back(std::move(file));
    return out;
}

int MigratePostgres(const std::string& dsn, MigrationDirection direction, const fs::path& migrations_dir,
                    std::optional<std::string> schema, int steps) {
    if (steps < 0) throw PgError("postgres: the number of migration steps cannot be negative");
    const std::vector<MigrationFile> files = ListMigrations(migrations_dir);
    pg::Connection c(MigrationSettings(dsn, schema));

    // Serializes migrators of the same schema (several instances starting at once); released on disconnect.
    c.ExecuteOnce("SELECT pg_advisory_lock(hashtext($1))", pg::Params().Text("rooms.migrate:" + schema.value_or("")));
    if (schema) c.ExecuteScript("CREATE SCHEMA IF NOT EXISTS " + pg::QuoteIdentifier(*schema));
    c.ExecuteScript(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    std::set<int> applied = ReadApplied(c);

    int done = 0;
    if (direction == MigrationDirection::kUp) {
        const int limit = steps == kMigrateDefaultSteps ? kMigrateAllSteps : steps;
        for (const MigrationFile& file : files) {
            if (done >= limit) break;
            if (applied.contains(file.version)) continue;
            ApplyStep(c, file, direction);
            applied.insert(file.version);
            ++done;
        }
        const int known = files.empty() ? 0 : files.back().version;
        if (!applied.empty() && *applied.rbegin() > known) {
            spdlog::warn("postgres: the database has migration {} applied, newer than the newest known here ({})",
                         *applied.rbegin(), known);
        }
    } else {
        const int limit = steps == kMigrateDefaultSteps ? 1 : steps;
        for (auto it = applied.rbegin(); it != applied.rend() && done < limit; ++it, ++done) {
            const int version = *it;
            const auto file =
                std::find_if(files.begin(), files.end(), [&](const MigrationFile& f) { return f.version == version; });
            if (file == files.end() || file->down.empty()) {
                throw PgError("postgres: migration " + std::to_string(version) +
                              " is applied but has no down file in " + migrations_dir.string() +
                              "; hint: use the migrations of the rooms version that applied it");
            }
            ApplyStep(c, *file, direction);
        }
    }
    const std::set<int> now_applied = ReadApplied(c);
    spdlog::info("postgres: schema {} at version {} ({} migration step(s) {} applied)",
                 schema ? *schema : std::string("(default)"), now_applied.empty() ? 0 : *now_applied.rbegin(), done,
                 DirectionName(direction));
    c.ExecuteOnce("SELECT pg_advisory_unlock(hashtext($1))", pg::Params().Text("rooms.migrate:" + schema.value_or("")));
    return done;
}

std::vector<int> AppliedMigrations(const std::string& dsn, const std::optional<std::string>& schema) {
    pg::Connection c(MigrationSettings(dsn, schema));
    const pg::Result exists = c.ExecuteOnce("SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!exists.Bool(0, 0)) return {};
    const std::set<int> applied = ReadApplied(c);
    return {applied.begin(), applied.end()};
}

fs::path FindMigrationsDir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    const fs::path prefix = exe.parent_path().parent_path();
    const fs::path candidates[] = {prefix / "migrations" / "postgres",
                                   prefix / "share" / "rooms" / "migrations" / "postgres",
                                   fs::path("migrations") / "postgres"};
    for (const fs::path& candidate : candidates) {
        if (fs::is_directory(candidate, ec)) return fs::absolute(candidate, ec);
    }
    return {};
}

}  // namespace rooms
