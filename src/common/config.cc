#include "common/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <sstream>
#include <type_traits>

#include "common/message_codec.h"

extern char** environ;

namespace rooms {

namespace {

struct Setting {
    SettingInfo info;
    // Parses the text into the config; returns an error message or empty.
    std::function<std::string(Config&, const std::string&)> set;
};

std::string EnvName(const std::string& key) {
    std::string env = "ROOMS_";
    for (char c : key) env += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return env;
}

template <typename T>
std::string ParseNumber(const std::string& text, T& out, T min, T max) {
    T v{};
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || p != text.data() + text.size()) return "'" + text + "' is not a number";
    if constexpr (std::is_floating_point_v<T>) {
        if (!std::isfinite(v)) return "'" + text + "' is not a finite number";
    }
    if (v < min || v > max) {
        std::ostringstream os;
        os << text << " is out of range " << min << ".." << max;
        return os.str();
    }
    out = v;
    return {};
}

std::vector<Setting> MakeSettings() {
    std::vector<Setting> s;
    auto add_int = [&](std::string key, std::string help, auto getter, std::int64_t min, std::int64_t max) {
        s.push_back({{key, EnvName(key), std::move(help)}, [getter, min, max](Config& c, const std::string& text) {
                         auto& ref = getter(c);
                         std::int64_t v = 0;
                         auto err = ParseNumber<std::int64_t>(text, v, min, max);
                         if (err.empty()) ref = static_cast<std::remove_reference_t<decltype(ref)>>(v);
                         return err;
                     }});
    };
    auto add_double = [&](std::string key, std::string help, auto getter, double min, double max) {
        s.push_back({{key, EnvName(key), std::move(help)}, [getter, min, max](Config& c, const std::string& text) {
                         return ParseNumber<double>(text, getter(c), min, max);
                     }});
    };
    auto add_string = [&](std::string key, std::string help, auto getter, auto validate, bool secret = false) {
        s.push_back(
            {{key, EnvName(key), std::move(help), secret}, [getter, validate](Config& c, const std::string& text) {
                 std::string err = validate(text);
                 if (err.empty()) getter(c) = text;
                 return err;
             }});
    };
    auto add_bool = [&](std::string key, std::string help, auto getter) {
        s.push_back({{key, EnvName(key), std::move(help)}, [getter](Config& c, const std::string& text) {
                         if (text == "true" || text == "1" || text == "yes") {
                             getter(c) = true;
                         } else if (text == "false" || text == "0" || text == "no") {
                             getter(c) = false;
                         } else {
                             return "'" + text + "' is not true or false";
                         }
                         return std::string{};
                     }});
    };
    auto any = [](const std::string&) { return std::string{}; };
    auto non_empty = [](const std::string& text) { return text.empty() ? std::string("must not be empty") : ""; };
    auto one_of = [](std::vector<std::string> allowed) {
        return [allowed](const std::string& text) {
            for (const auto& a : allowed)
                if (a == text) return std::string{};
            std::string msg = "'" + text + "' is not one of:";
            for (const auto& a : allowed) msg += " " + a;
            return msg;
        };
    };
    auto host_port = [](const std::string& text) {
        auto colon = text.rfind(':');
        int port = 0;
        if (colon == std::string::npos || colon == 0 ||
            !ParseNumber<int>(text.substr(colon + 1), port, 0, 65535).empty())
            return "'" + text + "' is not HOST:PORT";
        return std::string{};
    };

    add_string(
        "role", "what this process runs: all | websocket | consumer", [](Config & c) -> auto& { return c.role; },
        one_of({"all", "websocket", "consumer"}));
    add_string(
        "listen", "HOST:PORT for HTTP and WebSocket", [](Config & c) -> auto& { return c.listen; }, host_port);
    add_string(
        "data_dir", "directory of the SQLite database and the generated JWT key",
        [](Config & c) -> auto& { return c.data_dir; }, any);
    add_string(
        "log_level", "trace | debug | info | warn | error", [](Config & c) -> auto& { return c.log_level; },
        one_of({"trace", "debug", "info", "warn", "error"}));
    add_int(
        "io_threads", "network threads; 0 = one per core", [](Config & c) -> auto& { return c.io_threads; }, 0, 256);
    add_int(
        "worker_threads", "threads for blocking store calls", [](Config & c) -> auto& { return c.worker_threads; }, 1,
        256);
    add_int(
        "node_id", "0..1023, unique per instance, part of every message id",
        [](Config & c) -> auto& { return c.node_id; }, 0, 1023);

    add_int(
        "http.body_limit_bytes", "largest request body (413 above)",
        [](Config & c) -> auto& { return c.http.body_limit_bytes; }, 1024, 64 << 20);
    add_int(
        "http.header_limit_bytes", "largest request header block (431 above)",
        [](Config & c) -> auto& { return c.http.header_limit_bytes; }, 1024, 1 << 20);
    add_int(
        "http.request_timeout_s", "time to read a request; keep-alive idle time",
        [](Config & c) -> auto& { return c.http.request_timeout_s; }, 1, 3600);
    add_int(
        "http.max_connections", "open connections per process (HTTP and WebSocket)",
        [](Config & c) -> auto& { return c.http.max_connections; }, 1, 10'000'000);
    add_string(
        "http.static_dir", "web UI files served at /", [](Config & c) -> auto& { return c.http.static_dir; }, any);

    add_string(
        "auth.jwt_secret", "HS256 key for access tokens (secret; at least 32 bytes)",
        [](Config & c) -> auto& { return c.auth.jwt_secret; },
        [](const std::string& t) { return t.size() >= 32 ? std::string{} : std::string("must be at least 32 bytes"); },
        true);
    add_string(
        "auth.jwt_secret_file", "file holding the HS256 key; default <data_dir>/jwt.key (generated)",
        [](Config & c) -> auto& { return c.auth.jwt_secret_file; }, any);
    add_int(
        "auth.access_token_ttl_s", "access token lifetime",
        [](Config & c) -> auto& { return c.auth.access_token_ttl_s; }, 10, 24 * 3600);
    add_int(
        "auth.refresh_token_ttl_s", "refresh token lifetime",
        [](Config & c) -> auto& { return c.auth.refresh_token_ttl_s; }, 60, 365 * 24 * 3600);
    add_int(
        "auth.hash_threads", "threads for Argon2id password hashing",
        [](Config & c) -> auto& { return c.auth.hash_threads; }, 1, 64);

    add_double(
        "rate_limit.rps", "API requests per second per client IP; 0 = no limit",
        [](Config & c) -> auto& { return c.rate_limit.rps; }, 0.0, 1e9);
    add_double(
        "rate_limit.burst", "API request burst per client IP", [](Config & c) -> auto& { return c.rate_limit.burst; },
        1.0, 1e9);

    add_int(
        "chat.history_size", "messages sent to a client when it joins",
        [](Config & c) -> auto& { return c.chat.history_size; }, 0, 10000);
    // At most the database's limit: a gateway never accepts a message the consumers could not store.
    add_int(
        "chat.max_message_bytes", "largest message content in bytes (at most 65536, the database's limit)",
        [](Config & c) -> auto& { return c.chat.max_message_bytes; }, 1, kMaxContentBytes);
    add_int(
        "chat.max_frame_bytes", "largest WebSocket frame; above it the connection closes with 1009",
        [](Config & c) -> auto& { return c.chat.max_frame_bytes; }, 1024, 16 << 20);
    add_int(
        "chat.send_queue_messages", "messages queued per connection before a slow client is dropped",
        [](Config & c) -> auto& { return c.chat.send_queue_messages; }, 1, 1'000'000);
    add_int(
        "chat.user_messages_per_s",
        "messages a user may send per second, all its connections together; more get an error frame (0: off)",
        [](Config & c) -> auto& { return c.chat.user_messages_per_s; }, 0, 1'000'000);
    add_int(
        "chat.user_messages_burst", "messages a user may send at once above that rate",
        [](Config & c) -> auto& { return c.chat.user_messages_burst; }, 1, 1'000'000);
    add_int(
        "chat.max_connections_per_user", "room WebSockets per user; more are closed with 1008 (0: no cap)",
        [](Config & c) -> auto& { return c.chat.max_connections_per_user; }, 0, 10'000'000);
    add_int(
        "chat.max_connections_per_ip", "room WebSockets per client address; more are closed with 1008 (0: no cap)",
        [](Config & c) -> auto& { return c.chat.max_connections_per_ip; }, 0, 10'000'000);
    add_int(
        "chat.ping_interval_s", "ping idle WebSocket connections this often; drop after twice this",
        [](Config & c) -> auto& { return c.chat.ping_interval_s; }, 1, 3600);

    add_string(
        "http.trusted_proxies", "comma-separated proxy IPs whose X-Forwarded-For/X-Real-IP is trusted",
        [](Config & c) -> auto& { return c.http.trusted_proxies; }, any);
    add_string(
        "http.allowed_origins",
        "comma-separated Origins (https://host[:port] or host[:port]) a browser may open room WebSockets "
        "from; empty: the server's own host only; *: any",
        [](Config & c) -> auto& { return c.http.allowed_origins; }, any);

    add_string(
        "postgres.dsn", "libpq connection URI (secret when it holds a password)",
        [](Config & c) -> auto& { return c.postgres.dsn; }, any, true);
    add_int(
        "postgres.pool_size", "PostgreSQL connections per process",
        [](Config & c) -> auto& { return c.postgres.pool_size; }, 1, 256);
    add_string(
        "redis.address", "HOST:PORT of Redis", [](Config & c) -> auto& { return c.redis.address; }, host_port);
    add_string(
        "redis.password", "Redis password (secret)", [](Config & c) -> auto& { return c.redis.password; }, any, true);
    add_string(
        "redis.key_prefix", "prefix of every Redis key", [](Config & c) -> auto& { return c.redis.key_prefix; }, any);
    add_int(
        "redis.pool_size", "Redis connections per process", [](Config & c) -> auto& { return c.redis.pool_size; }, 1,
        256);
    add_int(
        "redis.presence_ttl_s", "presence entries of a dead instance vanish within this",
        [](Config & c) -> auto& { return c.redis.presence_ttl_s; }, 2, 3600);
    add_string(
        "kafka.brokers", "comma-separated HOST:PORT bootstrap brokers",
        [](Config & c) -> auto& { return c.kafka.brokers; }, any);
    add_string(
        "kafka.topic", "topic of chat messages", [](Config & c) -> auto& { return c.kafka.topic; }, any);
    add_int(
        "kafka.partitions", "partitions when the topic is created",
        [](Config & c) -> auto& { return c.kafka.partitions; }, 1, 1000);
    add_string(
        "kafka.dlq_topic",
        "dead-letter topic: where consumers put records they can never store, with the reason in headers",
        [](Config & c) -> auto& { return c.kafka.dlq_topic; }, non_empty);
    add_string(
        "kafka.consumer_group", "consumer group shared by consumer instances",
        [](Config & c) -> auto& { return c.kafka.consumer_group; }, any);
    add_bool(
        "kafka.create_topic", "create the topic and the dead-letter topic at start when missing",
        [](Config & c) -> auto& { return c.kafka.create_topic; });
    add_int(
        "kafka.linger_ms", "producer batching delay in ms", [](Config & c) -> auto& { return c.kafka.linger_ms; }, 0,
        1000);
    add_int(
        "kafka.recent_window_ms",
        "a gateway adds the messages it fanned out this recently to join history until consumers stored them "
        "(0: off)",
        [](Config & c) -> auto& { return c.kafka.recent_window_ms; }, 0, 600'000);
    add_int(
        "consumer.batch_size", "messages written to PostgreSQL per statement",
        [](Config & c) -> auto& { return c.consumer.batch_size; }, 1, 100000);
    add_int(
        "consumer.batch_wait_ms", "longest wait to fill a batch",
        [](Config & c) -> auto& { return c.consumer.batch_wait_ms; }, 0, 10000);

    add_int(
        "storage.batch_size", "messages per SQLite write transaction",
        [](Config & c) -> auto& { return c.storage.batch_size; }, 1, 100000);
    add_int(
        "storage.flush_interval_ms", "longest a message waits for its batch to be written",
        [](Config & c) -> auto& { return c.storage.flush_interval_ms; }, 1, 10000);
    return s;
}

const std::vector<Setting>& Settings() {
    static const std::vector<Setting> settings = MakeSettings();
    return settings;
}

const Setting* FindSetting(const std::string& key) {
    for (const auto& s : Settings())
        if (s.info.key == key) return &s;
    return nullptr;
}

void FlattenYaml(const YAML::Node& node, const std::string& prefix,
                 std::vector<std::pair<std::string, YAML::Node>>& out, std::vector<std::string>& errors) {
    for (const auto& kv : node) {
        const std::string key = prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>();
        if (kv.second.IsMap()) {
            FlattenYaml(kv.second, key, out, errors);
        } else {
            out.emplace_back(key, kv.second);
        }
    }
}

}  // namespace

std::vector<SettingInfo> AllSettings() {
    std::vector<SettingInfo> out;
    for (const auto& s : Settings()) out.push_back(s.info);
    return out;
}

std::map<std::string, std::string> ProcessEnvironment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string_view::npos) env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
    return env;
}

Config LoadConfig(const std::string& yaml_path, const std::map<std::string, std::string>& env,
                  const std::map<std::string, std::string>& overrides) {
    Config config;
    std::vector<std::string> errors;
    auto apply = [&](const std::string& source, const std::string& key, const std::string& text) {
        const Setting* s = FindSetting(key);
        if (!s) {
            errors.push_back(source + ": unknown setting '" + key + "'");
            return;
        }
        std::string err = s->set(config, text);
        if (!err.empty()) errors.push_back(source + ": " + key + ": " + err);
    };

    if (!yaml_path.empty()) {
        try {
            YAML::Node root = YAML::LoadFile(yaml_path);
            if (root && !root.IsNull()) {
                if (!root.IsMap()) {
                    errors.push_back(yaml_path + ": the top level must be a mapping");
                } else {
                    std::vector<std::pair<std::string, YAML::Node>> flat;
                    FlattenYaml(root, "", flat, errors);
                    for (auto& [key, node] : flat) {
                        if (!node.IsScalar()) {
                            errors.push_back(yaml_path + ": " + key + ": must be a single value");
                            continue;
                        }
                        apply(yaml_path, key, node.Scalar());
                    }
                }
            }
        } catch (const YAML::Exception& e) {
            errors.push_back(yaml_path + ": " + e.what());
        }
    }
    for (const auto& s : Settings()) {
        auto it = env.find(s.info.env);
        if (it != env.end()) apply("environment " + s.info.env, s.info.key, it->second);
    }
    for (const auto& [key, value] : overrides) apply("command line", key, value);

    if (config.rate_limit.burst < 1) errors.push_back("rate_limit.burst: must be at least 1");
    if (config.chat.max_message_bytes > config.chat.max_frame_bytes)
        errors.push_back("chat.max_message_bytes must not exceed chat.max_frame_bytes");
    // A dead letter would be read again as a message, refused again and dead-lettered again, forever.
    if (config.kafka.dlq_topic == config.kafka.topic) errors.push_back("kafka.dlq_topic must differ from kafka.topic");

    if (!errors.empty()) {
        std::string all = "invalid configuration:";
        for (const auto& e : errors) all += "\n  " + e;
        throw ConfigError(all);
    }
    return config;
}

}  // namespace rooms
