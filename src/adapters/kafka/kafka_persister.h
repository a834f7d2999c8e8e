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
    std::string group = "rooms-consumer";            // kafka.consumer_group, shared by every consumer instance
    std::string client_id = "rooms-consumer";
    int batch_size = 1000;                           // consumer.batch_size: most records per batch
    std::chrono::milliseconds batch_wait{20};        // consumer.batch_wait_ms: longest wait to fill a batch
    std::chrono::milliseconds retry_backoff_min{50}; // after a failed write; doubles up to the max
    std::chrono::milliseconds retry_backoff_max{5000};
    std::map<std::string, std::string> properties;   // extra librdkafka properties; they win over ours
};

struct PersisterStats {
    std::uint64_t batches = 0;           // batches written and committed
    std::uint64_t messages_written = 0;  // messages in those batches
    std::uint64_t invalid_records = 0;   // records that did not decode, skipped (and committed)
    std::uint64_t write_failures = 0;    // failed store or history writes (each retried)
    std::uint64_t commit_failures = 0;   // failed offset commits (those records may be written again)
};

/// The consumer role: reads the topic in the shared consumer group and persists every message, at least once,
/// in batches: up to `batch_size` records or `batch_wait` after the first, written to the MessageStore
/// (idempotent by message id), then to the history, and only then the batch's offsets are committed
/// (synchronously). A failed write commits nothing: the batch's partitions are sought back to its first offsets
/// and read again after a backoff (50 ms doubling to 5 s), so nothing is lost, and the idempotent store writes
/// nothing twice. Records that do not decode are logged, counted and skipped (committed with their batch).
/// On a rebalance the uncommitted records of revoked partitions are dropped: their new owner reads them again.
///
/// The history writer may see a batch again after a failure (a store or history error, or a failed commit
/// followed by a rebalance), so it should write a batch atomically or tolerate repeats.
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

    /// Creates the consumer, subscribes to the topic in the group and starts the consumer thread. Returns at
    /// once (joining the group happens on the thread); throws on invalid options.
    void Start();
    /// Finishes the batch being collected (one write attempt, then the commit), leaves the group and closes
    /// the consumer. Blocks for that: a store call, a commit and the group leave, typically well under a
    /// second. Idempotent.
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
