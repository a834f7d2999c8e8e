#pragma once

#include <string>

#include "metrics/metrics.h"

namespace rooms {

/// What a connection pool (PostgreSQL, Redis) reports, labelled pool="<name>". Default: nothing.
struct PoolMetrics {
    Gauge in_use;            // rooms_pool_connections_in_use: connections lent out now
    Histogram wait_seconds;  // rooms_pool_wait_duration_seconds: time to get a connection
    Counter errors;          // rooms_pool_errors_total: failed calls (what counts is in docs/OBSERVABILITY.md)

    static PoolMetrics From(Metrics& metrics, const std::string& pool) {
        const Labels labels{{"pool", pool}};
        return PoolMetrics{
            metrics.AddGauge("rooms_pool_connections_in_use", "Connections of the pool lent out now.", labels),
            metrics.AddHistogram("rooms_pool_wait_duration_seconds", "Time a caller waited for a free connection.",
                                 LatencyBuckets(), labels),
            metrics.AddCounter("rooms_pool_errors_total",
                               "Failed pool calls (Redis: a command or connection failure; PostgreSQL: no free "
                               "connection in time or a failed reconnect).",
                               labels),
        };
    }
};

}  // namespace rooms
