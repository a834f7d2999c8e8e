#include "adapters/memory/memory_history.h"

#include <unordered_set>

namespace rooms {

void MemoryHistoryCache::Trim(RoomHistory& h) const {
    while (h.oldest_first.size() > capacity_) h.oldest_first.pop_front();
}

void MemoryHistoryCache::Append(const Message& message) {
    std::lock_guard lock(mu_);
    auto& h = rooms_[message.room_id];
    h.oldest_first.push_back(message);
    Trim(h);
}

std::optional<std::vector<Message>> MemoryHistoryCache::Recent(RoomId room, int limit) {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(room);
    if (it == rooms_.end() || !it->second.filled) return std::nullopt;
    const auto& q = it->second.oldest_first;
    const std::size_t n = std::min(q.size(), static_cast<std::size_t>(limit));
    return std::vector<Message>(q.rbegin(), q.rbegin() + static_cast<std::ptrdiff_t>(n));
}

void MemoryHistoryCache::Fill(RoomId room, std::vector<Message> newest_first) {
    std::lock_guard lock(mu_);
    auto& h = rooms_[room];
    if (h.filled) return;
    // Everything appended since start is newer than anything stored before it; the store may already
    // hold some of the appended ones, so skip those.
    std::unordered_set<MessageId> appended;
    for (const auto& m : h.oldest_first) appended.insert(m.id);
    std::deque<Message> merged;
    for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it)
        if (!appended.contains(it->id)) merged.push_back(std::move(*it));
    for (auto& m : h.oldest_first) merged.push_back(std::move(m));
    h.oldest_first = std::move(merged);
    h.filled = true;
    Trim(h);
}

}  // namespace rooms
