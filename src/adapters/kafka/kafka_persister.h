#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "domain/ports.h"

namespace rooms::kafka {

struct KafkaPersisterOptions {
    std::string brokers;
    std::string topic = "messages";
    std::string dlq_topic = "messages.dlq";  // kafka.dlq_topic: dead letters (records never storable)
    std::string group = "rooms-consumer";    // kafka.consumer_group, shared by every consumer instance
    std::string client_id = "rooms-consumer";
    int batch_size = 1000;                            // consumer.batch_size: most records per batch
    std::chrono::milliseconds batch_wait{20};         // consumer.batch_wait_ms: longest wait to fill a batch
    std::chrono::milliseconds retry_backoff_min{50};  // after a failed write; doubles up to the max
    std::chrono::milliseconds retry_backoff_max{5000};
    std::chrono::milliseconds dlq_timeout{10000};  // longest wait for the brokers to take a batch's dead letters
    // Extra librdkafka properties of the consumer and of the dead-letter producer (security settings apply to
    // both); they win over ours.
    std::map<std::string, std::string> properties;
};

struct PersisterStats {
    std::uint64_t batches = 0;           // batches written and committed
    std::uint64_t messages_written = 0;  // messages in those batches
    std::uint64_t dead_letters = 0;      // records moved to the dead-letter topic (undecodable or refused)
    std::uint64_t write_failures = 0;    // failed store or history writes (each retried)
    std::uint64_t commit_failures = 0;   // failed offset commits (those records may be written again)
};

/// The consumer role: reads the topic in the shared consumer group and persists every message, at least once,
/// in batches: up to `batch_size` records or `batch_wait` after the first, written to the MessageStore
/// (idempotent by message id), then to the history, and only then the batch's offsets are committed
/// (synchronously). A failed write commits nothing: the batch's partitions are sought back to its first offsets
/// and read again after a backoff (50 ms doubling to 5 s), so nothing is lost, and the idempotent store writes
/// nothing twice. On a rebalance the uncommitted records of revoked partitions are dropped: their new owner reads
/// them again.
///
/// Poison records never block a partition nor vanish: a record that does not decode, or a message the store
/// refuses for good (RejectedWrite: an unknown room, content over the column's limit), is a dead letter. When the
/// store refuses a batch, its messages are written one at a time to find which; the others are stored and go to
/// the history as usual. Dead letters are produced to `dlq_topic` with the record's key and value and the
/// headers `reason`, `source_topic`, `source_partition` and `source_offset` (decimal strings), and the batch is
/// committed only once the brokers acknowledged every one of them (within `dlq_timeout`; else the batch fails
/// and is retried like a failed write). So the dead-letter topic is at least once too: a dead letter may appear
/// twice after a failure, never zero times. Each is logged (topic, partition, offset, reason; never the value,
/// which may be user content) and counted.
///
/// The history writer may see a batch again after a failure (a store, history or dead-letter error, or a failed
/// commit followed by a rebalance), so it should write a batch atomically or tolerate repeats.
///
/// Threads: one consumer thread does everything above; the store and history are called on it and may block.
/// Start, Stop, Health and Stats are thread-safe.
class KafkaPersister {
  public:
    /// Writes a batch to the history cache. Called on the consumer thread; throws to fail the batch.
    using BatchWriter = std::function<void(std::span<const Message>)>;

    /// History written with `history.Append` for each message, in order. Both must outlive Stop.
    KafkaPersister(KafkaPersisterOptions options, MessageStore& store, HistoryCache& history);
    /// History written by `history` (e.g. one pipelined Redis call per batch). `store` must outlive Stop.
    KafkaPersister(KafkaPersisterOptions options, MessageStore& store, BatchWriter history);
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
