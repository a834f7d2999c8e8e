#include "services/chat_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <thread>

#include "services/validation.h"

namespace rooms {

std::optional<Error> ChatService::Validate(std::string_view content) const {
    return ValidateMessageContent(content, settings_.max_message_bytes);
}

Message ChatService::Stamp(RoomId room, const Principal& who, MessageType type, std::string content) {
    Message m;
    m.id = ids_.Next();
    m.room_id = room;
    m.user_id = who.user_id;
    m.nickname = who.nickname;
    m.content = std::move(content);
    m.time_created = time_.Now();
    m.type = type;
    return m;
}

std::vector<Message> ChatService::WithRecent(RoomId room, std::vector<Message> newest_first, int limit) const {
    return recent_ ? recent_->AddTo(room, std::move(newest_first), limit) : newest_first;
}

std::vector<Message> SelectJoinHistory(std::vector<Message> newest_first, int limit) {
    const auto wanted = static_cast<std::size_t>(std::max(limit, 0));
    std::size_t chats = 0;
    for (const Message& m : newest_first)
        if (m.type == MessageType::kMessage && chats < wanted) ++chats;
    std::size_t notice_slots = wanted - chats;
    std::vector<Message> out;
    out.reserve(wanted);
    for (Message& m : newest_first) {
        if (out.size() == wanted) break;
        if (m.type == MessageType::kMessage) {
            if (chats == 0) continue;
            --chats;
        } else {
            if (notice_slots == 0) continue;
            --notice_slots;
        }
        out.push_back(std::move(m));
    }
    return out;
}

std::vector<Message> ChatService::StoredHistory(RoomId room, int n) {
    std::vector<Message> rows;
    std::optional<MessageId> before;
    int chats = 0;
    for (int i = 0; i < kHistoryPages; ++i) {
        auto page = store_.Page(room, before, n);
        if (!page.ok()) break;
        const bool last = page->size() < static_cast<std::size_t>(n);
        for (Message& m : page.value()) {
            if (m.type == MessageType::kMessage) ++chats;
            rows.push_back(std::move(m));
        }
        if (last || chats >= n || rows.empty()) break;
        before = rows.back().id;
    }
    return rows;
}

std::vector<Message> ChatService::Recent(RoomId room) {
    if (settings_.history_size == 0) return {};
    const int n = settings_.history_size;
    // The overlay's additions are not cut before the selection: they may be notices.
    const auto join_history = [&](std::vector<Message> newest_first) {
        return SelectJoinHistory(WithRecent(room, std::move(newest_first), std::numeric_limits<int>::max()), n);
    };
    try {
        if (auto cached = cache_.Recent(room, n)) return join_history(std::move(*cached));
        std::vector<Message> rows = StoredHistory(room, n);
        cache_.Fill(room, rows);
        // Fill merges what arrived meanwhile; read back so the answer includes it.
        if (auto cached = cache_.Recent(room, n)) return join_history(std::move(*cached));
        return join_history(std::move(rows));
    } catch (const std::exception& e) {
        // The cache only speeds joins up: without it the store answers, with what it does not hold yet.
        const std::string why = e.what();
        if (cache_errors_.ShouldLog(why)) spdlog::warn("history cache unavailable, reading the store: {}", why);
        return join_history(StoredHistory(room, n));
    }
}

Result<std::vector<Message>> ChatService::Page(RoomId room, std::optional<MessageId> before, int limit) {
    if (!before) {
        auto page = store_.Page(room, std::nullopt, limit);
        if (!page.ok()) return page;
        return WithRecent(room, std::move(page.value()), limit);
    }
    const auto deadline = time_.Monotonic() + std::chrono::milliseconds(settings_.pending_wait_ms);
    for (;;) {
        auto page = store_.Page(room, before, limit);
        if (page.ok() || page.error().code != ErrorCode::kNotFound || !recent_ || !recent_->Holds(room, *before) ||
            time_.Monotonic() >= deadline)
            return page;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace rooms
