#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/id_generator.h"
#include "common/settings.h"
#include "common/throttled_log.h"
#include "domain/error.h"
#include "domain/ports.h"
#include "domain/time_source.h"

namespace rooms {

/// The join history out of `newest_first` (newest first, as read): the newest `limit` chat messages, and in the
/// slots they leave the newest join/leave notices, in their order. A notice never takes a chat message's place.
std::vector<Message> SelectJoinHistory(std::vector<Message> newest_first, int limit);

/// Accepting messages and reading a room's history. Thread-safe.
class ChatService {
  public:
    /// `recent` may be null: nothing is accepted before it is stored (role all). Uses chat.history_size,
    /// chat.max_message_bytes and chat.pending_wait_ms.
    ChatService(MessageBus& bus, HistoryCache& cache, MessageStore& store, IdGenerator& ids, RecentMessages* recent,
                const ChatSettings& settings, const TimeSource& time)
        : bus_(bus), cache_(cache), store_(store), ids_(ids), recent_(recent), settings_(settings), time_(time) {}

    /// Why `content` cannot be sent, or nullopt. Cheap.
    std::optional<Error> Validate(std::string_view content) const;

    /// A new message from `who`, stamped with a fresh id and the current time.
    Message Stamp(RoomId room, const Principal& who, MessageType type, std::string content);

    /// Hands the message to the bus; `done` tells whether it was accepted. Non-blocking.
    void Publish(Message message, MessageBus::DeliveryHandler done) {
        bus_.Publish(std::move(message), std::move(done));
    }

    /// The join history, newest first: the newest `chat.history_size` chat messages, with the newest notices in the
    /// slots they leave (SelectJoinHistory); from the cache, else from the store (filling the cache; read back past
    /// notices, at most kHistoryPages pages); from the store also when the cache fails (e.g. Redis is down), and then
    /// logged at most every 10 s; with the recent messages neither holds yet. Blocks; the store's failures propagate.
    std::vector<Message> Recent(RoomId room);

    /// Scroll-back: messages older than `before` (the newest when nullopt), newest first. Blocks. The newest page
    /// adds the recent messages the store does not hold yet, and a `before` of that kind is waited for, up to
    /// chat.pending_wait_ms, rather than called unknown.
    Result<std::vector<Message>> Page(RoomId room, std::optional<MessageId> before, int limit);

    /// Store pages a join reads at most to find chat.history_size chat messages behind notices.
    static constexpr int kHistoryPages = 10;

  private:
    /// Newest first, from the store: pages of `n` until `n` chat messages, the room's first message or
    /// kHistoryPages pages.
    std::vector<Message> StoredHistory(RoomId room, int n);
    std::vector<Message> WithRecent(RoomId room, std::vector<Message> newest_first, int limit) const;

    MessageBus& bus_;
    HistoryCache& cache_;
    MessageStore& store_;
    IdGenerator& ids_;
    RecentMessages* const recent_;
    const ChatSettings settings_;
    const TimeSource& time_;
    ThrottledLog cache_errors_{std::chrono::seconds(10)};
};

}  // namespace rooms
