#include "adapters/kafka/impl/rdkafka_util.h"

#include <spdlog/spdlog.h>

#include <random>

namespace rooms::kafka::impl {

namespace {

// librdkafka calls this from its internal threads; spdlog's default logger is thread-safe.
void LogCallback(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
    const char* name = rd_kafka_name(rk);
    // syslog levels: 0 emerg .. 3 err, 4 warning, 5 notice, 6 info, 7 debug.
    spdlog::level::level_enum spd = level <= 3   ? spdlog::level::err
                                    : level == 4 ? spdlog::level::warn
                                    : level <= 6 ? spdlog::level::info
                                                 : spdlog::level::debug;
    spdlog::log(spd, "kafka {} [{}]: {}", name, facility, text);
}

}  // namespace

ConfPtr MakeConf(const std::map<std::string, std::string>& properties,
                 const std::map<std::string, std::string>& overrides) {
    ConfPtr conf(rd_kafka_conf_new());
    std::string errors;
    auto set = [&](const std::string& key, const std::string& value) {
        char errstr[512];
        if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            errors += "\n  " + key + ": " + errstr;
        }
    };
    for (const auto& [key, value] : properties) set(key, value);
    for (const auto& [key, value] : overrides) set(key, value);
    if (!errors.empty()) throw KafkaSetupError("invalid Kafka client properties:" + errors);
    rd_kafka_conf_set_log_cb(conf.get(), LogCallback);
    return conf;
}

HandlePtr MakeClient(rd_kafka_type_t type, ConfPtr conf) {
    char errstr[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
    if (!rk) throw KafkaSetupError(std::string("cannot create a Kafka client: ") + errstr);
    (void)conf.release();  // rd_kafka_new owns it now
    return HandlePtr(rk);
}

std::string RandomHex(int bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::random_device device;
    std::string out;
    out.reserve(static_cast<std::size_t>(bytes) * 2);
    for (int i = 0; i < bytes; ++i) {
        unsigned byte = device() & 0xffu;
        out += kDigits[byte >> 4];
        out += kDigits[byte & 0xfu];
    }
    return out;
}

Result<int> TopicPartitionCount(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    if (!rkt) {
        return Unavailable("cannot create a topic handle: " + std::string(rd_kafka_err2str(rd_kafka_last_error())));
    }
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &metadata, static_cast<int>(timeout.count()));
    rd_kafka_topic_destroy(rkt);
    if (err) return Unavailable("cannot read the metadata of topic \"" + topic + "\": " + rd_kafka_err2str(err));
    Result<int> result = Unavailable("topic \"" + topic + "\" is not in the metadata");
    for (int i = 0; i < metadata->topic_cnt; ++i) {
        const rd_kafka_metadata_topic_t& t = metadata->topics[i];
        if (topic != t.topic) continue;
        if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            result = NotFound("topic \"" + topic + "\" does not exist");
        } else if (t.err) {
            result = Unavailable("topic \"" + topic + "\": " + rd_kafka_err2str(t.err));
        } else if (t.partition_cnt == 0) {
            result = Unavailable("topic \"" + topic + "\" has no partitions");
        } else {
            result = t.partition_cnt;
            for (int p = 0; p < t.partition_cnt; ++p) {
                if (t.partitions[p].leader < 0) {
                    result = Unavailable("topic \"" + topic + "\": partition " + std::to_string(p) + " has no leader");
                }
            }
        }
    }
    rd_kafka_metadata_destroy(metadata);
    return result;
}

rd_kafka_headers_t* TraceHeaders(const TraceContext& trace) {
    if (!trace.valid()) return nullptr;
    const std::string value = trace.ToTraceparent();
    rd_kafka_headers_t* headers = rd_kafka_headers_new(1);
    rd_kafka_header_add(headers, kTraceparentHeader.data(), static_cast<ssize_t>(kTraceparentHeader.size()),
                        value.data(), static_cast<ssize_t>(value.size()));
    return headers;
}

TraceContext TraceOf(const rd_kafka_message_t& m) {
    rd_kafka_headers_t* headers = nullptr;  // owned by the message
    if (rd_kafka_message_headers(&m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
    const void* value = nullptr;
    std::size_t size = 0;
    if (rd_kafka_header_get_last(headers, std::string(kTraceparentHeader).c_str(), &value, &size) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        !value)
        return {};
    return TraceContext::Parse({static_cast<const char*>(value), size}).value_or(TraceContext{});
}

}  // namespace rooms::kafka::impl
