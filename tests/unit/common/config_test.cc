#include "common/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace rooms {
namespace {

using Map = std::map<std::string, std::string>;

/// A fresh temporary directory per test for YAML files; removed afterwards.
class ConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::temp_directory_path() /
               ("rooms_unit_config_" + std::to_string(::getpid()) + "_" + info->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string WriteYaml(const std::string& text, const std::string& name = "rooms.yaml") {
        const auto path = dir_ / name;
        std::ofstream(path) << text;
        return path.string();
    }

    /// The ConfigError message of a load that must fail.
    static std::string LoadError(const std::string& yaml, const Map& env, const Map& overrides) {
        try {
            LoadConfig(yaml, env, overrides);
        } catch (const ConfigError& e) {
            return e.what();
        }
        ADD_FAILURE() << "LoadConfig accepted the configuration";
        return {};
    }

    std::filesystem::path dir_;
};

const char* const kYaml = R"yaml(
# a comment
listen: "127.0.0.1:9000"
log_level: debug
node_id: 12
chat:
  history_size: 50
  max_message_bytes: 2048
rate_limit:
  rps: 2.5
  burst: 7
storage:
  batch_size: 64
)yaml";

TEST_F(ConfigTest, Defaults) {
    const Config c = LoadConfig("", {}, {});
    EXPECT_EQ(c.role, "all");
    EXPECT_EQ(c.listen, "0.0.0.0:8080");
    EXPECT_EQ(c.data_dir, "./data");
    EXPECT_EQ(c.log_level, "info");
    EXPECT_EQ(c.io_threads, 0);
    EXPECT_EQ(c.worker_threads, 4);
    EXPECT_EQ(c.node_id, 0);
    EXPECT_EQ(c.http.body_limit_bytes, 64 * 1024);
    EXPECT_EQ(c.auth.jwt_secret, "");
    EXPECT_EQ(c.auth.access_token_ttl_s, 900);
    EXPECT_EQ(c.auth.refresh_token_ttl_s, 30 * 24 * 3600);
    EXPECT_DOUBLE_EQ(c.rate_limit.rps, 10);
    EXPECT_DOUBLE_EQ(c.rate_limit.burst, 20);
    EXPECT_EQ(c.chat.history_size, 100);
    EXPECT_EQ(c.chat.max_message_bytes, 4096);
    EXPECT_EQ(c.chat.max_frame_bytes, 64 * 1024);
    EXPECT_EQ(c.storage.batch_size, 500);
}

TEST_F(ConfigTest, UnrelatedEnvironmentIsIgnored) {
    const Config c = LoadConfig("", {{"PATH", "/usr/bin"}, {"HOME", "/root"}, {"ROOMS", "x"}}, {});
    EXPECT_EQ(c.listen, "0.0.0.0:8080");
}

TEST_F(ConfigTest, YamlFileSetsValues) {
    const Config c = LoadConfig(WriteYaml(kYaml), {}, {});
    EXPECT_EQ(c.listen, "127.0.0.1:9000");
    EXPECT_EQ(c.log_level, "debug");
    EXPECT_EQ(c.node_id, 12);
    EXPECT_EQ(c.chat.history_size, 50);
    EXPECT_EQ(c.chat.max_message_bytes, 2048);
    EXPECT_DOUBLE_EQ(c.rate_limit.rps, 2.5);
    EXPECT_DOUBLE_EQ(c.rate_limit.burst, 7);
    EXPECT_EQ(c.storage.batch_size, 64);
    // Untouched settings keep their defaults.
    EXPECT_EQ(c.role, "all");
    EXPECT_EQ(c.chat.max_frame_bytes, 64 * 1024);
}

TEST_F(ConfigTest, EmptyYamlFileIsFine) {
    const Config c = LoadConfig(WriteYaml("# nothing here\n"), {}, {});
    EXPECT_EQ(c.listen, "0.0.0.0:8080");
}

TEST_F(ConfigTest, EnvironmentOverridesYaml) {
    const Map env = {{"ROOMS_CHAT_HISTORY_SIZE", "70"},
                     {"ROOMS_LOG_LEVEL", "warn"},
                     {"ROOMS_AUTH_JWT_SECRET", std::string(40, 'k')}};
    const Config c = LoadConfig(WriteYaml(kYaml), env, {});
    EXPECT_EQ(c.chat.history_size, 70);
    EXPECT_EQ(c.log_level, "warn");
    EXPECT_EQ(c.auth.jwt_secret, std::string(40, 'k'));
    EXPECT_EQ(c.node_id, 12) << "YAML values not in the environment stay";
}

TEST_F(ConfigTest, CommandLineOverridesEnvironment) {
    const Map env = {{"ROOMS_CHAT_HISTORY_SIZE", "70"}, {"ROOMS_NODE_ID", "3"}};
    const Map flags = {{"chat.history_size", "80"}, {"listen", "[::1]:7000"}};
    const Config c = LoadConfig(WriteYaml(kYaml), env, flags);
    EXPECT_EQ(c.chat.history_size, 80);
    EXPECT_EQ(c.listen, "[::1]:7000");
    EXPECT_EQ(c.node_id, 3);
    EXPECT_EQ(c.log_level, "debug");
}

TEST_F(ConfigTest, UnknownKeysAreListed) {
    const std::string yaml = WriteYaml("chat:\n  histroy_size: 5\nlisten: \"127.0.0.1:1\"\n");
    const std::string err = LoadError(yaml, {}, {});
    EXPECT_NE(err.find("chat.histroy_size"), std::string::npos) << err;

    const std::string flag_err = LoadError("", {}, {{"no_such_setting", "1"}});
    EXPECT_NE(flag_err.find("no_such_setting"), std::string::npos) << flag_err;
}

TEST_F(ConfigTest, AllBadValuesAreReportedTogether) {
    const std::string yaml = WriteYaml("node_id: 5000\nlog_level: loud\nchat:\n  history_size: [1, 2]\n");
    const Map env = {{"ROOMS_LISTEN", "no-port-here"}, {"ROOMS_WORKER_THREADS", "many"}};
    const Map flags = {{"rate_limit.rps", "-1"}, {"unknown.flag", "1"}};
    const std::string err = LoadError(yaml, env, flags);
    for (const char* expected : {"node_id", "log_level", "chat.history_size", "ROOMS_LISTEN", "ROOMS_WORKER_THREADS",
                                 "rate_limit.rps", "unknown.flag"})
        EXPECT_NE(err.find(expected), std::string::npos) << "missing " << expected << " in:\n" << err;
    // One problem per line after the heading.
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 7) << err;
}

TEST_F(ConfigTest, ValueChecks) {
    const std::vector<Map> bad = {
        {{"role", "everything"}},
        {{"listen", "8080"}},
        {{"listen", ":8080"}},
        {{"listen", "localhost:99999"}},
        {{"listen", "localhost:http"}},
        {{"node_id", "-1"}},
        {{"node_id", "1024"}},
        {{"node_id", "1.5"}},
        {{"node_id", " 5"}},
        {{"node_id", ""}},
        {{"worker_threads", "0"}},
        {{"auth.jwt_secret", "too short"}},
        {{"auth.access_token_ttl_s", "1"}},
        {{"rate_limit.burst", "0.5"}},
        {{"rate_limit.rps", "abc"}},
        {{"chat.max_message_bytes", "0"}},
        {{"chat.max_message_bytes", "70000"}},  // above the database's limit (and the default frame limit)
        {{"storage.max_pending_messages", "0"}},
        {{"storage.sqlite_synchronous", "off"}},
        {{"kafka.dlq_topic", ""}},
        {{"http.trusted_proxies", "10.0.0.0/33"}},
        {{"http.trusted_proxies", "127.0.0.1, nginx.local"}},
    };
    for (const auto& flags : bad) {
        SCOPED_TRACE(flags.begin()->first + "=" + flags.begin()->second);
        const std::string err = LoadError("", {}, flags);
        EXPECT_NE(err.find(flags.begin()->first), std::string::npos) << err;
    }
    // And some that are fine.
    const Config c = LoadConfig("", {},
                                {{"listen", "localhost:0"},
                                 {"rate_limit.rps", "0"},
                                 {"node_id", "1023"},
                                 {"chat.max_message_bytes", "65536"},
                                 {"chat.max_frame_bytes", "131072"},
                                 {"http.trusted_proxies", "127.0.0.1, 10.0.0.0/8, ::1/128"}});
    EXPECT_EQ(c.listen, "localhost:0");
    EXPECT_EQ(c.http.trusted_proxies, "127.0.0.1, 10.0.0.0/8, ::1/128");
    EXPECT_DOUBLE_EQ(c.rate_limit.rps, 0);
    EXPECT_EQ(c.node_id, 1023);
    EXPECT_EQ(c.chat.max_message_bytes, 65536);
}

TEST_F(ConfigTest, MessagesNeverExceedWhatTheDatabaseHolds) {
    // messages.content is limited to 65536 bytes (migrations/postgres/0002_message_limits): a larger frame limit
    // does not let a gateway accept more.
    const std::string err =
        LoadError("", {}, {{"chat.max_message_bytes", "65537"}, {"chat.max_frame_bytes", "1048576"}});
    EXPECT_NE(err.find("chat.max_message_bytes: 65537 is out of range 1..65536"), std::string::npos) << err;
}

TEST_F(ConfigTest, DeadLetterTopic) {
    EXPECT_EQ(LoadConfig("", {}, {}).kafka.dlq_topic, "messages.dlq");
    EXPECT_EQ(LoadConfig("", {{"ROOMS_KAFKA_DLQ_TOPIC", "chat.dead"}}, {}).kafka.dlq_topic, "chat.dead");
    // Dead letters written to the topic they came from would come back forever.
    const std::string err = LoadError("", {}, {{"kafka.topic", "chat"}, {"kafka.dlq_topic", "chat"}});
    EXPECT_NE(err.find("kafka.dlq_topic must differ from kafka.topic"), std::string::npos) << err;
}

TEST_F(ConfigTest, NotANumberIsRefused) {
    // std::from_chars accepts "nan" and "inf" for doubles; neither is a rate.
    for (const char* text : {"nan", "NaN", "inf", "-nan"}) {
        SCOPED_TRACE(text);
        const std::string err = LoadError("", {}, {{"rate_limit.rps", text}});
        EXPECT_NE(err.find("rate_limit.rps"), std::string::npos) << err;
        const std::string burst_err = LoadError("", {}, {{"rate_limit.burst", text}});
        EXPECT_NE(burst_err.find("rate_limit.burst"), std::string::npos) << burst_err;
    }
}

TEST_F(ConfigTest, BrokenYamlIsAConfigError) {
    const std::string err = LoadError(WriteYaml("chat: [unclosed\n"), {}, {});
    EXPECT_NE(err.find("rooms.yaml"), std::string::npos) << err;
    const std::string missing = LoadError((dir_ / "missing.yaml").string(), {}, {});
    EXPECT_NE(missing.find("missing.yaml"), std::string::npos) << missing;
    const std::string list = LoadError(WriteYaml("- a\n- b\n", "list.yaml"), {}, {});
    EXPECT_NE(list.find("mapping"), std::string::npos) << list;
}

TEST(ConfigSettingsTest, EnvironmentNamesFollowTheKeys) {
    const auto settings = AllSettings();
    EXPECT_GE(settings.size(), 25u);
    for (const auto& s : settings) {
        std::string expected = "ROOMS_";
        for (char c : s.key)
            expected += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        EXPECT_EQ(s.env, expected);
        EXPECT_FALSE(s.help.empty()) << s.key;
        // Secrets are marked so that they are never logged or printed.
        if (s.key == "auth.jwt_secret" || s.key.ends_with("password")) {
            EXPECT_TRUE(s.secret) << s.key;
        }
        if (s.key.ends_with("_file") || s.key.ends_with("_s")) {
            EXPECT_FALSE(s.secret) << s.key;
        }
    }
    const auto jwt =
        std::find_if(settings.begin(), settings.end(), [](const SettingInfo& s) { return s.key == "auth.jwt_secret"; });
    ASSERT_NE(jwt, settings.end());
    EXPECT_TRUE(jwt->secret);
}

}  // namespace
}  // namespace rooms

namespace rooms {
namespace {

/// docs/CONFIGURATION.md holds the tables `rooms settings --markdown` prints: declared once, documented as declared.
TEST(ConfigDocTest, TheConfigurationDocIsCurrent) {
    std::ifstream in(std::string(ROOMS_SOURCE_DIR) + "/docs/CONFIGURATION.md");
    ASSERT_TRUE(in) << "docs/CONFIGURATION.md not found";
    std::stringstream doc;
    doc << in.rdbuf();
    const std::string text = doc.str();
    const std::string begin_marker = "<!-- BEGIN SETTINGS";
    const std::string end_marker = "<!-- END SETTINGS -->";
    const auto begin = text.find(begin_marker);
    const auto end = text.find(end_marker);
    ASSERT_NE(begin, std::string::npos);
    ASSERT_NE(end, std::string::npos);
    const auto tables_start = text.find('\n', begin) + 1;
    EXPECT_EQ(text.substr(tables_start, end - tables_start), SettingsMarkdown())
        << "docs/CONFIGURATION.md is out of date: run scripts/gen-docs.sh";
}

TEST(ConfigDocTest, EverySettingIsInTheTables) {
    const std::string md = SettingsMarkdown();
    for (const auto& s : AllSettings()) EXPECT_NE(md.find("| `" + s.key + "` |"), std::string::npos) << s.key;
}

}  // namespace
}  // namespace rooms
