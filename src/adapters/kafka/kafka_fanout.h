#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/settings.h"
#include "domain/ports.h"
#include "domain/time_source.h"

namespace rooms::kafka {

struct KafkaFanoutOptions {
    KafkaSettings kafka;  // brokers, topic
    std::string client_id = "rooms-gateway-fanout";
    std::chrono::milliseconds retry_interval{1000};  // longest wait between attempts to read the partitions
    std::map<std::string, std::string> properties;   // extra librdkafka properties; they win over ours
};

/// One gateway instance's subscription to the topic: every message published from now on, by any gateway,
/// reaches `sink` (the local room hub). It reads all partitions itself (manual assignment at the end of each
/// partition, no consumer group, no rebalance, nothing committed): each gateway sees everything, and a
/// restarted gateway starts at the head, as its connections are new too.
///
/// Threads: one consumer thread calls `sink.OnMessage` for each message in partition order, so per room in
/// publish order and never concurrently; OnMessage must not block. Invalid records (undecodable, or content
/// over kMaxContentBytes) are logged and skipped. Start, Stop and Ready are thread-safe. Partitions added to
/// the topic after Start are not read.
class KafkaFanout {
  public:
    /// `sink` must outlive Stop.
    KafkaFanout(KafkaFanoutOptions options, MessageSink& sink);
    /// Stop().
    ~KafkaFanout();
    KafkaFanout(const KafkaFanout&) = delete;
    KafkaFanout& operator=(const KafkaFanout&) = delete;

    /// Creates the consumer and starts its thread, which reads the topic's partitions and end offsets (retrying
    /// until the topic exists and the brokers answer), assigns them, then delivers. Returns at once; throws on
    /// invalid options.
    void Start();
    /// Stops delivering and closes the consumer. Blocks until the thread has ended: about 100 ms, up to 5 s
    /// while it is reading the partitions from brokers that do not answer, plus a running OnMessage (so never
    /// call it from OnMessage). Idempotent.
    void Stop();

    /// True once every partition is assigned at a known offset: every message published after Ready() became
    /// true is delivered. Thread-safe, non-blocking.
    bool Ready() const;
    /// Blocks until Ready() or `timeout`; returns Ready().
    bool WaitReady(std::chrono::milliseconds timeout) const;
    /// Why it is not ready (e.g. the topic does not exist), nullopt when ready. Thread-safe.
    std::optional<std::string> Health() const;

    /// Messages handed to the sink, and invalid records skipped, since Start. Thread-safe.
    std::uint64_t Delivered() const;
    std::uint64_t InvalidRecords() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace rooms::kafka
