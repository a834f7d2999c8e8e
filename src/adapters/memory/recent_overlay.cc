#include "adapters/memory/recent_overlay.h"

#include <algorithm>
#include <unordered_set>

namespace rooms {

void RecentOverlay::DropFrontLocked(RoomId room, std::uint64_t seq) {
    auto it = rooms_.find(room);
    if (it == rooms_.end() || it->second.empty() || it->second.front().seq != seq) return;  // gone already
    it->second.pop_front();
    --size_;
    if (it->second.empty()) rooms_.erase(it);
}

void RecentOverlay::ExpireLocked(MonotonicTime now) {
    while (!arrivals_.empty() &&
           (now - arrivals_.front().at >= options_.window || arrivals_.size() > options_.max_messages)) {
        DropFrontLocked(arrivals_.front().room, arrivals_.front().seq);
        arrivals_.pop_front();
    }
}

void RecentOverlay::OnMessage(const Message& message) {
    if (options_.per_room > 0) {
        const auto now = time_.Monotonic();
        std::lock_guard lock(mu_);
        const std::uint64_t seq = next_seq_++;
        auto& q = rooms_[message.room_id];
        q.push_back(Entry{seq, now, message});
        ++size_;
        if (q.size() > static_cast<std::size_t>(options_.per_room)) {
            q.pop_front();  // its arrival record finds it gone
            --size_;
        }
        arrivals_.push_back(Arrival{seq, now, message.room_id});
        ExpireLocked(now);
    }
    next_.OnMessage(message);
}

std::vector<Message> RecentOverlay::AddTo(RoomId room, std::vector<Message> newest_first, int limit) {
    std::vector<Message> missing;  // newest first
    {
        const auto now = time_.Monotonic();
        std::lock_guard lock(mu_);
        ExpireLocked(now);
        auto it = rooms_.find(room);
        if (it == rooms_.end()) return newest_first;
        std::unordered_set<MessageId> held;
        for (const auto& m : newest_first) held.insert(m.id);
        // Newest backwards until the first one already held: everything older is held, or older still.
        for (auto e = it->second.rbegin(); e != it->second.rend(); ++e) {
            if (held.contains(e->message.id)) break;
            missing.push_back(e->message);
        }
    }
    if (missing.empty()) return newest_first;
    missing.insert(missing.end(), std::make_move_iterator(newest_first.begin()),
                   std::make_move_iterator(newest_first.end()));
    if (missing.size() > static_cast<std::size_t>(limit)) missing.resize(static_cast<std::size_t>(limit));
    return missing;
}

bool RecentOverlay::Holds(RoomId room, MessageId id) {
    const auto now = time_.Monotonic();
    std::lock_guard lock(mu_);
    ExpireLocked(now);
    auto it = rooms_.find(room);
    return it != rooms_.end() &&
           std::any_of(it->second.rbegin(), it->second.rend(), [id](const Entry& e) { return e.message.id == id; });
}

std::size_t RecentOverlay::size() const {
    std::lock_guard lock(mu_);
    return size_;
}

}  // namespace rooms
