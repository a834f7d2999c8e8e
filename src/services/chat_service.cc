#include "services/chat_service.h"

#include <spdlog/spdlog.h>

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

std::vector<Message> ChatService::Recent(RoomId room) {
    if (settings_.history_size == 0) return {};
    const int n = settings_.history_size;
    auto stored = [&] {
        auto page = store_.Page(room, std::nullopt, n);
        return page.ok() ? std::move(page.value()) : std::vector<Message>{};
    };
    try {
        if (auto cached = cache_.Recent(room, n)) return WithRecent(room, std::move(*cached), n);
        std::vector<Message> rows = stored();
        cache_.Fill(room, rows);
        // Fill merges what arrived meanwhile; read back so the answer includes it.
        if (auto cached = cache_.Recent(room, n)) return WithRecent(room, std::move(*cached), n);
        return WithRecent(room, std::move(rows), n);
    } catch (const std::exception& e) {
        // The cache only speeds joins up: without it the store answers, with what it does not hold yet.
        const std::string why = e.what();
        if (cache_errors_.ShouldLog(why)) spdlog::warn("history cache unavailable, reading the store: {}", why);
        return WithRecent(room, stored(), n);
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
