#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/settings.h"
#include "domain/ports.h"
#include "metrics/metrics.h"

namespace rooms::kafka {

/// What the producer measures. Default: nothing.
struct KafkaBusMetrics {
    Histogram produce_seconds;      // rooms_kafka_produce_duration_seconds: produce to the brokers' acknowledgement
    CounterFamily delivery_errors;  // rooms_kafka_delivery_errors_total{error}: librdkafka's error name
    static KafkaBusMetrics From(Metrics& metrics);
};

struct KafkaBusOptions {
    KafkaSettings kafka;  // brokers, topic, linger_ms, message_timeout_ms, queue_max_messages
    std::string client_id = "rooms-gateway";
    std::map<std::string, std::string> properties;  // extra librdkafka properties; they win over ours
    KafkaBusMetrics metrics = {};
};

/// The gateway's MessageBus: produces each message to the Kafka topic, keyed by room id, with an idempotent
/// producer (enable.idempotence=true, acks=all), so a message is accepted exactly when the brokers have it.
///
/// Threads: Publish is thread-safe and never blocks on the network. Delivery handlers run on the bus's own
/// delivery thread, or inline in Publish when the message is refused at once (closed bus, full local queue);
/// they must not block. Every handler is called exactly once, also on shutdown (with an error).
class KafkaBus : public MessageBus {
  public:
    /// Creates the producer and its delivery thread. Does not wait for the brokers. Throws on invalid options.
    explicit KafkaBus(KafkaBusOptions options);
    /// Close(5 s).
    ~KafkaBus() override;
    KafkaBus(const KafkaBus&) = delete;
    KafkaBus& operator=(const KafkaBus&) = delete;

    /// Calls `done(nullopt)` once the brokers acknowledged the message, else
    /// `done(Unavailable("message could not be delivered: …"))`.
    void Publish(Message message, DeliveryHandler done) override;

    /// Waits until every message published so far has its delivery report served. Blocks up to `timeout`;
    /// true when nothing is left in flight.
    bool Flush(std::chrono::milliseconds timeout);

    /// Refuses every later Publish, flushes for up to `timeout`, then fails what is still in flight, stops the
    /// delivery thread and destroys the producer. Idempotent; blocks up to `timeout` plus a short purge. Never
    /// call it (or the destructor) from a delivery handler: it waits for the delivery thread.
    void Close(std::chrono::milliseconds timeout);

    /// Why the producer is not healthy (a fatal producer error, or the last delivery failure while no message
    /// got through since), nullopt when it is. Thread-safe.
    std::optional<std::string> Health() const;

    /// Messages handed to librdkafka whose delivery report has not been served yet. Thread-safe.
    std::int64_t InFlight() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace rooms::kafka
