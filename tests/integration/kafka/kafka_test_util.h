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
#include "support/fakes.h"
#include "support/test_messages.h"

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

// The shared fakes (tests/support/fakes.h), by the names these tests use.
using test_support::FakeHistory;
using test_support::IdsByRoom;
using test_support::RecordingSink;
using FakeStore = test_support::FakeMessageStore;

}  // namespace rooms::kafka::testing
