#include <map>
#include <set>
#include <thread>

#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_bus.h"
#include "adapters/kafka/kafka_persister.h"
#include "common/message_codec.h"
#include "kafka_test_util.h"
#include "services/batch_persister.h"

namespace rooms::kafka::testing {
namespace {

std::set<MessageId> Ids(const std::vector<Message>& messages) {
    std::set<MessageId> ids;
    for (const Message& m : messages) ids.insert(m.id);
    return ids;
}

class KafkaPersisterTest : public KafkaTest {
  protected:
    void SetUp() override {
        KafkaTest::SetUp();
        if (HasFatalFailure()) return;
        group_ = UniqueName("group");
        dlq_ = topic_ + ".dlq";
        Result<TopicCreation> created = CreateTopic(brokers_, dlq_, 1, 15s);
        ASSERT_TRUE(created.ok()) << "cannot create topic " << dlq_ << ": " << created.error().message;
    }

    void TearDown() override {
        if (!dlq_.empty()) DeleteTopic(brokers_, dlq_);
        KafkaTest::TearDown();
    }

    KafkaPersisterOptions Options() {
        KafkaPersisterOptions o;
        o.kafka.brokers = brokers_;
        o.kafka.topic = topic_;
        o.kafka.dlq_topic = dlq_;
        o.kafka.consumer_group = group_;
        o.consumer.batch_size = 50;
        o.consumer.batch_wait_ms = 20;
        return o;
    }

    void Publish(const std::vector<Message>& messages) {
        KafkaBusOptions o;
        o.kafka.brokers = brokers_;
        o.kafka.topic = topic_;
        KafkaBus bus(o);
        std::atomic<int> failures{0};
        for (const Message& m : messages) {
            bus.Publish(m, [&](std::optional<Error> e) {
                if (e) ++failures;
            });
        }
        ASSERT_TRUE(bus.Flush(30s));
        ASSERT_EQ(failures.load(), 0);
    }

    static std::vector<Message> Messages(MessageId first, int count, int rooms) {
        std::vector<Message> out;
        for (MessageId id = first; id < first + count; ++id) out.push_back(MakeMessage(id, 1 + id % rooms));
        return out;
    }

    // Starts a fresh member of the group with its own store, publishes one marker message and returns what that
    // member wrote once the marker arrived: everything the group had not committed, plus the marker.
    std::vector<Message> WhatANewMemberReads() {
        FakeStore store;
        FakeHistory history;
        BatchPersister next_writes(store, history);
        KafkaPersister next(Options(), next_writes);
        next.Start();
        Publish({MakeMessage(999999, 1, "marker")});
        EXPECT_TRUE(WaitUntil(
            [&] {
                for (const Message& m : store.StoredMessages()) {
                    if (m.id == 999999) return true;
                }
                return false;
            },
            30s))
            << "the marker never arrived; health: " << next.Health().value_or("healthy");
        next.Stop();
        return store.StoredMessages();
    }

    std::string group_;
    std::string dlq_;
};

TEST_F(KafkaPersisterTest, WritesStoreThenHistoryAndCommits) {
    std::vector<Message> first = Messages(1, 300, 5);
    for (Message& m : first) {
        if (m.id % 3 == 0) m.trace = TraceContext{NewTraceId(), NewSpanId(), true};
    }
    Publish(first);

    FakeStore store;
    FakeHistory history;
    BatchPersister persister_writes(store, history);
    KafkaPersister persister(Options(), persister_writes);
    EXPECT_EQ(persister.Health(), "not started");
    persister.Start();
    ASSERT_TRUE(WaitUntil([&] { return store.Stored() == first.size(); }, 30s))
        << store.Stored() << " stored; health: " << persister.Health().value_or("healthy");
    ASSERT_TRUE(WaitUntil([&] { return persister.Stats().messages_written == first.size(); }, 5s));
    EXPECT_EQ(history.Appends(), first.size());
    EXPECT_EQ(persister.Health(), std::nullopt);
    EXPECT_EQ(persister.AssignedPartitions(), 6);
    PersisterStats stats = persister.Stats();
    EXPECT_EQ(stats.messages_written, first.size());
    EXPECT_GE(stats.batches, first.size() / 50);
    EXPECT_EQ(stats.write_failures, 0u);
    EXPECT_EQ(stats.commit_failures, 0u);
    EXPECT_EQ(history.AppendedIds(), IdsByRoom(first));  // each room in order, each message once
    // Each record's traceparent header reaches the writes (the parent of their spans).
    std::map<MessageId, std::string> traces;
    for (const Message& m : first) traces[m.id] = m.trace.valid() ? m.trace.ToTraceparent() : "";
    for (const Message& m : store.StoredMessages())
        EXPECT_EQ(m.trace.valid() ? m.trace.ToTraceparent() : "", traces[m.id]) << "message " << m.id;
    persister.Stop();
    EXPECT_EQ(store.Received(), first.size());

    // A new member of the group continues after the committed offsets: nothing is written twice.
    std::vector<Message> second = Messages(1001, 200, 5);
    Publish(second);
    BatchPersister successor_writes(store, history);
    KafkaPersister successor(Options(), successor_writes);
    successor.Start();
    ASSERT_TRUE(WaitUntil([&] { return store.Stored() == first.size() + second.size(); }, 30s))
        << store.Stored() << " stored; health: " << successor.Health().value_or("healthy");
    std::this_thread::sleep_for(500ms);  // anything written twice would show up by now
    EXPECT_TRUE(WaitUntil([&] { return successor.Stats().messages_written == second.size(); }, 5s));
    successor.Stop();
    EXPECT_EQ(store.Received(), first.size() + second.size()) << "messages were written twice";
    EXPECT_EQ(successor.Stats().messages_written, second.size());
    std::vector<Message> all = first;
    all.insert(all.end(), second.begin(), second.end());
    EXPECT_EQ(history.AppendedIds(), IdsByRoom(all));
}

TEST_F(KafkaPersisterTest, AFailedWriteIsRetriedAndCommittedOnlyAfterSuccess) {
    std::vector<Message> messages = Messages(1, 100, 4);
    Publish(messages);

    FakeStore store;
    FakeHistory history;
    store.FailNextCalls(2);
    KafkaPersisterOptions options = Options();
    options.consumer.batch_size = 1000;
    options.consumer.retry_backoff_min_ms = 300;  // long enough to observe the unhealthy state
    BatchPersister persister_writes(store, history);
    KafkaPersister persister(options, persister_writes);
    persister.Start();

    ASSERT_TRUE(WaitUntil([&] { return persister.Stats().write_failures >= 1; }, 30s));
    std::optional<std::string> health = persister.Health();
    ASSERT_TRUE(health.has_value());
    EXPECT_NE(health->find("store unavailable (fake)"), std::string::npos) << *health;
    EXPECT_EQ(history.Appends(), 0u) << "history written although the store failed";

    ASSERT_TRUE(WaitUntil([&] { return store.Stored() == messages.size(); }, 30s))
        << store.Stored() << " stored; health: " << persister.Health().value_or("healthy");
    ASSERT_TRUE(WaitUntil([&] { return persister.Stats().messages_written == messages.size(); }, 5s));
    EXPECT_GE(store.Calls(), 3);
    EXPECT_EQ(persister.Stats().write_failures, 2u);
    EXPECT_EQ(persister.Stats().messages_written, messages.size());
    EXPECT_EQ(store.Received(), messages.size()) << "the store saw a message twice after the retries";
    EXPECT_EQ(history.AppendedIds(), IdsByRoom(messages));
    EXPECT_EQ(persister.Health(), std::nullopt);
    persister.Stop();

    std::vector<Message> later = WhatANewMemberReads();
    ASSERT_EQ(later.size(), 1u) << "offsets were not committed after the successful retry";
    EXPECT_EQ(later[0].id, 999999);
}

TEST_F(KafkaPersisterTest, AWriteThatKeepsFailingCommitsNothing) {
    Publish(Messages(1, 20, 2));
    FakeStore store;
    FakeHistory history;
    store.FailNextCalls(1000000);
    BatchPersister persister_writes(store, history);
    KafkaPersister persister(Options(), persister_writes);
    persister.Start();
    ASSERT_TRUE(WaitUntil([&] { return persister.Stats().write_failures >= 3; }, 30s));
    persister.Stop();  // its last attempt fails too: nothing may be committed

    std::vector<Message> later = WhatANewMemberReads();
    EXPECT_EQ(later.size(), 21u) << "the failed batch was committed";
}

TEST_F(KafkaPersisterTest, InvalidRecordsAreDeadLetteredAndCommitted) {
    Message a = MakeMessage(1, 3);
    Message b = MakeMessage(2, 3);
    ProduceRaw(brokers_, topic_, 0,
               {{"3", EncodeMessage(a)}, {"3", "garbage"}, {"3", R"({"id":1})"}, {"3", EncodeMessage(b)}});
    FakeStore store;
    FakeHistory history;
    BatchPersister persister_writes(store, history);
    KafkaPersister persister(Options(), persister_writes);
    persister.Start();
    ASSERT_TRUE(WaitUntil([&] { return store.Stored() == 2 && persister.Stats().dead_letters == 2; }, 30s))
        << store.Stored() << " stored, " << persister.Stats().dead_letters << " dead letters";
    persister.Stop();
    EXPECT_EQ(history.AppendedIds()[3], (std::vector<MessageId>{1, 2}));
    std::vector<RawRecord> dead = ReadRaw(brokers_, dlq_, 2, 30s);
    ASSERT_EQ(dead.size(), 2u);
    EXPECT_EQ(dead[0].value, "garbage");
    EXPECT_EQ(dead[1].value, R"({"id":1})");

    std::vector<Message> later = WhatANewMemberReads();
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0].id, 999999);
}

// The issue's scenario: records no gateway would have produced, put straight into the topic among good ones.
TEST_F(KafkaPersisterTest, PoisonRecordsGoToTheDeadLetterTopicAndTheirPartitionMovesOn) {
    const RoomId kUnknownRoom = 77;
    const std::vector<std::pair<std::string, std::string>> records = {
        {"9", EncodeMessage(MakeMessage(1, 9))},
        {"9", "{\"id\": 2, not json"},
        {"77", EncodeMessage(MakeMessage(3, kUnknownRoom))},
        {"9", EncodeMessage(MakeMessage(4, 9, std::string(65537, 'x')))},  // over the content column's limit
        {"9", EncodeMessage(MakeMessage(5, 9))},
        {"9", EncodeMessage(MakeMessage(6, 9))},
    };
    const int kPartition = 2;
    ProduceRaw(brokers_, topic_, kPartition, records);   // a fresh topic: at offsets 0 to 5
    std::vector<Message> others = Messages(101, 60, 4);  // rooms 1 to 4 in any partition, in the same batches
    Publish(others);

    FakeStore store;
    store.RefuseRoom(kUnknownRoom);
    FakeHistory history;
    BatchPersister persister_writes(store, history);
    KafkaPersister persister(Options(), persister_writes);
    const auto start = std::chrono::steady_clock::now();
    persister.Start();
    // messages_written counts a batch once it is committed, a moment after the store has it.
    ASSERT_TRUE(WaitUntil(
        [&] {
            return store.Stored() == 3 + others.size() && persister.Stats().dead_letters == 3 &&
                   persister.Stats().messages_written == 3 + others.size();
        },
        30s))
        << store.Stored() << " stored, " << persister.Stats().dead_letters
        << " dead letters; health: " << persister.Health().value_or("healthy");
    std::cout << "poison records dead-lettered and the partition persisted "
              << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()
              << " ms after start\n";
    EXPECT_EQ(persister.Health(), std::nullopt);
    EXPECT_EQ(persister.Stats().write_failures, 0u) << "a refusal is not a failure to retry";
    EXPECT_EQ(persister.Stats().messages_written, 3 + others.size());
    std::map<RoomId, std::vector<MessageId>> expected = IdsByRoom(others);
    expected[9] = {1, 5, 6};
    EXPECT_EQ(history.AppendedIds(), expected) << "the history gets the stored messages only, in order";

    std::vector<RawRecord> dead = ReadRaw(brokers_, dlq_, 3, 30s);
    ASSERT_EQ(dead.size(), 3u);
    const std::vector<std::size_t> poison = {1, 2, 3};  // their offsets, and their index in `records`
    for (std::size_t i = 0; i < dead.size(); ++i) {
        SCOPED_TRACE("dead letter " + std::to_string(i));
        const auto& [key, value] = records[poison[i]];
        EXPECT_EQ(dead[i].key, key);
        EXPECT_EQ(dead[i].value, value);
        EXPECT_EQ(dead[i].headers["source_topic"], topic_);
        EXPECT_EQ(dead[i].headers["source_partition"], std::to_string(kPartition));
        EXPECT_EQ(dead[i].headers["source_offset"], std::to_string(poison[i]));
        EXPECT_EQ(dead[i].headers.size(), 4u);
    }
    EXPECT_NE(dead[0].headers["reason"].find("not JSON"), std::string::npos) << dead[0].headers["reason"];
    EXPECT_NE(dead[1].headers["reason"].find("unknown room (fake)"), std::string::npos) << dead[1].headers["reason"];
    EXPECT_NE(dead[2].headers["reason"].find("over 65536 bytes (fake)"), std::string::npos)
        << dead[2].headers["reason"];
    persister.Stop();

    std::vector<Message> later = WhatANewMemberReads();
    ASSERT_EQ(later.size(), 1u) << "the batches with dead letters were not committed";
    EXPECT_EQ(later[0].id, 999999);
}

TEST_F(KafkaPersisterTest, ADeadLetterTheBrokersDoNotTakeCommitsNothing) {
    ProduceRaw(brokers_, topic_, 1, {{"1", EncodeMessage(MakeMessage(1, 1))}, {"1", "garbage"}});
    FakeStore store;
    FakeHistory history;
    KafkaPersisterOptions options = Options();
    options.kafka.dlq_topic = topic_ + ".missing-dlq";  // the broker does not create topics on demand
    options.consumer.dlq_timeout_ms = 1000;
    options.consumer.retry_backoff_min_ms = 100;
    BatchPersister persister_writes(store, history);
    KafkaPersister persister(options, persister_writes);
    persister.Start();
    ASSERT_TRUE(WaitUntil([&] { return persister.Stats().write_failures >= 2; }, 30s))
        << "health: " << persister.Health().value_or("healthy");
    std::optional<std::string> health = persister.Health();
    ASSERT_TRUE(health.has_value());
    EXPECT_NE(health->find("dead-letter topic " + options.kafka.dlq_topic), std::string::npos) << *health;
    EXPECT_EQ(persister.Stats().dead_letters, 0u);
    EXPECT_EQ(persister.Stats().batches, 0u);
    persister.Stop();  // its last attempt fails too: nothing may be committed

    // A member whose dead-letter topic exists reads both records again and moves the garbage there.
    std::vector<Message> later = WhatANewMemberReads();
    EXPECT_EQ(Ids(later), (std::set<MessageId>{1, 999999}))
        << "the batch was committed although its dead letter was not delivered";
    std::vector<RawRecord> dead = ReadRaw(brokers_, dlq_, 1, 30s);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].value, "garbage");
    EXPECT_EQ(dead[0].headers["source_partition"], "1");
    EXPECT_EQ(dead[0].headers["source_offset"], "1");
}

TEST_F(KafkaPersisterTest, StopWritesAndCommitsTheBatchBeingCollected) {
    FakeStore store;
    FakeHistory history;
    KafkaPersisterOptions options = Options();
    options.consumer.batch_size = 10000;
    options.consumer.batch_wait_ms = 60000;  // the batch would not be written before Stop
    BatchPersister persister_writes(store, history);
    KafkaPersister persister(options, persister_writes);
    persister.Start();
    ASSERT_TRUE(WaitUntil([&] { return persister.Health() == std::nullopt; }, 30s)) << persister.Health().value_or("");
    std::vector<Message> messages = Messages(1, 40, 3);
    Publish(messages);
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(store.Calls(), 0);
    auto start = std::chrono::steady_clock::now();
    persister.Stop();
    std::cout << "Stop took "
              << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()
              << " ms\n";
    EXPECT_EQ(store.Stored(), messages.size());
    EXPECT_EQ(persister.Stats().batches, 1u);

    std::vector<Message> later = WhatANewMemberReads();
    ASSERT_EQ(later.size(), 1u) << "the batch written at Stop was not committed";
}

TEST_F(KafkaPersisterTest, MembersShareThePartitionsAndTakeOverOnLeave) {
    FakeStore store;
    FakeHistory history;
    BatchPersister a_writes(store, history);
    KafkaPersister a(Options(), a_writes);
    BatchPersister b_writes(store, history);
    KafkaPersister b(Options(), b_writes);
    a.Start();
    b.Start();
    ASSERT_TRUE(WaitUntil(
        [&] {
            return a.AssignedPartitions() + b.AssignedPartitions() == 6 && a.AssignedPartitions() > 0 &&
                   b.AssignedPartitions() > 0;
        },
        30s))
        << a.AssignedPartitions() << " + " << b.AssignedPartitions();

    std::vector<Message> first = Messages(1, 600, 24);
    Publish(first);
    ASSERT_TRUE(WaitUntil([&] { return store.Stored() == first.size(); }, 30s)) << store.Stored();
    EXPECT_GT(a.Stats().messages_written, 0u);
    EXPECT_GT(b.Stats().messages_written, 0u);

    // b leaves while messages keep coming: a takes every partition over, nothing is lost.
    std::thread publisher([&] { Publish(Messages(1001, 400, 24)); });
    b.Stop();
    publisher.join();
    ASSERT_TRUE(WaitUntil([&] { return store.Stored() == 1000; }, 30s)) << store.Stored();
    EXPECT_TRUE(WaitUntil([&] { return a.AssignedPartitions() == 6; }, 10s));
    a.Stop();

    std::vector<Message> all = first;
    std::vector<Message> second = Messages(1001, 400, 24);
    all.insert(all.end(), second.begin(), second.end());
    EXPECT_EQ(store.Received(), all.size()) << "written twice across the rebalance";
    // One room lives in one partition, so its history stays in order even across the hand-over.
    auto appended = history.AppendedIds();
    auto expected = IdsByRoom(all);
    for (auto& [room, ids] : appended) {
        EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end())) << "room " << room;
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    }
    EXPECT_EQ(appended, expected);
}

}  // namespace
}  // namespace rooms::kafka::testing
