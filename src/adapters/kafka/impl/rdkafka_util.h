#pragma once

// Private helpers shared by the Kafka adapter's classes: RAII for librdkafka handles, configuration with every
// error reported at once, and librdkafka's log and error callbacks routed to spdlog.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "domain/error.h"
#include "tracing/trace_context.h"

namespace rooms::kafka::impl {

struct HandleDeleter {
    void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct ConfDeleter {
    void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct PartitionListDeleter {
    void operator()(rd_kafka_topic_partition_list_t* list) const { rd_kafka_topic_partition_list_destroy(list); }
};
struct MessageDeleter {
    void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
struct ErrorDeleter {
    void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};

using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;

/// Start-up failures of the adapter (bad properties, a client that cannot be created). The message names what
/// to fix.
struct KafkaSetupError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A configuration holding `properties` (later keys of `overrides` win), with librdkafka's logs sent to spdlog
/// under the logger name `client`. Throws KafkaSetupError listing every rejected property.
ConfPtr MakeConf(const std::map<std::string, std::string>& properties,
                 const std::map<std::string, std::string>& overrides);

/// Creates a client; takes ownership of `conf` (also on failure). Throws KafkaSetupError.
HandlePtr MakeClient(rd_kafka_type_t type, ConfPtr conf);

/// A random lowercase hex string of `bytes` bytes (for client ids and private group ids).
std::string RandomHex(int bytes);

/// The record header a message's trace context travels in (W3C's name, as OpenTelemetry's Kafka instrumentations
/// use): new headers holding `trace`, or null when it is not valid (no header then).
rd_kafka_headers_t* TraceHeaders(const TraceContext& trace);
/// The trace context of a record's `traceparent` header; invalid when it has none or it does not parse.
TraceContext TraceOf(const rd_kafka_message_t& m);

/// The partition count of `topic`: NotFound when the topic does not exist, Unavailable when the metadata did not
/// come within `timeout` or a partition has no leader yet. Blocks up to `timeout`.
Result<int> TopicPartitionCount(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout);

}  // namespace rooms::kafka::impl
