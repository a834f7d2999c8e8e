#include "services/best_effort_history.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace rooms {

void BestEffortHistory::Write(std::span<const Message> batch) {
    try {
        if (!stale_.empty()) {
            const std::vector<RoomId> rooms(stale_.begin(), stale_.end());
            cache_.Forget(rooms);
            spdlog::info("history cache: back; dropped the cached history of {} rooms written meanwhile", rooms.size());
            stale_.clear();
        }
        cache_.AppendBatch(batch);
        std::lock_guard lock(mu_);
        problem_.reset();
        stale_count_ = 0;
    } catch (const std::exception& e) {
        for (const Message& m : batch) stale_.insert(m.room_id);
        const std::string why = e.what();
        if (log_.ShouldLog(why)) {
            spdlog::warn(
                "history cache: {}; messages are still stored, the cache of {} rooms is dropped when it answers", why,
                stale_.size());
        }
        std::lock_guard lock(mu_);
        problem_ = why + " (" + std::to_string(stale_.size()) + " rooms to refresh when it answers)";
        stale_count_ = stale_.size();
    }
}

std::optional<std::string> BestEffortHistory::Health() const {
    std::lock_guard lock(mu_);
    return problem_;
}

std::size_t BestEffortHistory::StaleRooms() const {
    std::lock_guard lock(mu_);
    return stale_count_;
}

}  // namespace rooms
