#include "common/config.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <sstream>
#include <type_traits>

#include "common/ip_networks.h"

extern char** environ;

namespace rooms {

namespace {

// --- checks: what a setting accepts (the `check` column of common/settings.h) ------------------------------

/// Validates a parsed value; empty when fine, else why not. `describe` says what it accepts, for the docs.
template <typename T>
struct Check {
    std::function<std::string(const T&)> validate = [](const T&) { return std::string{}; };
    std::string describe;
    bool secret = false;
};

struct AnyCheck {
    template <typename T>
    operator Check<T>() const {  // NOLINT(google-explicit-constructor): the settings lists convert it
        return {};
    }
};
AnyCheck Any() { return {}; }

Check<std::string> NonEmpty() {
    return {[](const std::string& v) { return v.empty() ? std::string("must not be empty") : std::string{}; },
            "not empty"};
}

Check<std::string> MinBytes(std::size_t n) {
    return {[n](const std::string& v) {
                return v.size() >= n ? std::string{} : "must be at least " + std::to_string(n) + " bytes";
            },
            "at least " + std::to_string(n) + " bytes"};
}

Check<std::string> OneOf(std::initializer_list<const char*> allowed) {
    std::vector<std::string> list(allowed.begin(), allowed.end());
    std::string describe = "one of:";
    for (const auto& a : list) describe += " " + a;
    return {[list](const std::string& v) {
                for (const auto& a : list)
                    if (a == v) return std::string{};
                std::string msg = "'" + v + "' is not one of:";
                for (const auto& a : list) msg += " " + a;
                return msg;
            },
            describe};
}

template <typename N>
std::string NumberText(N v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

/// Numbers from `min` to `max`; converts to the setting's numeric type.
template <typename A, typename B>
struct RangeCheck {
    A min;
    B max;
    template <typename T>
    operator Check<T>() const {  // NOLINT(google-explicit-constructor): the settings lists convert it
        const T lo = static_cast<T>(min), hi = static_cast<T>(max);
        return {[lo, hi](const T& v) {
                    if (v >= lo && v <= hi) return std::string{};
                    return NumberText(v) + " is out of range " + NumberText(lo) + ".." + NumberText(hi);
                },
                NumberText(lo) + ".." + NumberText(hi)};
    }
};
template <typename A, typename B>
RangeCheck<A, B> Range(A min, B max) {
    return {min, max};
}

Check<std::string> HostPort() {
    return {[](const std::string& text) {
                const auto colon = text.rfind(':');
                int port = 0;
                const char* end = text.data() + text.size();
                if (colon == std::string::npos || colon == 0) return "'" + text + "' is not HOST:PORT";
                auto [p, ec] = std::from_chars(text.data() + colon + 1, end, port);
                if (ec != std::errc{} || p != end || port < 0 || port > 65535) return "'" + text + "' is not HOST:PORT";
                return std::string{};
            },
            "HOST:PORT"};
}

Check<std::string> IpNetworkList() {
    return {[](const std::string& text) {
                std::string error;
                return IpNetworks::Parse(text, &error) ? std::string{} : error;
            },
            "IP addresses or CIDR blocks, comma-separated"};
}

template <typename C>
struct SecretCheck {
    C inner;
    template <typename T>
    operator Check<T>() const {  // NOLINT(google-explicit-constructor): the settings lists convert it
        Check<T> c = inner;
        c.secret = true;
        return c;
    }
};
template <typename C>
SecretCheck<C> Secret(C inner) {
    return {inner};
}

// --- parsing text into a typed value ----------------------------------------------------------------------

std::string Parse(const std::string& text, std::string& out) {
    out = text;
    return {};
}

std::string Parse(const std::string& text, bool& out) {
    if (text == "true" || text == "1" || text == "yes") {
        out = true;
    } else if (text == "false" || text == "0" || text == "no") {
        out = false;
    } else {
        return "'" + text + "' is not true or false";
    }
    return {};
}

template <typename N>
requires std::is_arithmetic_v<N> std::string Parse(const std::string& text, N& out) {
    N v{};
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || p != text.data() + text.size()) return "'" + text + "' is not a number";
    if constexpr (std::is_floating_point_v<N>) {
        if (!std::isfinite(v)) return "'" + text + "' is not a finite number";
    }
    out = v;
    return {};
}

std::string Format(const std::string& v) { return v; }
std::string Format(bool v) { return v ? "true" : "false"; }
template <typename N>
requires std::is_arithmetic_v<N> std::string Format(N v) { return NumberText(v); }

// --- the registry -----------------------------------------------------------------------------------------

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

template <typename T, typename Field>
Setting MakeSetting(std::string section, const std::string& name, Field field, const T& default_value, Check<T> check,
                    std::string help) {
    std::string key = section.empty() ? name : section + "." + name;
    Setting s;
    s.info = {key,         EnvName(key), std::move(section), Format(default_value), check.describe, std::move(help),
              check.secret};
    s.set = [field, validate = std::move(check.validate)](Config& c, const std::string& text) {
        T value{};
        std::string err = Parse(text, value);
        if (err.empty()) err = validate(value);
        if (err.empty()) field(c) = std::move(value);
        return err;
    };
    return s;
}

std::vector<Setting> MakeSettings() {
    std::vector<Setting> s;
#define ROOMS_TOP_SETTING(type, name, default_value, check, help) \
    s.push_back(MakeSetting<type>(                                \
        "", #name, [](Config& c) -> type& { return c.name; }, default_value, check, help));
    ROOMS_TOP_SETTINGS(ROOMS_TOP_SETTING)
#undef ROOMS_TOP_SETTING
#define ROOMS_SECTION_SETTINGS(section, Type, title)                       \
    {                                                                      \
        using Section = Type;                                              \
        static constexpr const char* kSection = #section;                  \
        auto section_of = [](Config& c) -> Section& { return c.section; }; \
        ROOMS_SECTION_LIST_##section(ROOMS_SECTION_SETTING)                \
    }
#define ROOMS_SECTION_SETTING(type, name, default_value, check, help)                                           \
    s.push_back(MakeSetting<type>(                                                                              \
        kSection, #name, [section_of](Config& c) -> type& { return section_of(c).name; }, default_value, check, \
        help));
#define ROOMS_SECTION_LIST_http ROOMS_HTTP_SETTINGS
#define ROOMS_SECTION_LIST_tls ROOMS_TLS_SETTINGS
#define ROOMS_SECTION_LIST_auth ROOMS_AUTH_SETTINGS
#define ROOMS_SECTION_LIST_rate_limit ROOMS_RATE_LIMIT_SETTINGS
#define ROOMS_SECTION_LIST_chat ROOMS_CHAT_SETTINGS
#define ROOMS_SECTION_LIST_storage ROOMS_STORAGE_SETTINGS
#define ROOMS_SECTION_LIST_postgres ROOMS_POSTGRES_SETTINGS
#define ROOMS_SECTION_LIST_redis ROOMS_REDIS_SETTINGS
#define ROOMS_SECTION_LIST_kafka ROOMS_KAFKA_SETTINGS
#define ROOMS_SECTION_LIST_consumer ROOMS_CONSUMER_SETTINGS
#define ROOMS_SECTION_LIST_tracing ROOMS_TRACING_SETTINGS
    ROOMS_SETTING_SECTIONS(ROOMS_SECTION_SETTINGS)
#undef ROOMS_SECTION_SETTINGS
#undef ROOMS_SECTION_SETTING
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
                 std::vector<std::pair<std::string, YAML::Node>>& out) {
    for (const auto& kv : node) {
        const std::string key = prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>();
        if (kv.second.IsMap()) {
            FlattenYaml(kv.second, key, out);
        } else {
            out.emplace_back(key, kv.second);
        }
    }
}

// Rules that tie settings together.
void CheckAcrossSettings(const Config& config, std::vector<std::string>& errors) {
    if (config.chat.max_message_bytes > config.chat.max_frame_bytes)
        errors.push_back("chat.max_message_bytes must not exceed chat.max_frame_bytes");
    // A dead letter would be read again as a message, refused again and dead-lettered again, forever.
    if (config.kafka.dlq_topic == config.kafka.topic) errors.push_back("kafka.dlq_topic must differ from kafka.topic");
    // Half a TLS configuration would silently serve plain HTTP.
    if (config.tls.cert_file.empty() != config.tls.key_file.empty())
        errors.push_back("tls.cert_file and tls.key_file go together: set both (HTTPS) or neither (plain HTTP)");
    if (config.consumer.retry_backoff_min_ms > config.consumer.retry_backoff_max_ms)
        errors.push_back("consumer.retry_backoff_min_ms must not exceed consumer.retry_backoff_max_ms");
}

std::string MarkdownCell(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '|') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

std::vector<SettingInfo> AllSettings() {
    std::vector<SettingInfo> out;
    for (const auto& s : Settings()) out.push_back(s.info);
    return out;
}

std::string SettingsMarkdown() {
    std::vector<std::pair<std::string, std::string>> sections{{"", "The process"}};
#define ROOMS_SECTION_TITLE(section, Type, title) sections.emplace_back(#section, title);
    ROOMS_SETTING_SECTIONS(ROOMS_SECTION_TITLE)
#undef ROOMS_SECTION_TITLE
    std::ostringstream md;
    for (const auto& [section, title] : sections) {
        md << "### " << title << (section.empty() ? "" : " (`" + section + ".*`)") << "\n\n";
        md << "| key | environment | default | accepts | meaning |\n|---|---|---|---|---|\n";
        for (const auto& s : Settings()) {
            const SettingInfo& i = s.info;
            if (i.section != section) continue;
            const std::string def = i.default_value.empty() ? "*(empty)*" : "`" + MarkdownCell(i.default_value) + "`";
            md << "| `" << i.key << "` | `" << i.env << "` | " << def << " | " << MarkdownCell(i.allowed)
               << (i.secret ? (i.allowed.empty() ? "secret" : "; secret") : "") << " | " << MarkdownCell(i.help)
               << " |\n";
        }
        md << "\n";
    }
    return md.str();
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
                    FlattenYaml(root, "", flat);
                    for (auto& [key, node] : flat) {
                        if (!node.IsScalar()) {
                            std::string why = yaml_path;
                            why += ": " + key + ": must be a single value";
                            errors.push_back(std::move(why));
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
    CheckAcrossSettings(config, errors);

    if (!errors.empty()) {
        std::string all = "invalid configuration:";
        for (const auto& e : errors) all += "\n  " + e;
        throw ConfigError(all);
    }
    return config;
}

}  // namespace rooms
