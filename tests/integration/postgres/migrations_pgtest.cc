// Schema migrations: the shipped ones (up, up again, down, up) and the runner itself on throw-away files.

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "pg_test_util.h"

namespace rooms::pgtest {
namespace {

namespace fs = std::filesystem;

/// A temporary migrations directory, removed at the end.
class TempDir {
  public:
    TempDir() : path_(fs::temp_directory_path() / UniqueName("rooms_pg_migrations_")) { fs::create_directories(path_); }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    void Write(const std::string& name, const std::string& content) const { std::ofstream(path_ / name) << content; }
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

class PgMigrationsTest : public PgSchemaTest {
  protected:
    std::vector<std::string> Tables() {
        return admin_->Column(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1", {schema_});
    }
    std::vector<std::string> Indexes() {
        return admin_->Column("SELECT indexname::text FROM pg_indexes WHERE schemaname = $1 ORDER BY 1", {schema_});
    }
    std::vector<int> Applied() { return AppliedMigrations(dsn_, schema_); }
    int Migrate(MigrationDirection direction, const fs::path& dir, int steps = kMigrateDefaultSteps) {
        return MigratePostgres(dsn_, direction, dir, schema_, steps);
    }
};

TEST_F(PgMigrationsTest, UpUpAgainDownUp) {
    const int shipped = static_cast<int>(ListMigrations(SourceMigrationsDir()).size());
    ASSERT_GE(shipped, 1);
    EXPECT_TRUE(Applied().empty()) << "a fresh schema has nothing applied";

    EXPECT_EQ(Migrate(MigrationDirection::kUp, SourceMigrationsDir()), shipped);
    EXPECT_EQ(Tables(),
              (std::vector<std::string>{"messages", "refresh_tokens", "rooms", "schema_migrations", "users"}));
    const auto indexes = Indexes();
    for (const char* index : {"messages_room_seq", "refresh_tokens_family", "messages_id_key", "users_nickname_key",
                              "users_nickname_key_key"})
        EXPECT_EQ(std::count(indexes.begin(), indexes.end(), index), 1) << index;
    EXPECT_EQ(Applied().size(), static_cast<std::size_t>(shipped));
    EXPECT_EQ(Applied().front(), 1);
    EXPECT_EQ(admin_->Scalar("SELECT count(*) FROM " + Quote(schema_) + ".schema_migrations WHERE applied_at IS NULL"),
              "0");

    // Data written in between survives a second up, which does nothing.
    {
        PgPool pool(PoolOptions(1));
        PgRoomStore(pool).Create("kept", FixedTime());
    }
    EXPECT_EQ(Migrate(MigrationDirection::kUp, SourceMigrationsDir()), 0);
    EXPECT_EQ(Applied().size(), static_cast<std::size_t>(shipped));
    EXPECT_EQ(admin_->Scalar("SELECT name FROM " + Quote(schema_) + ".rooms"), "kept");

    // Down undoes the latest step only; all the way down leaves nothing but the bookkeeping table.
    EXPECT_EQ(Migrate(MigrationDirection::kDown, SourceMigrationsDir()), 1);
    EXPECT_EQ(Applied().size(), static_cast<std::size_t>(shipped - 1));
    Migrate(MigrationDirection::kDown, SourceMigrationsDir(), kMigrateAllSteps);
    EXPECT_TRUE(Applied().empty());
    EXPECT_EQ(Tables(), (std::vector<std::string>{"schema_migrations"}));
    EXPECT_EQ(Migrate(MigrationDirection::kDown, SourceMigrationsDir()), 0) << "nothing left to undo";

    // And up again gives a working, empty schema.
    EXPECT_EQ(Migrate(MigrationDirection::kUp, SourceMigrationsDir()), shipped);
    PgPool pool(PoolOptions(2));
    PgUserStore users(pool);
    PgRoomStore rooms(pool);
    EXPECT_TRUE(rooms.List().empty());
    EXPECT_TRUE(users.Create("alice", "alice", "hash", FixedTime()).ok());
}

TEST_F(PgMigrationsTest, MigratesIntoASchemaItCreatesWithAnAwkwardName) {
    const std::string awkward = UniqueName("Test \"Odd\" ");
    struct DropAtEnd {
        AdminConnection& admin;
        const std::string& schema;
        ~DropAtEnd() { admin.Query("DROP SCHEMA IF EXISTS " + Quote(schema) + " CASCADE"); }
    } drop_at_end{*admin_, awkward};
    MigratePostgres(dsn_, MigrationDirection::kUp, SourceMigrationsDir(), awkward);
    {
        PgPoolOptions options = PoolOptions(1);
        options.schema = awkward;
        PgPool pool(options);
        PgRoomStore rooms(pool);
        rooms.Create("quoted", FixedTime());
        EXPECT_EQ(rooms.List().size(), 1u);
    }
    EXPECT_EQ(admin_->Scalar("SELECT name FROM " + Quote(awkward) + ".rooms"), "quoted");
    EXPECT_EQ(admin_->Scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1", {schema_}), "0")
        << "nothing leaks into another schema";
}

TEST_F(PgMigrationsTest, StepsGoInVersionOrder) {
    TempDir dir;
    dir.Write("0001_a.up.sql", "CREATE TABLE a (x INT);");
    dir.Write("0001_a.down.sql", "DROP TABLE a;");
    dir.Write("0002_b.up.sql", "CREATE TABLE b (y INT);\nINSERT INTO b VALUES (1), (2);");
    dir.Write("0002_b.down.sql", "DROP TABLE b;");
    dir.Write("0010_a_more.up.sql", "ALTER TABLE a ADD COLUMN z TEXT;");
    dir.Write("0010_a_more.down.sql", "ALTER TABLE a DROP COLUMN z;");
    dir.Write("README.md", "not a migration");

    EXPECT_EQ(Migrate(MigrationDirection::kUp, dir.path(), 2), 2);
    EXPECT_EQ(Applied(), (std::vector<int>{1, 2}));
    EXPECT_EQ(Tables(), (std::vector<std::string>{"a", "b", "schema_migrations"}));
    EXPECT_EQ(Migrate(MigrationDirection::kUp, dir.path()), 1);
    EXPECT_EQ(Applied(), (std::vector<int>{1, 2, 10}));
    EXPECT_EQ(admin_->Scalar("SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND "
                             "table_name = 'a'",
                             {schema_}),
              "2");

    EXPECT_EQ(Migrate(MigrationDirection::kDown, dir.path()), 1);
    EXPECT_EQ(Applied(), (std::vector<int>{1, 2}));
    EXPECT_EQ(Migrate(MigrationDirection::kDown, dir.path(), 5), 2) << "no more steps than applied";
    EXPECT_TRUE(Applied().empty());
    EXPECT_EQ(Tables(), (std::vector<std::string>{"schema_migrations"}));
    EXPECT_EQ(Migrate(MigrationDirection::kUp, dir.path(), kMigrateAllSteps), 3);
    EXPECT_THROW(Migrate(MigrationDirection::kUp, dir.path(), -1), PgError);
}

TEST_F(PgMigrationsTest, FailedStepChangesNothing) {
    TempDir dir;
    dir.Write("0001_ok.up.sql", "CREATE TABLE ok (x INT);");
    dir.Write("0001_ok.down.sql", "DROP TABLE ok;");
    dir.Write("0002_broken.up.sql", "CREATE TABLE half (x INT);\nSELECT 1 / 0;");
    dir.Write("0002_broken.down.sql", "DROP TABLE half;");
    try {
        Migrate(MigrationDirection::kUp, dir.path());
        FAIL() << "expected PgError";
    } catch (const PgError& e) {
        EXPECT_NE(std::string(e.what()).find("0002_broken"), std::string::npos) << e.what();
        EXPECT_EQ(e.sqlstate(), "22012");  // division_by_zero
    }
    EXPECT_EQ(Applied(), (std::vector<int>{1}));
    EXPECT_EQ(Tables(), (std::vector<std::string>{"ok", "schema_migrations"})) << "the failed step left no table";

    // Fixed, it applies from where it stopped.
    dir.Write("0002_broken.up.sql", "CREATE TABLE half (x INT);");
    EXPECT_EQ(Migrate(MigrationDirection::kUp, dir.path()), 1);
    EXPECT_EQ(Applied(), (std::vector<int>{1, 2}));
}

TEST_F(PgMigrationsTest, DownWithoutItsFileRefuses) {
    TempDir dir;
    dir.Write("0001_only_up.up.sql", "CREATE TABLE t (x INT);");
    EXPECT_EQ(Migrate(MigrationDirection::kUp, dir.path()), 1);
    EXPECT_THROW(Migrate(MigrationDirection::kDown, dir.path()), PgError);
    EXPECT_EQ(Applied(), (std::vector<int>{1}));
}

TEST_F(PgMigrationsTest, ConcurrentRunsApplyEachStepOnce) {
    constexpr int kRunners = 4;
    std::vector<int> applied(kRunners, -1);
    std::vector<std::string> errors(kRunners);
    std::vector<std::thread> runners;
    for (int i = 0; i < kRunners; ++i) {
        runners.emplace_back([&, i] {
            try {
                applied[static_cast<std::size_t>(i)] = Migrate(MigrationDirection::kUp, SourceMigrationsDir());
            } catch (const std::exception& e) {
                errors[static_cast<std::size_t>(i)] = e.what();
            }
        });
    }
    for (auto& t : runners) t.join();
    int total = 0;
    for (int i = 0; i < kRunners; ++i) {
        EXPECT_EQ(errors[static_cast<std::size_t>(i)], "");
        total += applied[static_cast<std::size_t>(i)];
    }
    EXPECT_EQ(total, static_cast<int>(ListMigrations(SourceMigrationsDir()).size()));
}

TEST(PgMigrationFilesTest, ShippedMigrationsHaveUpAndDown) {
    const auto files = ListMigrations(SourceMigrationsDir());
    ASSERT_FALSE(files.empty());
    EXPECT_EQ(files[0].version, 1);
    EXPECT_EQ(files[0].name, "0001_init");
    for (const auto& f : files) {
        EXPECT_TRUE(fs::is_regular_file(f.up)) << f.name;
        EXPECT_TRUE(fs::is_regular_file(f.down)) << f.name;
    }
}

TEST(PgMigrationFilesTest, RejectsWhatItCannotOrder) {
    {
        TempDir dir;
        dir.Write("1_too_short.up.sql", "");
        EXPECT_THROW(ListMigrations(dir.path()), PgError);
    }
    {
        TempDir dir;
        dir.Write("0001_a.up.sql", "");
        dir.Write("0001_b.up.sql", "");
        EXPECT_THROW(ListMigrations(dir.path()), PgError);
    }
    {
        TempDir dir;
        dir.Write("0001_a.up.sql", "");
        dir.Write("0002_b.down.sql", "");
        EXPECT_THROW(ListMigrations(dir.path()), PgError);
    }
    EXPECT_THROW(ListMigrations("/nonexistent/rooms/migrations"), PgError);
    EXPECT_THROW(ListMigrations(""), PgError);
}

TEST(PgMigrationFilesTest, FindsTheShippedDirectory) {
    // From build/ (build/rooms -> migrations/postgres) or, for a build tree elsewhere, from the working directory.
    const fs::path source_root = SourceMigrationsDir().parent_path().parent_path();
    const fs::path saved = fs::current_path();
    fs::current_path(source_root);
    const fs::path found = FindMigrationsDir();
    fs::current_path(saved);
    ASSERT_FALSE(found.empty());
    EXPECT_TRUE(found.is_absolute()) << found;
    EXPECT_TRUE(fs::equivalent(found, SourceMigrationsDir())) << found;
}

}  // namespace
}  // namespace rooms::pgtest
