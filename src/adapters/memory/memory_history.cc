#include "adapters/memory/memory_history.h"

#include <algorithm>
#include <unordered_set>

namespace rooms {

namespace {

bool IsNotice(const Message& m) { return m.type != MessageType::kMessage; }

// A string's heap block: none while it fits the small-string buffer.
std::size_t HeapBytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

}  // namespace

std::size_t MemoryHistoryCache::MessageBytes(const Message& m) {
    return sizeof(Message) + HeapBytes(m.content) + HeapBytes(m.nickname);
}

MemoryHistoryCache::RoomHistory& MemoryHistoryCache::TouchLocked(RoomId room) {
    auto [it, fresh] = rooms_.try_emplace(room);
    RoomHistory& h = it->second;
    if (fresh) {
        h.lru = lru_.insert(lru_.end(), room);
        bytes_ += h.bytes;
    } else {
        lru_.splice(lru_.end(), lru_, h.lru);
    }
    return h;
}

void MemoryHistoryCache::PushLocked(RoomHistory& h, Message m) {
    const std::size_t b = MessageBytes(m);
    ++(IsNotice(m) ? h.notices : h.chats);
    h.oldest_first.push_back(std::move(m));
    h.bytes += b;
    bytes_ += b;
}

void MemoryHistoryCache::PopLocked(RoomHistory& h, const std::deque<Message>::iterator& it) {
    const std::size_t b = MessageBytes(*it);
    --(IsNotice(*it) ? h.notices : h.chats);
    h.oldest_first.erase(it);
    h.bytes -= b;
    bytes_ -= b;
}

void MemoryHistoryCache::TrimLocked(RoomHistory& h) {
    // One chat message too many: it goes, with the notices older than it (a join history of `capacity` chat
    // messages has no room for them).
    while (h.chats > capacity_) {
        bool chat = false;
        while (!chat) {
            chat = !IsNotice(h.oldest_first.front());
            PopLocked(h, h.oldest_first.begin());
        }
    }
    while (h.notices > capacity_) PopLocked(h, std::find_if(h.oldest_first.begin(), h.oldest_first.end(), IsNotice));
}

void MemoryHistoryCache::EvictLocked(RoomId keep) {
    while (bytes_ > budget_ && !lru_.empty()) {
        const RoomId victim = lru_.front();
        if (victim == keep) break;  // the only room left: kept alone
        auto it = rooms_.find(victim);
        bytes_ -= it->second.bytes;
        lru_.pop_front();
        rooms_.erase(it);
        ++evictions_;
    }
}

void MemoryHistoryCache::Append(const Message& message) {
    if (budget_ == 0) return;
    std::lock_guard lock(mu_);
    RoomHistory& h = TouchLocked(message.room_id);
    PushLocked(h, message);
    TrimLocked(h);
    EvictLocked(message.room_id);
}

std::optional<std::vector<Message>> MemoryHistoryCache::Recent(RoomId room, int limit) {
    std::lock_guard lock(mu_);
    auto it = rooms_.find(room);
    if (it == rooms_.end() || !it->second.filled) return std::nullopt;
    lru_.splice(lru_.end(), lru_, it->second.lru);
    const auto wanted = static_cast<std::size_t>(std::max(limit, 0));
    std::vector<Message> out;
    std::size_t chats = 0, notices = 0;
    for (auto m = it->second.oldest_first.rbegin(); m != it->second.oldest_first.rend(); ++m) {
        if (IsNotice(*m)) {
            if (notices < wanted) {
                out.push_back(*m);
                ++notices;
            }
        } else {
            if (chats == wanted) break;
            out.push_back(*m);
            ++chats;
        }
    }
    return out;
}

void MemoryHistoryCache::Fill(RoomId room, std::vector<Message> newest_first) {
    if (budget_ == 0) return;
    std::lock_guard lock(mu_);
    RoomHistory& h = TouchLocked(room);
    if (h.filled) return;
    // Everything appended since start (or since the room was dropped) is newer than anything stored before it; the
    // store may already hold some of the appended ones, so skip those.
    std::unordered_set<MessageId> appended;
    for (const auto& m : h.oldest_first) appended.insert(m.id);
    std::deque<Message> appended_messages = std::move(h.oldest_first);
    h.oldest_first.clear();
    bytes_ -= h.bytes - kRoomBytes;
    h.bytes = kRoomBytes;
    h.chats = h.notices = 0;
    for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it)
        if (!appended.contains(it->id)) PushLocked(h, std::move(*it));
    for (auto& m : appended_messages) PushLocked(h, std::move(m));
    h.filled = true;
    TrimLocked(h);
    EvictLocked(room);
}

std::size_t MemoryHistoryCache::bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
}

std::size_t MemoryHistoryCache::rooms() const {
    std::lock_guard lock(mu_);
    return rooms_.size();
}

std::uint64_t MemoryHistoryCache::evictions() const {
    std::lock_guard lock(mu_);
    return evictions_;
}

}  // namespace rooms
