#include "adapters/memory/memory_presence.h"

#include <algorithm>
#include <set>

namespace rooms {

void MemoryPresence::Add(RoomId room, const ConnectionId& connection, UserId user, std::string_view nickname) {
    std::lock_guard lock(mu_);
    rooms_[room][connection] = Entry{user, std::string(nickname)};
}

void MemoryPresence::Remove(RoomId room, const ConnectionId& connection) {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(room);
    if (it == rooms_.end()) return;
    it->second.erase(connection);
    if (it->second.empty()) rooms_.erase(it);
}

std::vector<std::string> MemoryPresence::Online(RoomId room) {
    std::map<UserId, std::string> users;
    {
        std::lock_guard lock(mu_);
        auto it = rooms_.find(room);
        if (it == rooms_.end()) return {};
        for (const auto& [conn, entry] : it->second) users.emplace(entry.user, entry.nickname);
    }
    std::vector<std::string> out;
    out.reserve(users.size());
    for (auto& [id, nick] : users) out.push_back(std::move(nick));
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace rooms
