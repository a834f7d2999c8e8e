#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "domain/ports.h"

namespace rooms::kafka::testing {

using namespace std::chrono_literals;

/// ROOMS_TEST_KAFKA_BROKERS, or empty.
std::string BrokersFromEnv();

/// A topic or group name unique to this run: rooms-test-<what>-<random>.
std::string UniqueName(const std::string& what);

/// Deletes a topic (best effort, for clean-up).
void DeleteTopic(const std::string& brokers, const std::string& topic);

/// Produces raw records (key, value) synchronously to one partition, bypassing the codec. Fails the test when a
/// record is not acknowledged.
void ProduceRaw(const std::string& brokers, const std::string& topic, int partition,
                const std::vector<std::pair<std::string, std::string>>& records);

/// A record as read from a topic, headers included.
struct RawRecord {
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::string key;
    std::string value;
    std::map<std::string, std::string> headers;
};

/// Reads partition 0 of `topic` from its start until `count` records arrived or `timeout` passed, and returns
/// them (fewer when the time ran out). Commits nothing.
std::vector<RawRecord> ReadRaw(const std::string& brokers, const std::string& topic, std::size_t count,
                               std::chrono::milliseconds timeout);

Message MakeMessage(MessageId id, RoomId room, std::string content = "");

/// Polls `predicate` every 10 ms until it holds or `timeout` passes; returns its last value.
bool WaitUntil(const std::function<bool()>& predicate, std::chrono::milliseconds timeout);

/// Base fixture of the broker tests: fails (never skips) without ROOMS_TEST_KAFKA_BROKERS, and gives each test
/// its own topic of 6 partitions, deleted afterwards.
class KafkaTest : public ::testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override;

    std::string brokers_;
    std::string topic_;
};

/// A MessageSink (a gateway's hub) that records everything. Thread-safe.
class RecordingSink : public MessageSink {
  public:
    void OnMessage(const Message& message) override;
    bool WaitForCount(std::size_t count, std::chrono::milliseconds timeout);
    std::vector<Message> Messages();
    std::size_t Count();
    /// Called on the consumer thread for each message, before it is recorded (for latency measurements).
    std::function<void(const Message&)> on_message;

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Message> messages_;
};

/// An idempotent MessageStore that counts every call and can be told to throw. Like PostgreSQL, it refuses a whole
/// batch (RejectedWrite) that holds a message of a room it was told to refuse, or content over 65536 bytes.
/// Thread-safe.
class FakeStore : public MessageStore {
  public:
    void InsertBatch(std::span<const Message> messages) override;
    Result<std::vector<Message>> Page(RoomId room, std::optional<MessageId> before, int limit) override;
    MessageId MaxId() override;

    void FailNextCalls(int count);
    /// Messages of `room` are refused, as PostgreSQL refuses an unknown room.
    void RefuseRoom(RoomId room);
    int Calls();
    /// Messages passed to successful InsertBatch calls, counting repeats.
    std::size_t Received();
    /// Distinct message ids stored.
    std::size_t Stored();
    std::vector<Message> StoredMessages();

  private:
    std::mutex mu_;
    int calls_ = 0;
    int fail_next_ = 0;
    std::set<RoomId> refused_rooms_;
    std::size_t received_ = 0;
    std::set<MessageId> ids_;
    std::vector<Message> stored_;
};

/// A HistoryCache that keeps every Append per room, in call order. Thread-safe.
class FakeHistory : public HistoryCache {
  public:
    void Append(const Message& message) override;
    std::optional<std::vector<Message>> Recent(RoomId room, int limit) override;
    void Fill(RoomId room, std::vector<Message> newest_first) override;

    std::map<RoomId, std::vector<MessageId>> AppendedIds();
    std::size_t Appends();

  private:
    std::mutex mu_;
    std::map<RoomId, std::vector<MessageId>> rooms_;
    std::size_t appends_ = 0;
};

/// The ids of `messages` per room, in the order given.
std::map<RoomId, std::vector<MessageId>> IdsByRoom(const std::vector<Message>& messages);

}  // namespace rooms::kafka::testing
