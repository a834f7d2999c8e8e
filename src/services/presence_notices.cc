#include "services/presence_notices.h"

#include <spdlog/spdlog.h>

#include <iterator>
#include <optional>
#include <string>

namespace rooms {

PresenceNotices::~PresenceNotices() {
    try {
        std::vector<Ended> ended;
        {
            std::lock_guard lock(mu_);
            ended = TakeDueLocked(time_.Monotonic(), true);
        }
        End(ended);
    } catch (const std::exception& e) {
        spdlog::warn("presence: leaves not published at shutdown: {}", e.what());
    }
}

void PresenceNotices::Arrived(RoomId room, const Principal& who, const ConnectionId& connection) {
    try {
        presence_.Add(room, connection, who.user_id, who.nickname);
    } catch (const std::exception& e) {
        // The adapter lists the connection again once it can.
        spdlog::warn("ws room={} conn={}: presence: {}", room, connection, e.what());
    }
    std::optional<ConnectionId> continued;
    bool announce = false;
    {
        std::lock_guard lock(mu_);
        UserInRoom& u = users_[{room, who.user_id}];
        u.who = who;
        if (!u.leaving.empty()) {
            Leaving prev = std::move(u.leaving.front());
            u.leaving.pop_front();
            --pending_;
            u.present[connection] = prev.announced;
            continued = std::move(prev.connection);
        } else {
            announce = per_user_.Take("user:" + std::to_string(who.user_id)).allowed;
            u.present[connection] = announce;
        }
    }
    if (continued) Unlist(room, *continued);
    if (announce) Publish(room, who, MessageType::kJoin);
}

void PresenceNotices::Departed(RoomId room, const Principal& who, const ConnectionId& connection) {
    std::vector<Ended> ended;
    {
        std::lock_guard lock(mu_);
        auto it = users_.find({room, who.user_id});
        if (it == users_.end()) return;
        UserInRoom& u = it->second;
        auto p = u.present.find(connection);
        if (p == u.present.end()) return;
        const bool announced = p->second;
        u.present.erase(p);
        if (grace_.count() == 0) {
            ended.push_back(Ended{room, who, connection, announced});
            if (u.present.empty() && u.leaving.empty()) users_.erase(it);
        } else {
            u.leaving.push_back(Leaving{connection, time_.Monotonic() + grace_, announced});
            ++pending_;
        }
    }
    End(ended);
}

std::size_t PresenceNotices::PublishDue() {
    std::vector<Ended> ended;
    {
        std::lock_guard lock(mu_);
        if (pending_ == 0) return 0;
        ended = TakeDueLocked(time_.Monotonic(), false);
    }
    End(ended);
    return ended.size();
}

std::size_t PresenceNotices::pending() const {
    std::lock_guard lock(mu_);
    return pending_;
}

std::vector<PresenceNotices::Ended> PresenceNotices::TakeDueLocked(MonotonicTime now, bool all) {
    std::vector<Ended> ended;
    for (auto it = users_.begin(); it != users_.end();) {
        UserInRoom& u = it->second;
        while (!u.leaving.empty() && (all || u.leaving.front().due <= now)) {
            ended.push_back(
                Ended{it->first.first, u.who, std::move(u.leaving.front().connection), u.leaving.front().announced});
            u.leaving.pop_front();
            --pending_;
        }
        it = u.present.empty() && u.leaving.empty() ? users_.erase(it) : std::next(it);
    }
    return ended;
}

void PresenceNotices::End(const std::vector<Ended>& ended) {
    for (const Ended& e : ended) {
        Unlist(e.room, e.connection);
        if (e.announce) Publish(e.room, e.who, MessageType::kLeave);
    }
}

void PresenceNotices::Publish(RoomId room, const Principal& who, MessageType type) {
    const std::string_view content = type == MessageType::kJoin ? kJoinedContent : kLeftContent;
    chat_.Publish(chat_.Stamp(room, who, type, std::string(content)), [](const std::optional<Error>&) {});
}

void PresenceNotices::Unlist(RoomId room, const ConnectionId& connection) {
    try {
        presence_.Remove(room, connection);
    } catch (const std::exception& e) {
        spdlog::error("ws room={} conn={}: presence: {}", room, connection, e.what());
    }
}

}  // namespace rooms
