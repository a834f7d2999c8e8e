#pragma once

#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace rooms {

enum class MigrationDirection { kUp, kDown };

/// `steps` for MigratePostgres: every pending migration when going up, the latest one when going down.
inline constexpr int kMigrateDefaultSteps = 0;
/// `steps` for MigratePostgres: every migration, in either direction.
inline constexpr int kMigrateAllSteps = std::numeric_limits<int>::max();

/// One migration found in the migrations directory: NNNN_name.up.sql, with its NNNN_name.down.sql.
struct MigrationFile {
    int version = 0;
    std::string name;  // "0001_init"
    std::filesystem::path up;
    std::filesystem::path down;  // empty when there is none (the migration cannot be undone)
};

/// The migrations in `dir`, by version. Files other than *.sql are ignored; a *.sql file not named
/// NNNN_name.up.sql / NNNN_name.down.sql, a version used twice, or a down without its up throws PgError.
std::vector<MigrationFile> ListMigrations(const std::filesystem::path& dir);

/// Applies migrations from `migrations_dir` to the database at `dsn` (in `schema` when given, created if missing;
/// else in the connection's default schema, normally public). Up applies pending versions in ascending order,
/// down undoes applied versions in descending order, each file in its own transaction together with its row in
/// schema_migrations, so a failed step changes nothing and running again is safe. Up when everything is applied
/// does nothing. Concurrent runs against the same schema are serialized by an advisory lock. Logs one line per
/// step. Blocks; throws PgError (PgConnectionError when the server cannot be reached). Returns the number of steps
/// applied. Migration files must not contain transaction control (BEGIN, COMMIT) nor statements that cannot run
/// in a transaction (CREATE INDEX CONCURRENTLY).
int MigratePostgres(const std::string& dsn, MigrationDirection direction, const std::filesystem::path& migrations_dir,
                    std::optional<std::string> schema = {}, int steps = kMigrateDefaultSteps);

/// The versions recorded in schema_migrations, ascending; empty when none (or no such table). Blocks; throws
/// PgError.
std::vector<int> AppliedMigrations(const std::string& dsn, const std::optional<std::string>& schema = {});

/// The migrations directory shipped with the source tree: <exe>/../migrations/postgres (build/rooms ->
/// migrations/postgres), else <exe>/../share/rooms/migrations/postgres (installed), else ./migrations/postgres.
/// Empty when none of them exists.
std::filesystem::path FindMigrationsDir();

}  // namespace rooms
