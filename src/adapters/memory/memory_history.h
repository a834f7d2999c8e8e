#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <unordered_map>

#include "domain/ports.h"

namespace rooms {

/// The newest `capacity` chat messages of each room, and the newest `capacity` join/leave notices, in memory, within
/// a byte budget over all rooms: chat messages and notices are counted apart, so a join/leave storm never pushes chat
/// messages out (the join history prefers them, ChatService). A room is a miss until it was filled from the store
/// once; messages appended before that are kept and merged in by Fill, so none is lost to the race between a store
/// read and new messages.
///
/// The budget bounds what the cache holds (an estimate of the heap it uses: the messages' strings and bookkeeping),
/// however many rooms there are: when an append or a fill takes it over, the least recently used rooms (appended to,
/// read or filled longest ago) are dropped whole until it fits again, the room just used last. A dropped room is a
/// miss again: its next join reads the store, which holds every message the cache had. One room larger than the
/// whole budget is kept alone. A budget of 0 caches nothing. Thread-safe.
class MemoryHistoryCache : public HistoryCache {
  public:
    /// `capacity`: messages per room (chat.history_size); `budget_bytes`: chat.history_cache_bytes.
    explicit MemoryHistoryCache(int capacity, std::int64_t budget_bytes = std::int64_t{64} << 20)
        : capacity_(static_cast<std::size_t>(capacity)), budget_(static_cast<std::size_t>(budget_bytes)) {}

    void Append(const Message& message) override;
    /// Newest first: up to the `limit`-th newest chat message, with at most `limit` notices among and after them.
    std::optional<std::vector<Message>> Recent(RoomId room, int limit) override;
    void Fill(RoomId room, std::vector<Message> newest_first) override;

    /// The estimated bytes held now (never above the budget but for one room larger than it).
    std::size_t bytes() const;
    std::size_t rooms() const;
    /// Rooms dropped to keep within the budget, since start.
    std::uint64_t evictions() const;

    /// The estimate charged for one cached message.
    static std::size_t MessageBytes(const Message& m);
    /// The estimate charged for a room besides its messages: its map and LRU nodes and the deque's first block.
    static constexpr std::size_t kRoomBytes = 768;

  private:
    struct RoomHistory {
        bool filled = false;
        std::deque<Message> oldest_first;
        std::size_t bytes = kRoomBytes;
        std::size_t chats = 0;            // chat messages in oldest_first
        std::size_t notices = 0;          // join/leave notices in oldest_first
        std::list<RoomId>::iterator lru;  // its place in lru_
    };
    using Rooms = std::unordered_map<RoomId, RoomHistory>;

    /// The room's entry, created when absent, made the most recently used.
    RoomHistory& TouchLocked(RoomId room);
    void PushLocked(RoomHistory& h, Message m);
    void PopLocked(RoomHistory& h, const std::deque<Message>::iterator& it);
    void TrimLocked(RoomHistory& h);
    /// Drops least recently used rooms, never `keep`, until the budget holds.
    void EvictLocked(RoomId keep);

    const std::size_t capacity_;
    const std::size_t budget_;
    mutable std::mutex mu_;
    Rooms rooms_;
    std::list<RoomId> lru_;  // least recently used first
    std::size_t bytes_ = 0;
    std::uint64_t evictions_ = 0;
};

}  // namespace rooms
