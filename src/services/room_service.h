#pragma once

#include <string_view>
#include <vector>

#include "common/throttled_log.h"
#include "domain/error.h"
#include "domain/ports.h"
#include "domain/time_source.h"

namespace rooms {

/// Rooms and who is in them. Every call blocks (stores): call from a worker thread. Thread-safe.
class RoomService {
  public:
    RoomService(RoomStore& rooms, Presence& presence, const TimeSource& time)
        : rooms_(rooms), presence_(presence), time_(time) {}

    Result<Room> Create(std::string_view name);
    std::vector<Room> List() { return rooms_.List(); }
    Result<Room> Find(RoomId id);
    /// Nicknames connected to the room now, each once. Unavailable when presence cannot be read (e.g. Redis
    /// is down), logged at most every 10 s. The caller found the room (Find).
    Result<std::vector<std::string>> Clients(RoomId id);

  private:
    RoomStore& rooms_;
    Presence& presence_;
    const TimeSource& time_;
    ThrottledLog presence_errors_{std::chrono::seconds(10)};
};

}  // namespace rooms
