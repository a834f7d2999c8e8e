#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string_view>

#include "common/text.h"

namespace rooms {
namespace {

namespace json = boost::json;

bool IsKeyChar(char c) { return (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9'); }

/// The message's first word when it is one (lower-case letters, digits, `_`), ended by a space, `:` or the end.
std::string_view EventOf(std::string_view msg) {
    std::size_t n = 0;
    while (n < msg.size() && IsKeyChar(msg[n])) ++n;
    if (n == 0 || (msg[0] >= '0' && msg[0] <= '9')) return "log";
    if (n < msg.size() && msg[n] != ' ' && msg[n] != ':') return "log";
    return msg.substr(0, n);
}

/// Adds a string field per `key=value` word (value up to the next space), keys that are not fields already.
void AddFields(std::string_view msg, json::object& out) {
    std::size_t i = 0;
    while (i < msg.size()) {
        const std::size_t end = std::min(msg.find(' ', i), msg.size());
        const std::string_view word = msg.substr(i, end - i);
        const std::size_t eq = word.find('=');
        if (eq != std::string_view::npos && eq > 0) {
            const std::string_view key = word.substr(0, eq);
            bool key_ok = !(key[0] >= '0' && key[0] <= '9');
            for (char c : key) key_ok = key_ok && IsKeyChar(c);
            if (key_ok && !out.contains(key)) out[key] = word.substr(eq + 1);
        }
        i = end + 1;
    }
}

std::string Hostname() {
    char buf[256] = {};
    return gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : std::string();
}

/// `text` when it is valid UTF-8, else with every non-ASCII byte replaced by U+FFFD: JSON must be UTF-8.
std::string AsUtf8(std::string_view text) {
    if (IsValidUtf8(text)) return std::string(text);
    std::string out;
    for (const char c : text) {
        if (static_cast<unsigned char>(c) < 0x80) {
            out += c;
        } else {
            out += "\xEF\xBF\xBD";
        }
    }
    return out;
}

class JsonFormatter : public spdlog::formatter {
  public:
    explicit JsonFormatter(LogSource source) : source_(std::move(source)), host_(Hostname()), pid_(getpid()) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const std::string text = AsUtf8(std::string_view(msg.payload.data(), msg.payload.size()));
        json::object o;
        o["time"] = Time(msg.time);
        const auto level = spdlog::level::to_string_view(msg.level);
        o["level"] = std::string_view(level.data(), level.size());
        o["role"] = source_.role;
        o["node_id"] = source_.node_id;
        o["host"] = host_;
        o["pid"] = pid_;
        o["event"] = EventOf(text);
        o["msg"] = text;
        AddFields(text, o);
        const std::string line = json::serialize(o);
        dest.append(line.data(), line.data() + line.size());
        dest.push_back('\n');
    }

    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(source_); }

  private:
    /// RFC 3339 in UTC with microseconds, as the text format's time.
    static std::string Time(spdlog::log_clock::time_point t) {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
        const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
        std::tm tm{};
        gmtime_r(&secs, &tm);
        char buf[40];
        const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
        std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(us % 1'000'000));
        return buf;
    }

    const LogSource source_;
    const std::string host_;
    const long pid_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter(const LogSource& source) {
    return std::make_unique<JsonFormatter>(source);
}

void InitLogging(const std::string& level, const std::string& format, const LogSource& source) {
    auto logger = spdlog::stderr_color_mt("rooms");
    if (format == "json") {
        logger->set_formatter(MakeJsonLogFormatter(source));
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
    }
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

}  // namespace rooms
