#pragma once

#include <deque>
#include <mutex>
#include <unordered_map>

#include "domain/ports.h"

namespace rooms {

/// The newest `capacity` messages of each room, in memory. A room is a miss until it was filled from the
/// store once; messages appended before that are kept and merged in by Fill, so none is lost to the race
/// between a store read and new messages. Thread-safe.
class MemoryHistoryCache : public HistoryCache {
  public:
    explicit MemoryHistoryCache(int capacity) : capacity_(static_cast<std::size_t>(capacity)) {}

    void Append(const Message& message) override;
    std::optional<std::vector<Message>> Recent(RoomId room, int limit) override;
    void Fill(RoomId room, std::vector<Message> newest_first) override;

  private:
    struct RoomHistory {
        bool filled = false;
        std::deque<Message> oldest_first;
    };
    void Trim(RoomHistory& h) const;

    const std::size_t capacity_;
    std::mutex mu_;
    std::unordered_map<RoomId, RoomHistory> rooms_;
};

}  // namespace rooms
