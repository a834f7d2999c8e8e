#include "kafka_test_util.h"

#include <librdkafka/rdkafka.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <thread>

#include "adapters/kafka/kafka_admin.h"
#include "support/test_messages.h"

namespace rooms::kafka::testing {

std::string BrokersFromEnv() {
    const char* brokers = std::getenv("ROOMS_TEST_KAFKA_BROKERS");
    return brokers ? brokers : "";
}

std::string UniqueName(const std::string& what) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::random_device device;
    std::string suffix;
    for (int i = 0; i < 10; ++i) suffix += kDigits[device() % 16];
    std::string name = "rooms-test-" + what + "-" + suffix;
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') c = '-';
    }
    return name;
}

namespace {

struct KafkaHandle {
    explicit KafkaHandle(const std::string& brokers) {
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        char errstr[512];
        rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
        rd_kafka_conf_set(conf, "linger.ms", "0", errstr, sizeof errstr);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        if (!rk) {
            rd_kafka_conf_destroy(conf);
            ADD_FAILURE() << "cannot create a Kafka client: " << errstr;
        }
    }
    ~KafkaHandle() {
        if (rk) rd_kafka_destroy(rk);
    }
    rd_kafka_t* rk = nullptr;
};

}  // namespace

void DeleteTopic(const std::string& brokers, const std::string& topic) {
    KafkaHandle client(brokers);
    if (!client.rk) return;
    rd_kafka_DeleteTopic_t* del = rd_kafka_DeleteTopic_new(topic.c_str());
    rd_kafka_queue_t* queue = rd_kafka_queue_new(client.rk);
    rd_kafka_DeleteTopics(client.rk, &del, 1, nullptr, queue);
    if (rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 10000)) rd_kafka_event_destroy(event);
    rd_kafka_queue_destroy(queue);
    rd_kafka_DeleteTopic_destroy(del);
}

void ProduceRaw(const std::string& brokers, const std::string& topic, int partition,
                const std::vector<std::pair<std::string, std::string>>& records) {
    KafkaHandle client(brokers);
    ASSERT_NE(client.rk, nullptr);
    for (const auto& [key, value] : records) {
        rd_kafka_resp_err_t err =
            rd_kafka_producev(client.rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                              RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
    }
    ASSERT_EQ(rd_kafka_flush(client.rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR) << "raw records not acknowledged";
}

std::vector<RawRecord> ReadRaw(const std::string& brokers, const std::string& topic, std::size_t count,
                               std::chrono::milliseconds timeout) {
    std::vector<RawRecord> out;
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char errstr[512];
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", UniqueName("reader").c_str(), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr);
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        ADD_FAILURE() << "cannot create a Kafka consumer: " << errstr;
        return out;
    }
    rd_kafka_topic_partition_list_t* partitions = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(partitions, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, partitions);
    rd_kafka_topic_partition_list_destroy(partitions);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
        if (!m) continue;
        if (!m->err) {
            RawRecord& r = out.emplace_back();
            r.partition = m->partition;
            r.offset = m->offset;
            if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
            if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
            rd_kafka_headers_t* headers = nullptr;
            if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                const char* name = nullptr;
                const void* value = nullptr;
                std::size_t size = 0;
                for (std::size_t i = 0; !rd_kafka_header_get_all(headers, i, &name, &value, &size); ++i) {
                    r.headers[name] = value ? std::string(static_cast<const char*>(value), size) : "";
                }
            }
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return out;
}

Message MakeMessage(MessageId id, RoomId room, std::string content) {
    Message m;
    m.id = id;
    m.room_id = room;
    m.user_id = 1000 + room;
    m.nickname = "user" + std::to_string(room);
    m.content = content.empty() ? "message " + std::to_string(id) : std::move(content);
    m.time_created = test_support::Now();
    m.type = MessageType::kMessage;
    return m;
}

bool WaitUntil(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!predicate()) {
        if (std::chrono::steady_clock::now() >= deadline) return predicate();
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

void KafkaTest::SetUp() {
    brokers_ = BrokersFromEnv();
    ASSERT_FALSE(brokers_.empty())
        << "ROOMS_TEST_KAFKA_BROKERS is not set. Start a broker with `scripts/services.sh start kafka` and run "
           "with ROOMS_TEST_KAFKA_BROKERS=127.0.0.1:59092.";
    topic_ = UniqueName(::testing::UnitTest::GetInstance()->current_test_info()->name());
    Result<TopicCreation> created = CreateTopic(brokers_, topic_, 6, 15s);
    ASSERT_TRUE(created.ok()) << "cannot create topic " << topic_ << " at " << brokers_ << ": "
                              << created.error().message;
}

void KafkaTest::TearDown() {
    if (!topic_.empty()) DeleteTopic(brokers_, topic_);
}

}  // namespace rooms::kafka::testing
