#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_bus.h"
#include "adapters/kafka/kafka_fanout.h"
#include "common/message_codec.h"
#include "kafka_test_util.h"
#include "support/test_messages.h"

namespace rooms::kafka::testing {
namespace {

/// Counts delivery reports; every handler must be called exactly once.
struct Deliveries {
    MessageBus::DeliveryHandler Handler() {
        return [this, called = std::make_shared<std::atomic<int>>(0)](std::optional<Error> error) {
            if (called->fetch_add(1) != 0) twice.fetch_add(1);
            std::lock_guard lock(mu);
            if (error) {
                errors.push_back(*error);
            } else {
                ++ok;
            }
        };
    }
    int Total() {
        std::lock_guard lock(mu);
        return ok + static_cast<int>(errors.size());
    }
    std::mutex mu;
    int ok = 0;
    std::vector<Error> errors;
    std::atomic<int> twice{0};
};

class KafkaBusFanoutTest : public KafkaTest {
  protected:
    KafkaBusOptions BusOptions() {
        KafkaBusOptions o;
        o.kafka.brokers = brokers_;
        o.kafka.topic = topic_;
        return o;
    }
    KafkaFanoutOptions FanoutOptions() {
        KafkaFanoutOptions o;
        o.kafka.brokers = brokers_;
        o.kafka.topic = topic_;
        return o;
    }
    // Publishes and waits until every delivery report succeeded.
    void PublishAll(KafkaBus& bus, const std::vector<Message>& messages) {
        Deliveries deliveries;
        for (const Message& m : messages) bus.Publish(m, deliveries.Handler());
        ASSERT_TRUE(bus.Flush(30s)) << bus.InFlight() << " messages still in flight";
        EXPECT_EQ(deliveries.ok, static_cast<int>(messages.size()));
        for (const Error& e : deliveries.errors) ADD_FAILURE() << "delivery failed: " << e.message;
        EXPECT_EQ(deliveries.twice.load(), 0);
    }
};

TEST_F(KafkaBusFanoutTest, PublishedMessagesReachAnotherGatewaysFanoutInOrder) {
    RecordingSink sink;
    KafkaFanout fanout(FanoutOptions(), sink);
    fanout.Start();
    ASSERT_TRUE(fanout.WaitReady(20s)) << fanout.Health().value_or("");
    EXPECT_EQ(fanout.Health(), std::nullopt);

    KafkaBus bus(BusOptions());
    std::vector<Message> sent;
    for (MessageId id = 1; id <= 500; ++id) {
        Message m = MakeMessage(id, 7);
        if (id % 2 == 1) m.trace = TraceContext{NewTraceId(), NewSpanId(), id % 4 == 1};  // the rest: no header
        sent.push_back(m);
    }
    PublishAll(bus, sent);
    EXPECT_EQ(bus.Health(), std::nullopt);

    ASSERT_TRUE(sink.WaitForCount(sent.size(), 20s)) << "received " << sink.Count();
    std::vector<Message> received = sink.Messages();
    ASSERT_EQ(received.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
        EXPECT_EQ(received[i].id, sent[i].id);
        EXPECT_EQ(received[i].content, sent[i].content);
        EXPECT_EQ(received[i].time_created, sent[i].time_created);
        // The trace context travels in the record's traceparent header, sampled flag included.
        EXPECT_EQ(received[i].trace.valid(), sent[i].trace.valid()) << "message " << sent[i].id;
        if (sent[i].trace.valid()) {
            EXPECT_EQ(received[i].trace.ToTraceparent(), sent[i].trace.ToTraceparent());
        }
    }
    EXPECT_EQ(fanout.Delivered(), sent.size());
}

TEST_F(KafkaBusFanoutTest, EachRoomKeepsItsOrderWhenRoomsInterleave) {
    RecordingSink sink;
    KafkaFanout fanout(FanoutOptions(), sink);
    fanout.Start();
    ASSERT_TRUE(fanout.WaitReady(20s)) << fanout.Health().value_or("");

    // Several publishing threads (as I/O threads would), each owning some rooms.
    KafkaBus bus(BusOptions());
    constexpr int kRooms = 12;
    constexpr int kPerRoom = 150;
    constexpr int kThreads = 3;
    std::vector<Message> sent;
    for (int i = 0; i < kPerRoom; ++i) {
        for (RoomId room = 1; room <= kRooms; ++room) sent.push_back(MakeMessage(room * 100000 + i + 1, room));
    }
    Deliveries deliveries;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (const Message& m : sent) {
                if (m.room_id % kThreads == t) bus.Publish(m, deliveries.Handler());
            }
        });
    }
    for (auto& thread : threads) thread.join();
    ASSERT_TRUE(bus.Flush(30s));
    EXPECT_EQ(deliveries.ok, kRooms * kPerRoom);

    ASSERT_TRUE(sink.WaitForCount(sent.size(), 20s)) << "received " << sink.Count();
    auto expected = IdsByRoom(sent);
    auto received = IdsByRoom(sink.Messages());
    ASSERT_EQ(received.size(), static_cast<std::size_t>(kRooms));
    for (const auto& [room, ids] : expected) EXPECT_EQ(received[room], ids) << "room " << room;
}

TEST_F(KafkaBusFanoutTest, EveryGatewayReceivesEverything) {
    RecordingSink sink_a;
    RecordingSink sink_b;
    KafkaFanout gateway_a(FanoutOptions(), sink_a);
    KafkaFanout gateway_b(FanoutOptions(), sink_b);
    gateway_a.Start();
    gateway_b.Start();
    ASSERT_TRUE(gateway_a.WaitReady(20s)) << gateway_a.Health().value_or("");
    ASSERT_TRUE(gateway_b.WaitReady(20s)) << gateway_b.Health().value_or("");

    // Two producing gateways too, each publishing its own rooms.
    KafkaBus bus_a(BusOptions());
    KafkaBus bus_b(BusOptions());
    std::vector<Message> from_a;
    std::vector<Message> from_b;
    for (MessageId id = 1; id <= 300; ++id) {
        from_a.push_back(MakeMessage(id, 1 + id % 5));
        from_b.push_back(MakeMessage(10000 + id, 11 + id % 5));
    }
    PublishAll(bus_a, from_a);
    PublishAll(bus_b, from_b);

    std::vector<Message> all = from_a;
    all.insert(all.end(), from_b.begin(), from_b.end());
    for (RecordingSink* sink : {&sink_a, &sink_b}) {
        ASSERT_TRUE(sink->WaitForCount(all.size(), 20s)) << "received " << sink->Count();
        EXPECT_EQ(IdsByRoom(sink->Messages()), IdsByRoom(all));
    }
}

TEST_F(KafkaBusFanoutTest, FanoutStartsAtTheEndOfTheTopic) {
    KafkaBus bus(BusOptions());
    std::vector<Message> before;
    for (MessageId id = 1; id <= 20; ++id) before.push_back(MakeMessage(id, id % 4 + 1));
    PublishAll(bus, before);

    RecordingSink sink;
    KafkaFanout fanout(FanoutOptions(), sink);
    fanout.Start();
    ASSERT_TRUE(fanout.WaitReady(20s)) << fanout.Health().value_or("");
    std::vector<Message> after;
    for (MessageId id = 101; id <= 110; ++id) after.push_back(MakeMessage(id, id % 4 + 1));
    PublishAll(bus, after);

    ASSERT_TRUE(sink.WaitForCount(after.size(), 20s));
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(IdsByRoom(sink.Messages()), IdsByRoom(after));
}

TEST_F(KafkaBusFanoutTest, FanoutSkipsInvalidRecords) {
    RecordingSink sink;
    KafkaFanout fanout(FanoutOptions(), sink);
    fanout.Start();
    ASSERT_TRUE(fanout.WaitReady(20s)) << fanout.Health().value_or("");

    Message first = MakeMessage(1, 3);
    Message second = MakeMessage(2, 3);
    // Also content over the limit no gateway exceeds (the consumers dead-letter it): not shown to anybody.
    Message too_long = MakeMessage(4, 3);
    too_long.content.assign(kMaxContentBytes + 1, 'x');
    ProduceRaw(brokers_, topic_, 0,
               {{"3", EncodeMessage(first)},
                {"3", "this is not JSON"},
                {"3", R"({"id":5})"},
                {"3", EncodeMessage(too_long)},
                {"3", EncodeMessage(second)}});
    ASSERT_TRUE(sink.WaitForCount(2, 20s));
    std::this_thread::sleep_for(200ms);
    std::vector<Message> received = sink.Messages();
    ASSERT_EQ(received.size(), 2u);
    EXPECT_EQ(received[0].id, 1);
    EXPECT_EQ(received[1].id, 2);
    EXPECT_EQ(fanout.InvalidRecords(), 3u);
}

TEST_F(KafkaBusFanoutTest, FanoutWaitsForATopicCreatedLater) {
    std::string later = UniqueName("later");
    RecordingSink sink;
    KafkaFanoutOptions options = FanoutOptions();
    options.kafka.topic = later;
    options.retry_interval = 200ms;
    KafkaFanout fanout(options, sink);
    fanout.Start();
    EXPECT_FALSE(fanout.WaitReady(1500ms));
    ASSERT_TRUE(fanout.Health().has_value());
    EXPECT_NE(fanout.Health()->find("does not exist"), std::string::npos) << *fanout.Health();

    ASSERT_TRUE(CreateTopic(brokers_, later, 2, 15s).ok());
    ASSERT_TRUE(fanout.WaitReady(20s)) << fanout.Health().value_or("");
    KafkaBusOptions bus_options = BusOptions();
    bus_options.kafka.topic = later;
    KafkaBus bus(bus_options);
    PublishAll(bus, {MakeMessage(1, 1), MakeMessage(2, 2)});
    EXPECT_TRUE(sink.WaitForCount(2, 20s));
    fanout.Stop();
    DeleteTopic(brokers_, later);
}

TEST_F(KafkaBusFanoutTest, PublishToAMissingTopicFailsWithinTheMessageTimeout) {
    KafkaBusOptions options = BusOptions();
    options.kafka.topic = UniqueName("absent");
    options.kafka.message_timeout_ms = 2000;
    KafkaBus bus(options);
    Deliveries deliveries;
    bus.Publish(MakeMessage(1, 1), deliveries.Handler());
    ASSERT_TRUE(WaitUntil([&] { return deliveries.Total() == 1; }, 6s)) << "no delivery report";
    ASSERT_EQ(deliveries.errors.size(), 1u);
    EXPECT_EQ(deliveries.errors[0].code, ErrorCode::kUnavailable);
    std::cout << "missing topic: " << deliveries.errors[0].message << "\n";
}

// --- delivery errors: never silence ---

TEST(KafkaBusDeadBroker, EveryMessageFailsWithinTheMessageTimeout) {
    KafkaBusOptions options;
    options.kafka.brokers = "127.0.0.1:1";
    options.kafka.topic = "rooms-test-dead";
    options.kafka.message_timeout_ms = 2000;
    KafkaBus bus(options);

    Deliveries deliveries;
    auto start = std::chrono::steady_clock::now();
    for (MessageId id = 1; id <= 5; ++id) bus.Publish(MakeMessage(id, 1), deliveries.Handler());
    ASSERT_TRUE(WaitUntil([&] { return deliveries.Total() == 5; }, 5s)) << "silence: " << deliveries.Total();
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    std::cout << "dead broker: 5 delivery errors after " << elapsed.count() << " ms\n";
    EXPECT_LT(elapsed, 3500ms);
    EXPECT_EQ(deliveries.ok, 0);
    ASSERT_EQ(deliveries.errors.size(), 5u);
    for (const Error& e : deliveries.errors) {
        EXPECT_EQ(e.code, ErrorCode::kUnavailable);
        EXPECT_EQ(e.message.rfind("message could not be delivered: ", 0), 0u) << e.message;
    }
    EXPECT_TRUE(bus.Health().has_value());
    EXPECT_EQ(deliveries.twice.load(), 0);
}

TEST(KafkaBusDeadBroker, AFullLocalQueueFailsAtOnce) {
    KafkaBusOptions options;
    options.kafka.brokers = "127.0.0.1:1";
    options.kafka.topic = "rooms-test-dead";
    options.kafka.message_timeout_ms = 60000;
    options.kafka.queue_max_messages = 2;
    KafkaBus bus(options);

    Deliveries deliveries;
    for (MessageId id = 1; id <= 5; ++id) bus.Publish(MakeMessage(id, 1), deliveries.Handler());
    {
        // The 3 beyond the queue failed inside Publish.
        std::lock_guard lock(deliveries.mu);
        ASSERT_EQ(deliveries.errors.size(), 3u);
        EXPECT_NE(deliveries.errors[0].message.find("queue is full"), std::string::npos)
            << deliveries.errors[0].message;
    }
    // Closing fails the 2 queued ones promptly rather than waiting out their timeout.
    auto start = std::chrono::steady_clock::now();
    bus.Close(200ms);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    EXPECT_EQ(deliveries.Total(), 5);
    EXPECT_EQ(deliveries.ok, 0);
    EXPECT_EQ(deliveries.twice.load(), 0);
}

TEST(KafkaBusDeadBroker, PublishAfterCloseFailsAtOnce) {
    KafkaBusOptions options;
    options.kafka.brokers = "127.0.0.1:1";
    options.kafka.topic = "rooms-test-dead";
    KafkaBus bus(options);
    bus.Close(100ms);
    Deliveries deliveries;
    bus.Publish(MakeMessage(1, 1), deliveries.Handler());
    ASSERT_EQ(deliveries.errors.size(), 1u);
    EXPECT_NE(deliveries.errors[0].message.find("shutting down"), std::string::npos);
}

TEST(KafkaBusDeadBroker, DestructorFailsWhatIsStillInFlight) {
    Deliveries deliveries;
    {
        KafkaBusOptions options;
        options.kafka.brokers = "127.0.0.1:1";
        options.kafka.topic = "rooms-test-dead";
        options.kafka.message_timeout_ms = 60000;
        KafkaBus bus(options);
        bus.Publish(MakeMessage(1, 1), deliveries.Handler());
        bus.Publish(MakeMessage(2, 1), deliveries.Handler());
        EXPECT_FALSE(bus.Flush(100ms));
    }  // ~KafkaBus: flushes up to 5 s, then purges
    EXPECT_EQ(deliveries.Total(), 2);
    EXPECT_EQ(deliveries.ok, 0);
}

// --- latency: measured and printed, never asserted ---

std::int64_t Percentile(std::vector<std::int64_t> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
    return values[index];
}

TEST_F(KafkaBusFanoutTest, MeasurePublishToFanoutLatency) {
    constexpr int kMessages = 2000;
    constexpr auto kInterval = 500us;  // 2000 messages/s, spread over 12 rooms

    // The publish time travels in time_created (stamped just before Publish, as the gateway does), so the
    // fan-out thread needs no shared state with the publisher.
    std::vector<std::int64_t> fanout_us(kMessages + 1, -1);
    std::vector<std::int64_t> ack_us(kMessages + 1, -1);
    RecordingSink sink;
    sink.on_message = [&](const Message& m) {
        if (m.id <= kMessages)
            fanout_us[static_cast<std::size_t>(m.id)] = (test_support::Now() - m.time_created).count();
    };
    KafkaFanout fanout(FanoutOptions(), sink);
    fanout.Start();
    ASSERT_TRUE(fanout.WaitReady(20s)) << fanout.Health().value_or("");
    // Default settings (linger.ms 1) unless ROOMS_TEST_KAFKA_LATENCY_PROPERTIES="key=value;key=value" says
    // otherwise, to compare producer settings.
    KafkaBusOptions options = BusOptions();
    if (const char* extra = std::getenv("ROOMS_TEST_KAFKA_LATENCY_PROPERTIES")) {
        std::string list = extra;
        for (std::size_t start = 0; start < list.size();) {
            std::size_t end = std::min(list.find(';', start), list.size());
            std::string item = list.substr(start, end - start);
            if (std::size_t eq = item.find('='); eq != std::string::npos) {
                options.properties[item.substr(0, eq)] = item.substr(eq + 1);
            }
            start = end + 1;
        }
        std::cout << "producer properties: " << extra << "\n";
    }
    KafkaBus bus(options);

    // Warm-up: connections and metadata.
    std::atomic<int> warm{0};
    for (int i = 0; i < 20; ++i) bus.Publish(MakeMessage(1000000 + i, 1), [&](std::optional<Error>) { ++warm; });
    ASSERT_TRUE(bus.Flush(10s));
    ASSERT_TRUE(sink.WaitForCount(20, 10s));

    std::atomic<int> failures{0};
    auto next = std::chrono::steady_clock::now();
    for (int i = 1; i <= kMessages; ++i) {
        std::this_thread::sleep_until(next);
        next += kInterval;
        Message m = MakeMessage(i, 1 + i % 12);
        m.time_created = test_support::Now();
        auto start = std::chrono::steady_clock::now();
        bus.Publish(std::move(m), [&, i, start](std::optional<Error> error) {
            if (error) ++failures;
            ack_us[static_cast<std::size_t>(i)] =
                std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
        });
    }
    ASSERT_TRUE(bus.Flush(30s));
    ASSERT_TRUE(sink.WaitForCount(20 + kMessages, 30s)) << "received " << sink.Count();
    fanout.Stop();
    EXPECT_EQ(failures.load(), 0);

    std::vector<std::int64_t> fanout_lat(fanout_us.begin() + 1, fanout_us.end());
    std::vector<std::int64_t> ack_lat(ack_us.begin() + 1, ack_us.end());
    std::cout << "publish -> fan-out latency over " << kMessages << " messages at 2000/s: p50 "
              << Percentile(fanout_lat, 0.50) / 1000.0 << " ms, p99 " << Percentile(fanout_lat, 0.99) / 1000.0
              << " ms, max " << Percentile(fanout_lat, 1.0) / 1000.0 << " ms\n";
    std::cout << "publish -> delivery report (accepted): p50 " << Percentile(ack_lat, 0.50) / 1000.0 << " ms, p99 "
              << Percentile(ack_lat, 0.99) / 1000.0 << " ms, max " << Percentile(ack_lat, 1.0) / 1000.0 << " ms\n";
}

}  // namespace
}  // namespace rooms::kafka::testing
