#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace rooms {

/// Every setting of a `rooms` process. Defaults make `rooms serve` work with no configuration at all.
/// Sources, later ones winning: defaults < YAML file (--config) < ROOMS_* environment < command-line flags.
struct Config {
    std::string role = "all";             // all | websocket | consumer
    std::string listen = "0.0.0.0:8080";  // HOST:PORT
    std::string data_dir = "./data";      // SQLite database and generated JWT key (role all)
    std::string log_level = "info";       // trace | debug | info | warn | error
    int io_threads = 0;                   // 0: one per core
    int worker_threads = 4;               // blocking store calls
    int node_id = 0;                      // 0..1023, part of every message id; unique per instance

    struct Http {
        std::int64_t body_limit_bytes = 64 * 1024;
        std::int64_t header_limit_bytes = 16 * 1024;
        int request_timeout_s = 30;   // to read one request, and keep-alive idle time
        int max_connections = 10000;  // HTTP + WebSocket, per process
        std::string static_dir;       // web UI files; empty: web/dist beside the binary's source tree
        std::string trusted_proxies;  // comma-separated proxy IPs whose X-Forwarded-For / X-Real-IP is believed
        std::string allowed_origins;  // browsers' WebSocket Origins let in: empty = the same host, * = any
    } http;

    struct Auth {
        std::string jwt_secret;       // secret; prefer the environment (ROOMS_AUTH_JWT_SECRET)
        std::string jwt_secret_file;  // empty: <data_dir>/jwt.key, generated on first start
        int access_token_ttl_s = 900;
        int refresh_token_ttl_s = 30 * 24 * 3600;
        int hash_threads = 2;  // Argon2id runs here, off the I/O threads
    } auth;

    struct RateLimit {
        double rps = 10;  // per client IP; 0 turns the limit off
        double burst = 20;
    } rate_limit;

    struct Chat {
        int history_size = 100;  // messages sent on join
        std::int64_t max_message_bytes = 4096;
        std::int64_t max_frame_bytes = 64 * 1024;
        int send_queue_messages = 1024;     // per connection; a client whose queue is full is disconnected
        int ping_interval_s = 30;           // idle connections are pinged; dropped after twice this
        int user_messages_per_s = 10;       // per user and gateway, all its connections together (0: off)...
        int user_messages_burst = 30;       // ...with this many saved up
        int max_connections_per_user = 50;  // room WebSockets per user and gateway (0: no cap)
        int max_connections_per_ip = 1000;  // room WebSockets per client address and gateway (0: no cap)
    } chat;

    // Distributed roles (websocket, consumer).
    struct Postgres {
        std::string dsn = "postgresql://postgres@127.0.0.1:5432/rooms";  // secret when it holds a password
        int pool_size = 4;
    } postgres;

    struct Redis {
        std::string address = "127.0.0.1:6379";
        std::string password;  // secret
        std::string key_prefix = "rooms:";
        int pool_size = 4;
        int presence_ttl_s = 30;  // a killed instance's connections vanish within this
    } redis;

    struct Kafka {
        std::string brokers = "127.0.0.1:9092";
        std::string topic = "messages";
        std::string dlq_topic = "messages.dlq";  // records the consumers can never store, with the reason
        int partitions = 6;
        std::string consumer_group = "rooms-consumer";  // shared by consumer instances
        bool create_topic = true;                       // create the topic at start when missing
        int linger_ms = 0;  // producer batching delay: 0 sends at once (librdkafka still batches under load)
        int recent_window_ms = 30'000;  // a gateway adds what it fanned out this recently to join history
    } kafka;

    struct Consumer {
        int batch_size = 1000;   // messages written to PostgreSQL per statement
        int batch_wait_ms = 20;  // longest wait to fill a batch
    } consumer;

    struct Storage {
        int batch_size = 500;        // messages per SQLite transaction
        int flush_interval_ms = 10;  // longest a message waits for its batch
    } storage;
};

/// One setting as it can be written in YAML (dotted path), in the environment and in docs.
struct SettingInfo {
    std::string key;  // e.g. "chat.history_size"
    std::string env;  // e.g. "ROOMS_CHAT_HISTORY_SIZE"
    std::string help;
    bool secret = false;
};

/// Loads the configuration. `yaml_path` may be empty; `env` is the process environment; `overrides` are
/// command-line values by dotted key. Throws ConfigError listing every problem found (unknown keys, bad
/// values), one per line.
Config LoadConfig(const std::string& yaml_path, const std::map<std::string, std::string>& env,
                  const std::map<std::string, std::string>& overrides);

/// The environment as a map.
std::map<std::string, std::string> ProcessEnvironment();

std::vector<SettingInfo> AllSettings();

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace rooms
