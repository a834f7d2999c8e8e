// rooms: one binary, several roles. This file parses the command line and hands over to a role.

#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "app/modules.h"
#include "common/config.h"
#include "common/log.h"
#include "tui/chat_main.h"

namespace {

int Main(int argc, char** argv) {
    // A peer that vanished mid-write must be an error code on that socket, not the death of the process.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"Rooms: a real-time rooms messenger"};
    app.require_subcommand(1);

    std::string config_file, listen, data_dir, role, log_level;
    auto* serve = app.add_subcommand("serve", "run the server (role all by default: everything in one process)");
    serve->add_option("--config", config_file, "YAML configuration file")->check(CLI::ExistingFile);
    serve->add_option("--listen", listen, "HOST:PORT to listen on (default 0.0.0.0:8080)");
    serve->add_option("--data-dir", data_dir, "directory for the embedded database and keys (default ./data)");
    serve->add_option("--role", role, "all | websocket | consumer");
    serve->add_option("--log-level", log_level, "trace | debug | info | warn | error");

    std::string migrate_direction;
    int migrate_steps = 0;
    auto* migrate = app.add_subcommand("migrate", "apply PostgreSQL schema migrations");
    migrate->add_option("direction", migrate_direction, "up | down")->required()->check(CLI::IsMember({"up", "down"}));
    migrate->add_option("--steps", migrate_steps, "how many (default: every pending one up, one down)");
    migrate->add_option("--config", config_file, "YAML configuration file")->check(CLI::ExistingFile);

    std::string topic_action;
    auto* topic = app.add_subcommand("topic", "manage the Kafka topics (messages and dead letters)");
    topic->add_option("action", topic_action, "create")->required()->check(CLI::IsMember({"create"}));
    topic->add_option("--config", config_file, "YAML configuration file")->check(CLI::ExistingFile);

    bool markdown = false;
    auto* settings = app.add_subcommand("settings", "list every setting with its environment variable");
    settings->add_flag("--markdown", markdown, "the tables of docs/CONFIGURATION.md");
    auto* version = app.add_subcommand("version", "print the version");
    rooms::tui::ChatOptions chat_options;
    auto* chat = rooms::tui::AddChatCommand(app, chat_options);

    CLI11_PARSE(app, argc, argv);
    if (*chat) return rooms::tui::RunChat(chat_options);

    if (*version) {
        std::cout << "rooms " << ROOMS_VERSION << "\n";
        return 0;
    }
    if (*settings) {
        if (markdown) {
            std::cout << rooms::SettingsMarkdown();
            return 0;
        }
        for (const auto& s : rooms::AllSettings())
            std::cout << s.key << "\t" << s.env << "\t" << (s.secret ? "" : s.default_value) << "\t" << s.help
                      << (s.secret ? " [secret]" : "") << "\n";
        return 0;
    }

    std::map<std::string, std::string> overrides;
    if (!listen.empty()) overrides["listen"] = listen;
    if (!data_dir.empty()) overrides["data_dir"] = data_dir;
    if (!role.empty()) overrides["role"] = role;
    if (!log_level.empty()) overrides["log_level"] = log_level;

    rooms::Config config;
    try {
        config = rooms::LoadConfig(config_file, rooms::ProcessEnvironment(), overrides);
    } catch (const rooms::ConfigError& e) {
        std::cerr << "rooms: " << e.what() << "\n";
        return 2;
    }
    rooms::InitLogging(config.log_level, config.log_format, rooms::LogSource{config.role, config.node_id});
    try {
        if (*migrate) return rooms::RunMigrate(config, migrate_direction, migrate_steps);
        if (*topic) return rooms::RunCreateTopic(config);
        // Every connection is a descriptor: take the whole hard limit (often 4x the soft one), so
        // http.max_connections, not a default of 1024 or so, is what bounds them.
        if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
            files.rlim_cur = files.rlim_max;
            if (setrlimit(RLIMIT_NOFILE, &files) != 0) spdlog::warn("could not raise the open file limit");
        }
        return rooms::RunRole(config);
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return Main(argc, argv);
    } catch (const std::exception& e) {  // what escapes a role's own handling: a bug, reported, not a crash
        std::cerr << "rooms: " << e.what() << "\n";
        return 1;
    }
}
