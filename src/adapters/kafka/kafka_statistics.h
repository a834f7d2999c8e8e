#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/metrics.h"

namespace rooms::kafka {

/// One partition's consumer lag, as librdkafka's statistics report it (STATISTICS.md: topics.*.partitions.*).
struct PartitionLag {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t lag = 0;  // messages between the committed offset and the high watermark; 0 when unknown (-1
                           // in the statistics: a partition not assigned to this member, or not fetched yet)
};

/// The lag of every real partition (not librdkafka's internal "-1" one) in a statistics JSON document. Empty when
/// the document is malformed. Pure, for tests.
std::vector<PartitionLag> ConsumerLags(std::string_view statistics_json);

/// Sets rooms_kafka_consumer_lag_messages{topic,partition} from a statistics document. A partition that moved to
/// another member reads 0 here, so summing the series over the group's members gives the group's lag.
void RecordConsumerLags(const GaugeFamily& lag, std::string_view statistics_json);

}  // namespace rooms::kafka
