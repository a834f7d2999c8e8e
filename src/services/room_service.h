#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/rate_limiter.h"
#include "common/throttled_log.h"
#include "domain/error.h"
#include "domain/ports.h"
#include "domain/time_source.h"

namespace rooms {

/// What bounds room creation (chat.user_rooms_*, chat.max_rooms).
struct RoomLimits {
    RateLimiter* creates_per_user = nullptr;  // keyed "user:<id>"; null: no per-user rate
    std::int64_t max_rooms = 0;               // rooms in all; 0: no cap
};

/// One page of the room list, oldest first.
struct RoomPage {
    std::vector<Room> rooms;
    /// The `after` of the next page; nullopt on the last page.
    std::optional<RoomId> next_after;
};

/// Rooms and who is in them. Every call blocks (stores): call from a worker thread. Thread-safe.
class RoomService {
  public:
    RoomService(RoomStore& rooms, Presence& presence, const TimeSource& time, RoomLimits limits = {})
        : rooms_(rooms), presence_(presence), time_(time), limits_(limits) {}

    /// A room named `name`, created by `creator`. RateLimited (with retry_after_s) past the creator's rate, Conflict
    /// once chat.max_rooms rooms exist: the count is read before the insert, so creations in flight at the same time
    /// may pass the cap by as many as there are of them.
    Result<Room> Create(UserId creator, std::string_view name);
    /// Every room, oldest first (the seed's GET /chat/rooms).
    std::vector<Room> List() { return rooms_.List(); }
    /// At most `limit` rooms after the room `after` (from the first when nullopt), oldest first.
    RoomPage ListPage(std::optional<RoomId> after, int limit);
    /// Changes exactly when the list does (rooms are never deleted or renamed).
    RoomListVersion Version() { return rooms_.Version(); }
    Result<Room> Find(RoomId id);
    /// Nicknames connected to the room now, each once. Unavailable when presence cannot be read (e.g. Redis
    /// is down), logged at most every 10 s. The caller found the room (Find).
    Result<std::vector<std::string>> Clients(RoomId id);

  private:
    RoomStore& rooms_;
    Presence& presence_;
    const TimeSource& time_;
    const RoomLimits limits_;
    ThrottledLog presence_errors_{std::chrono::seconds(10)};
};

}  // namespace rooms
