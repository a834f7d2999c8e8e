#include "services/room_service.h"

#include <spdlog/spdlog.h>

#include <string>

#include "services/validation.h"

namespace rooms {

Result<Room> RoomService::Create(UserId creator, std::string_view name) {
    if (auto err = ValidateRoomName(name)) return *err;
    if (limits_.creates_per_user) {
        const auto decision = limits_.creates_per_user->Take("user:" + std::to_string(creator));
        if (!decision.allowed) {
            Error e{ErrorCode::kRateLimited, "too many rooms created, slow down"};
            e.retry_after_s = decision.retry_after_s;
            return e;
        }
    }
    if (limits_.max_rooms > 0 && rooms_.Version().count >= limits_.max_rooms)
        return Conflict("room limit reached: this server holds " + std::to_string(limits_.max_rooms) + " rooms");
    return rooms_.Create(name, time_.Now());
}

RoomPage RoomService::ListPage(std::optional<RoomId> after, int limit) {
    RoomPage page;
    page.rooms = rooms_.ListPage(after, limit + 1);  // one more tells whether a next page exists
    if (page.rooms.size() > static_cast<std::size_t>(limit)) {
        page.rooms.resize(static_cast<std::size_t>(limit));
        page.next_after = page.rooms.back().id;
    }
    return page;
}

Result<Room> RoomService::Find(RoomId id) {
    auto room = rooms_.Find(id);
    if (!room) return NotFound("room not found");
    return *room;
}

Result<std::vector<std::string>> RoomService::Clients(RoomId id) {
    try {
        return presence_.Online(id);
    } catch (const std::exception& e) {
        const std::string why = e.what();
        if (presence_errors_.ShouldLog(why)) spdlog::warn("presence unavailable: {}", why);
        return Unavailable("who is online is unknown right now: presence is unavailable");
    }
}

}  // namespace rooms
