#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/id_generator.h"
#include "common/throttled_log.h"
#include "domain/error.h"
#include "domain/ports.h"

namespace rooms {

struct ChatOptions {
    int history_size = 100;
    std::int64_t max_message_bytes = 4096;
    std::chrono::milliseconds pending_wait{5000};
};

/// Accepting messages and reading history. Thread-safe.
class ChatService {
  public:
    ChatService(MessageBus& bus, HistoryCache& cache, MessageStore& store, IdGenerator& ids, ChatOptions options)
        : bus_(bus), cache_(cache), store_(store), ids_(ids), options_(options) {}

    /// Why `content` cannot be sent, or nullopt. Cheap.
    std::optional<Error> Validate(std::string_view content) const;

    /// A new message from `who`, stamped with a fresh id and the current time.
    Message Stamp(RoomId room, const Principal& who, MessageType type, std::string content);

    /// Hands the message to the bus; `done` tells whether it was accepted. Non-blocking.
    void Publish(Message message, MessageBus::DeliveryHandler done) {
        bus_.Publish(std::move(message), std::move(done));
    }

    /// The newest `history_size` messages, newest first: from the cache, else from the store (filling the
    /// cache); from the store also when the cache fails (e.g. Redis is down), and then logged at most every
    /// 10 s. Blocks; the store's failures propagate.
    std::vector<Message> Recent(RoomId room);

    /// Scroll-back: messages older than `before` (the newest when nullopt), newest first. Blocks. The
    /// distributed roles store a message a consumer batch after accepting it: the newest page adds those
    /// accepted but not stored yet, and a `before` of that kind is waited for, up to `pending_wait`, rather
    /// than called unknown.
    Result<std::vector<Message>> Page(RoomId room, std::optional<MessageId> before, int limit);

    const ChatOptions& options() const { return options_; }

  private:
    MessageBus& bus_;
    HistoryCache& cache_;
    MessageStore& store_;
    IdGenerator& ids_;
    ChatOptions options_;
    ThrottledLog cache_errors_{std::chrono::seconds(10)};
};

}  // namespace rooms
