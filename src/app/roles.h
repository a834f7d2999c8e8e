#pragma once

#include <string>

#include "common/config.h"

namespace rooms {

// Each runs a role until SIGINT or SIGTERM, then shuts down gracefully, and returns the exit code.

/// `all`: API + WebSocket gateway + persistence on the embedded store (SQLite, in-process bus).
int RunAllInOne(const Config& config);
/// `websocket`: the API + WebSocket gateway on PostgreSQL, Redis and Kafka.
int RunWebsocketGateway(const Config& config);
/// `consumer`: Kafka -> PostgreSQL + Redis history; serves /healthz and /readyz.
int RunConsumer(const Config& config);

/// `rooms migrate up|down`: PostgreSQL schema migrations (steps: 0 = the default: all up, one down).
int RunMigrate(const Config& config, const std::string& direction, int steps);
/// `rooms topic create`: the Kafka topic with kafka.partitions partitions, and its dead-letter topic (one partition).
int RunCreateTopic(const Config& config);

}  // namespace rooms
