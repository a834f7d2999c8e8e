#pragma once

#include <map>
#include <mutex>
#include <unordered_map>

#include "domain/ports.h"

namespace rooms {

/// Presence of the `all` role: connections per room in a map. Thread-safe, never blocks for long.
class MemoryPresence : public Presence {
  public:
    void Add(RoomId room, const ConnectionId& connection, UserId user, std::string_view nickname) override;
    void Remove(RoomId room, const ConnectionId& connection) override;
    std::vector<std::string> Online(RoomId room) override;

  private:
    struct Entry {
        UserId user = 0;
        std::string nickname;
    };
    std::mutex mu_;
    std::unordered_map<RoomId, std::map<ConnectionId, Entry>> rooms_;
};

}  // namespace rooms
