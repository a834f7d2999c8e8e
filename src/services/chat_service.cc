#include "services/chat_service.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "services/validation.h"

namespace rooms {

std::optional<Error> ChatService::Validate(std::string_view content) const {
    return ValidateMessageContent(content, options_.max_message_bytes);
}

Message ChatService::Stamp(RoomId room, const Principal& who, MessageType type, std::string content) {
    Message m;
    m.id = ids_.Next();
    m.room_id = room;
    m.user_id = who.user_id;
    m.nickname = who.nickname;
    m.content = std::move(content);
    m.time_created = Now();
    m.type = type;
    return m;
}

std::vector<Message> ChatService::Recent(RoomId room) {
    if (options_.history_size == 0) return {};
    const int n = options_.history_size;
    auto stored = [&] {
        auto page = store_.Page(room, std::nullopt, n);
        return page.ok() ? std::move(page.value()) : std::vector<Message>{};
    };
    try {
        if (auto cached = cache_.Recent(room, n)) return std::move(*cached);
        std::vector<Message> rows = stored();
        cache_.Fill(room, rows);
        // Fill merges what arrived meanwhile; read back so the answer includes it.
        if (auto cached = cache_.Recent(room, n)) return std::move(*cached);
        return rows;
    } catch (const std::exception& e) {
        // The cache only speeds joins up: without it the store answers, with what it does not hold yet.
        const std::string why = e.what();
        if (cache_errors_.ShouldLog(why)) spdlog::warn("history cache unavailable, reading the store: {}", why);
        return cache_.WithPending(room, stored(), n);
    }
}

Result<std::vector<Message>> ChatService::Page(RoomId room, std::optional<MessageId> before, int limit) {
    if (!before) {
        auto page = store_.Page(room, std::nullopt, limit);
        if (!page.ok()) return page;
        return cache_.WithPending(room, std::move(page.value()), limit);
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.pending_wait;
    for (;;) {
        auto page = store_.Page(room, before, limit);
        if (page.ok() || page.error().code != ErrorCode::kNotFound || !cache_.Pending(room, *before) ||
            std::chrono::steady_clock::now() >= deadline)
            return page;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace rooms
