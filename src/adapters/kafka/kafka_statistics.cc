#include "adapters/kafka/kafka_statistics.h"

#include <boost/json.hpp>

namespace rooms::kafka {

namespace json = boost::json;

std::vector<PartitionLag> ConsumerLags(std::string_view statistics_json) {
    std::vector<PartitionLag> lags;
    boost::system::error_code ec;
    const json::value doc = json::parse(statistics_json, ec);
    if (ec || !doc.is_object()) return lags;
    const auto* topics = doc.as_object().if_contains("topics");
    if (!topics || !topics->is_object()) return lags;
    for (const auto& [topic, t] : topics->as_object()) {
        const auto* partitions = t.is_object() ? t.as_object().if_contains("partitions") : nullptr;
        if (!partitions || !partitions->is_object()) continue;
        for (const auto& [id, p] : partitions->as_object()) {
            const auto* partition = p.is_object() ? p.as_object().if_contains("partition") : nullptr;
            const auto* lag = p.is_object() ? p.as_object().if_contains("consumer_lag") : nullptr;
            if (!partition || !partition->is_int64() || partition->as_int64() < 0) continue;
            const std::int64_t value = lag && lag->is_int64() ? lag->as_int64() : -1;
            lags.push_back(
                {std::string(topic), static_cast<std::int32_t>(partition->as_int64()), value < 0 ? 0 : value});
        }
    }
    return lags;
}

void RecordConsumerLags(const GaugeFamily& lag, std::string_view statistics_json) {
    for (const PartitionLag& p : ConsumerLags(statistics_json))
        lag.With({{"topic", p.topic}, {"partition", std::to_string(p.partition)}}).Set(static_cast<double>(p.lag));
}

}  // namespace rooms::kafka
