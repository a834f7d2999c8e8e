#pragma once
// What the cluster and fault tests share: their configuration from the environment, the script that kills and
// starts processes, and direct reads of PostgreSQL and Redis to count what was stored.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <array>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "test_util.h"

namespace rooms_cluster {

using namespace rooms_e2e;

std::string Env(const char* name);

// The port of "http://127.0.0.1:PORT[/]" (the e2e clients talk to loopback only); 0 when unparsable.
unsigned short PortOf(const std::string& url);

struct Config {
    unsigned short nginx = 0;
    std::vector<unsigned short> gateways;
    std::string dsn;            // ROOMS_CLUSTER_POSTGRES_DSN
    std::string redis;          // ROOMS_CLUSTER_REDIS_ADDRESS, HOST:PORT
    std::string script;         // ROOMS_CLUSTER_SCRIPT
    unsigned short jaeger = 0;  // ROOMS_CLUSTER_JAEGER_URL: Jaeger's query API
};

struct Needs {
    bool pg = false, redis = false, script = false, jaeger = false;
};

// Fills `c` with what `needs` asks for; returns the problems (empty: all there).
std::string LoadConfig(Config& c, Needs needs);

#define LOAD_CONFIG(cfg, ...)                                                           \
    Config cfg;                                                                         \
    {                                                                                   \
        const std::string problems_ = LoadConfig(cfg, Needs{__VA_ARGS__});              \
        ASSERT_TRUE(problems_.empty()) << "cluster test configuration:\n" << problems_; \
    }

// Runs `script verb name`; returns the exit status (0: ok).
int RunScript(const std::string& script, const std::string& verb, const std::string& name);

// Starts a stopped or killed process again when it goes out of scope (even when the test failed).
class RestoreGuard {
  public:
    RestoreGuard(std::string script, std::string name) : script_(std::move(script)), name_(std::move(name)) {}
    ~RestoreGuard() { Restore(); }
    RestoreGuard(const RestoreGuard&) = delete;
    RestoreGuard& operator=(const RestoreGuard&) = delete;
    void Arm() { armed_ = true; }
    int Restore();

  private:
    std::mutex mu_;
    std::string script_, name_;
    bool armed_ = false;
};

// A run-unique prefix for nicknames, room names and contents (the cluster's database persists across runs).
std::string RunTag();

bool IsMessageFrom(const json::object& o, const std::string& user_id);

// The nicknames /clients lists, or nullopt (and why) when the answer is not 200 + an array.
std::optional<std::set<std::string>> ClientNicknames(const Api& api, const User& asker, const std::string& room,
                                                     std::string* why);

double Percentile(std::vector<double> v, double p);

class Pg {
  public:
    explicit Pg(const std::string& dsn);
    ~Pg();
    Pg(const Pg&) = delete;
    Pg& operator=(const Pg&) = delete;
    bool ok() const;
    std::string error() const;
    // Rows of (room_id, id, content) of the given rooms whose content starts with `prefix`, by room then seq.
    bool Tagged(const std::vector<std::string>& rooms, const std::string& prefix,
                std::vector<std::array<std::string, 3>>& out, std::string& err);
    // The ids of the room's newest `limit` chat messages (no joins or leaves), newest first.
    bool NewestChatIds(const std::string& room, int limit, std::vector<std::string>& out, std::string& err);

  private:
    // Runs a two-parameter query, calling `row` for each row; false and why on failure.
    bool Rows(const char* sql, const char* const (&params)[2], std::string& err,
              const std::function<void(PGresult*, int)>& row);

    PGconn* conn_;
};

// The message ids of a room's Redis history list of chat messages (newest first), or nullopt and why.
std::optional<std::vector<std::string>> RedisHistoryIds(const std::string& address, const std::string& room,
                                                        std::string& err);

}  // namespace rooms_cluster
