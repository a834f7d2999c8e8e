#pragma once

#include <string>
#include <vector>

#include "app/process.h"

namespace rooms {

/// A part of a `rooms` process (the model: Grafana Loki's modules). `init` builds it into the process: it takes
/// the ports earlier modules provided (Process::Require) and provides its own; what it builds lives until the
/// process ends and is taken down in reverse order.
struct Module {
    std::string name;
    void (*init)(Process& process);
    std::string does;  // for `rooms settings` and the docs
};

/// Every module, by name.
const std::vector<Module>& Modules();

/// What each role runs: its modules, in the order they are built. `all` is the composite of the gateway and the
/// persister on the embedded store, where `websocket` and `consumer` split them over PostgreSQL, Redis and Kafka.
struct Role {
    std::string name;
    std::vector<std::string> modules;
};
const std::vector<Role>& Roles();

/// Builds the role's modules, serves until SIGINT or SIGTERM, shuts down gracefully. Returns the exit code.
int RunRole(const Config& config);

// The modules (modules.cc lists them).
void InitSqlite(Process& p);
void InitMemory(Process& p);
void InitMemoryPersister(Process& p);
void InitMemoryFanout(Process& p);
void InitPostgres(Process& p);
void InitRedis(Process& p);
void InitKafkaProducer(Process& p);
void InitKafkaFanout(Process& p);
void InitKafkaPersister(Process& p);
void InitRedisRevocations(Process& p);
void InitHub(Process& p);
void InitGateway(Process& p);
void InitProbes(Process& p);

/// `rooms migrate up|down`: PostgreSQL schema migrations (steps: 0 = the default: all up, one down).
int RunMigrate(const Config& config, const std::string& direction, int steps);
/// `rooms topic create`: the Kafka topic with kafka.partitions partitions, and its dead-letter topic.
int RunCreateTopic(const Config& config);

}  // namespace rooms
