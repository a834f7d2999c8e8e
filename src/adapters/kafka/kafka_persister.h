#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "common/settings.h"
#include "domain/ports.h"
#include "metrics/metrics.h"

namespace rooms::kafka {

/// What the persister measures itself (its counts are in PersisterStats). Default: nothing.
struct KafkaPersisterMetrics {
    Histogram batch_records;  // rooms_consumer_batch_records: records per batch committed
    Histogram batch_seconds;  // rooms_consumer_batch_duration_seconds: write, dead letters and commit of a batch
    GaugeFamily lag;          // rooms_kafka_consumer_lag_messages{topic,partition}, every kafka.statistics_interval_ms
    static KafkaPersisterMetrics From(Metrics& metrics);
};

struct KafkaPersisterOptions {
    KafkaSettings kafka;        // brokers, topic, dlq_topic, consumer_group
    ConsumerSettings consumer;  // batch_size, batch_wait_ms, retry_backoff_*_ms, dlq_timeout_ms
    std::string client_id = "rooms-consumer";
    // Extra librdkafka properties of the consumer and of the dead-letter producer (security settings apply to
    // both); they win over ours.
    std::map<std::string, std::string> properties;
    KafkaPersisterMetrics metrics = {};
};

struct PersisterStats {
    std::uint64_t batches = 0;           // batches written and committed
    std::uint64_t messages_written = 0;  // messages in those batches
    std::uint64_t dead_letters = 0;      // records moved to the dead-letter topic (undecodable or refused)
    std::uint64_t write_failures = 0;    // failed store or history writes (each retried)
    std::uint64_t commit_failures = 0;   // failed offset commits (those records may be written again)
};

/// The consumer role's Kafka side: reads the topic in the shared consumer group and hands every message, at least
/// once, in batches to a MessagePersister (services/batch_persister: the store, then the history cache): up to
/// consumer.batch_size records or consumer.batch_wait_ms after the first, and only once the batch is persisted are
/// its offsets committed (synchronously). A failed write commits nothing: the batch's partitions are sought back to
/// its first offsets and read again after a backoff (consumer.retry_backoff_min_ms doubling to
/// consumer.retry_backoff_max_ms), so nothing is lost, and the idempotent store writes nothing twice. On a
/// rebalance the uncommitted records of revoked partitions are dropped: their new owner reads them again.
///
/// Poison records never block a partition nor vanish: a record that does not decode, or a message the persister
/// reports refused for good (an unknown room, content over the column's limit), is a dead letter. Dead letters are
/// produced to kafka.dlq_topic with the record's key and value and the headers `reason`, `source_topic`,
/// `source_partition` and `source_offset` (decimal strings), and the batch is committed only once the brokers
/// acknowledged every one of them (within consumer.dlq_timeout_ms; else the batch fails and is retried like a
/// failed write). So the dead-letter topic is at least once too: a dead letter may appear twice after a failure,
/// never zero times. Each is logged (topic, partition, offset, reason; never the value, which may be user content)
/// and counted.
///
/// Threads: one consumer thread does everything above; the persister is called on it and may block. Start, Stop,
/// Health and Stats are thread-safe.
class KafkaPersister {
  public:
    /// `persister` stores each batch (and writes the history cache); it must outlive Stop.
    KafkaPersister(KafkaPersisterOptions options, MessagePersister& persister);
    /// Stop().
    ~KafkaPersister();
    KafkaPersister(const KafkaPersister&) = delete;
    KafkaPersister& operator=(const KafkaPersister&) = delete;

    /// Creates the consumer and the dead-letter producer, subscribes to the topic in the group and starts the
    /// consumer thread. Returns at once (joining the group happens on the thread); throws on invalid options.
    void Start();
    /// Finishes the batch being collected (one write attempt, then the commit), leaves the group and closes
    /// the consumer. Blocks for that: a store call, a commit and the group leave, typically well under a
    /// second (up to `dlq_timeout` more when the batch has dead letters and the brokers do not take them).
    /// Idempotent.
    void Stop();

    /// Why it is not healthy: not started, not yet given its partitions by the group, the last write or commit
    /// failed, or the consumer reports an error (e.g. the topic does not exist). nullopt when healthy; a member
    /// that the group gave no partition (more consumers than partitions) is healthy. Thread-safe.
    std::optional<std::string> Health() const;
    PersisterStats Stats() const;
    /// Partitions currently assigned to this member. Thread-safe.
    int AssignedPartitions() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace rooms::kafka
