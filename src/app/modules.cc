#include "app/modules.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "crypto/secrets.h"
#include "metrics/process_metrics.h"

namespace rooms {

const std::vector<Module>& Modules() {
    static const std::vector<Module> modules{
        {"sqlite", InitSqlite, "users, tokens, rooms and messages in one SQLite file"},
        {"memory", InitMemory, "the in-process bus, presence and history cache"},
        {"memory-persister", InitMemoryPersister,
         "group commit: a message goes on to the in-process bus once SQLite holds it"},
        {"memory-fanout", InitMemoryFanout, "the in-process bus feeds the gateway's hub"},
        {"postgres", InitPostgres, "users, tokens, rooms and messages in PostgreSQL"},
        {"redis", InitRedis, "presence and the history cache in Redis"},
        {"kafka-producer", InitKafkaProducer, "accepted messages go to the Kafka topic"},
        {"kafka-fanout", InitKafkaFanout, "every message of the topic feeds the gateway's hub"},
        {"kafka-persister", InitKafkaPersister, "the consumer group writes the topic to PostgreSQL and Redis"},
        {"redis-revocations", InitRedisRevocations, "revoked sessions reach every gateway through Redis pub/sub"},
        {"hub", InitHub, "the fan-out to this process's connections, and its login sessions"},
        {"gateway", InitGateway, "the API, the room WebSockets and the web UI"},
        {"probes", InitProbes, "/healthz and /readyz alone (a role without the gateway)"},
    };
    return modules;
}

const std::vector<Role>& Roles() {
    static const std::vector<Role> roles{
        {"all", {"sqlite", "memory", "hub", "memory-persister", "memory-fanout", "gateway"}},
        {"websocket", {"postgres", "redis", "kafka-producer", "hub", "kafka-fanout", "redis-revocations", "gateway"}},
        {"consumer", {"postgres", "redis", "kafka-persister", "probes"}},
    };
    return roles;
}

int RunRole(const Config& config) {
    const auto& roles = Roles();
    const auto role = std::find_if(roles.begin(), roles.end(), [&](const Role& r) { return r.name == config.role; });
    if (role == roles.end()) throw std::runtime_error("unknown role " + config.role);
    InitCrypto();
    Process process(config);
    AddProcessMetrics(process.metrics);
    for (const std::string& name : role->modules) {
        const auto& modules = Modules();
        const auto m = std::find_if(modules.begin(), modules.end(), [&](const Module& x) { return x.name == name; });
        if (m == modules.end()) throw std::logic_error("role " + role->name + " names an unknown module " + name);
        m->init(process);
    }
    process.Run();
    return 0;
}

}  // namespace rooms
