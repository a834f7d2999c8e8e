#pragma once

#include <chrono>
#include <span>
#include <string>

#include "adapters/redis/redis_pool.h"
#include "domain/ports.h"

namespace rooms {

struct RedisHistoryOptions {
    std::string key_prefix;  ///< redis.key_prefix
    int capacity = 0;        ///< chat.history_size: messages kept per room; 0 keeps none
    /// Lifetime of a filled room's keys, renewed by every Append and Fill: idle rooms leave Redis by themselves.
    std::chrono::seconds ttl{7 * 24 * 3600};
    /// Lifetime of what Append keeps for a room nobody has read yet (see the class comment). It only has to
    /// outlast the time between a reader's store query and its Fill.
    std::chrono::seconds unfilled_ttl{60};
};

/// The newest messages of every room in Redis, shared by all instances; the same observable behaviour as
/// MemoryHistoryCache. Per room, five keys:
///   <prefix>history:<room>              list of chat messages (common/message_codec.h), newest first, at most
///                                       `capacity`
///   <prefix>history:<room>:ids          list of their ids, parallel to it: Append skips an id already there, so
///                                       a message redelivered by Kafka, or already loaded by Fill, is not doubled
///   <prefix>history:<room>:notices      the same for notices (joins, leaves), with their own `capacity`: a
///   <prefix>history:<room>:notices:ids  join/leave storm cannot push chat messages out of the join history
///   <prefix>history:<room>:filled       marker: the room was filled from the store, so an empty list is an empty
///                                       room and not a miss
/// A room is a miss until filled. Append writes to unfilled rooms too, with the short `unfilled_ttl`, and Fill
/// merges those messages above the store's rows: a message written to the store after the reader's query but
/// appended before its Fill is kept, not lost. Each operation is one Lua script, so it is atomic against
/// every other instance.
///
/// Blocking (one Redis round trip per call, see RedisPool); thread-safe. Errors throw RedisError.
class RedisHistoryCache : public HistoryCache {
  public:
    RedisHistoryCache(RedisPool& pool, RedisHistoryOptions options);

    void Append(const Message& message) override;
    /// Appends a batch in one round trip; per room in the batch's order. Of each room only its newest
    /// `capacity` chat messages and notices are sent: older ones would be trimmed away anyway.
    void AppendBatch(std::span<const Message> messages) override;
    /// The newest `limit` chat messages and the newest `limit` notices not older than them, newest first.
    std::optional<std::vector<Message>> Recent(RoomId room, int limit) override;
    /// Does nothing when the room is filled already (another instance won the race).
    void Fill(RoomId room, std::vector<Message> newest_first) override;
    /// Deletes the rooms' keys (one DEL).
    void Forget(std::span<const RoomId> rooms) override;

    /// The key of a room's list of chat messages (for tests and operators); the other keys start with it.
    std::string ListKey(RoomId room) const;

  private:
    const std::string& Prefix() const { return options_.key_prefix; }
    /// The room's keys in the scripts' order: list, ids, filled, notices, notice ids.
    std::vector<std::string> Keys(RoomId room) const;
    /// Of messages newest first, those among the `capacity` newest of their kind (chat or notice), in order.
    std::vector<const Message*> NewestOfEachKind(const std::vector<const Message*>& newest_first) const;

    RedisPool& pool_;
    const RedisHistoryOptions options_;
    const RedisScript append_;
    const RedisScript fill_;
    const RedisScript recent_;
};

}  // namespace rooms
