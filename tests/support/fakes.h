#pragma once

// Fakes of the domain ports, shared by every tier's tests (Envoy's test/mocks): one of each, here.

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

namespace rooms::test_support {

/// A MessageSink that records everything it is given. Thread-safe.
class RecordingSink : public MessageSink {
  public:
    void OnMessage(const Message& message) override;
    bool WaitForCount(std::size_t count, std::chrono::milliseconds timeout);
    std::vector<Message> Messages();
    std::size_t Count();
    /// Called on the caller's thread for each message, before it is recorded (for latency measurements).
    std::function<void(const Message&)> on_message;

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Message> messages_;
};

/// An idempotent MessageStore that counts every call and can be told to fail. Like PostgreSQL, it refuses a whole
/// batch (RejectedWrite) that holds a message of a room it was told to refuse, or content over 65536 bytes; any
/// other failure it is told to make is transient (a plain exception). Pages what it stored, newest first.
/// Thread-safe.
class FakeMessageStore : public MessageStore {
  public:
    void InsertBatch(std::span<const Message> messages) override;
    Result<std::vector<Message>> Page(RoomId room, std::optional<MessageId> before, int limit) override;
    MessageId MaxId() override;

    /// The next `count` InsertBatch calls throw a transient error.
    void FailNextCalls(int count);
    /// Messages of `room` are refused for good, as PostgreSQL refuses an unknown room.
    void RefuseRoom(RoomId room);
    int Calls();
    /// The size of every InsertBatch call that succeeded, in order.
    std::vector<std::size_t> BatchSizes();
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
    std::vector<std::size_t> batch_sizes_;
    std::set<MessageId> ids_;
    std::vector<Message> stored_;
};

/// A HistoryCache that keeps the id of every Append per room, in call order, and can be told to be down. Never
/// filled: every Recent is a miss. Thread-safe.
class FakeHistory : public HistoryCache {
  public:
    void Append(const Message& message) override;
    std::optional<std::vector<Message>> Recent(RoomId room, int limit) override;
    void Fill(RoomId room, std::vector<Message> newest_first) override;
    void Forget(std::span<const RoomId> rooms) override;

    /// While down, every call throws (as a RedisError would).
    void SetDown(bool down);
    std::map<RoomId, std::vector<MessageId>> AppendedIds();
    std::size_t Appends();
    std::vector<RoomId> Forgotten();

  private:
    void ThrowIfDown();
    std::mutex mu_;
    bool down_ = false;
    std::map<RoomId, std::vector<MessageId>> rooms_;
    std::size_t appends_ = 0;
    std::vector<RoomId> forgotten_;
};

/// The ids of `messages` per room, in the order given.
std::map<RoomId, std::vector<MessageId>> IdsByRoom(const std::vector<Message>& messages);

}  // namespace rooms::test_support
