#include "services/room_service.h"

#include <spdlog/spdlog.h>

#include "services/validation.h"

namespace rooms {

Result<Room> RoomService::Create(std::string_view name) {
    if (auto err = ValidateRoomName(name)) return *err;
    return rooms_.Create(name, time_.Now());
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
