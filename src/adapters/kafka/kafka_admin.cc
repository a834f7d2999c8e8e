#include "adapters/kafka/kafka_admin.h"

#include <memory>
#include <thread>

#include "adapters/kafka/impl/rdkafka_util.h"

namespace rooms::kafka {

namespace {

impl::HandlePtr AdminClient(const std::string& brokers) {
    return impl::MakeClient(
        RD_KAFKA_PRODUCER,
        impl::MakeConf({{"bootstrap.servers", brokers}, {"client.id", "rooms-admin"}, {"socket.timeout.ms", "10000"}},
                       {}));
}

// True when the metadata lists the topic and every partition's leader answers for its offsets.
bool TopicReady(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout) {
    Result<int> partitions = impl::TopicPartitionCount(rk, topic, timeout);
    if (!partitions) return false;
    for (int p = 0; p < *partitions; ++p) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, static_cast<int>(timeout.count()))) {
            return false;
        }
    }
    return true;
}

}  // namespace

Result<TopicCreation> CreateTopic(const std::string& brokers, const std::string& topic, int partitions,
                                  std::chrono::milliseconds timeout) {
    if (partitions <= 0) return InvalidArgument("a topic needs at least one partition");
    impl::HandlePtr rk = AdminClient(brokers);

    char errstr[512];
    std::unique_ptr<rd_kafka_NewTopic_t, decltype(&rd_kafka_NewTopic_destroy)> new_topic(
        rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, errstr, sizeof errstr), &rd_kafka_NewTopic_destroy);
    if (!new_topic) return InvalidArgument("cannot create topic \"" + topic + "\": " + errstr);

    std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> options(
        rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS), &rd_kafka_AdminOptions_destroy);
    const int timeout_ms = static_cast<int>(timeout.count());
    rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, errstr, sizeof errstr);
    rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeout_ms, errstr, sizeof errstr);

    std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> queue(rd_kafka_queue_new(rk.get()),
                                                                               &rd_kafka_queue_destroy);
    rd_kafka_NewTopic_t* topics[] = {new_topic.get()};
    rd_kafka_CreateTopics(rk.get(), topics, 1, options.get(), queue.get());

    // The request timeout bounds the wait; the extra second lets the timeout event itself arrive.
    std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> event(
        rd_kafka_queue_poll(queue.get(), timeout_ms + 1000), &rd_kafka_event_destroy);
    if (!event) return Unavailable("creating topic \"" + topic + "\": no answer from the Kafka brokers " + brokers);
    if (rd_kafka_event_error(event.get())) {
        return Unavailable("creating topic \"" + topic + "\": " + rd_kafka_event_error_string(event.get()) +
                           " (brokers " + brokers + ")");
    }
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
    TopicCreation outcome = TopicCreation::kCreated;
    for (size_t i = 0; i < count; ++i) {
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
        if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            outcome = TopicCreation::kAlreadyExisted;
        } else if (err) {
            const char* why = rd_kafka_topic_result_error_string(results[i]);
            return Error{err == RD_KAFKA_RESP_ERR__TIMED_OUT ? ErrorCode::kUnavailable : ErrorCode::kInvalidArgument,
                         "creating topic \"" + topic + "\": " + (why ? why : rd_kafka_err2str(err))};
        }
    }
    // The controller has the topic; the brokers' metadata and partition leaders follow a moment later. Wait for
    // them, so that whoever uses the topic next (a fan-out reading end offsets, a producer) finds it ready.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!TopicReady(rk.get(), topic, timeout)) {
        if (std::chrono::steady_clock::now() >= deadline) {
            std::string why = "topic \"" + topic + "\" was created but its partitions are not ready at ";
            why += brokers;
            why += " after " + std::to_string(timeout.count()) + " ms";
            return Unavailable(why);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return outcome;
}

Result<int> PartitionCount(const std::string& brokers, const std::string& topic, std::chrono::milliseconds timeout) {
    impl::HandlePtr rk = AdminClient(brokers);
    return impl::TopicPartitionCount(rk.get(), topic, timeout);
}

}  // namespace rooms::kafka
