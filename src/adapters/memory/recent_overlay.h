#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "domain/ports.h"
#include "domain/time_source.h"

namespace rooms {

struct RecentOverlayOptions {
    int per_room;                      // the history size (chat.history_size): no join needs more; 0 keeps nothing
    std::chrono::milliseconds window;  // how long a message is kept (kafka.recent_window_ms)
    std::size_t max_messages;          // across all rooms; the oldest go first
};

/// Closes the gap between "accepted" and "persisted" for a gateway. Messages reach the store and the shared
/// history cache only when a consumer has written them, a batch later; a user joining meanwhile would miss them.
/// As a MessageSink in front of the hub, this keeps the messages the gateway fanned out in the last `window`; as
/// RecentMessages it adds those a history read lacks. Messages arrive here in acceptance order per room, the
/// order of the cache and the store, so what they lack is the newest part of what is kept here. Bounded per
/// room, in age and in total. Thread-safe.
class RecentOverlay : public RecentMessages, public MessageSink {
  public:
    RecentOverlay(MessageSink& next, RecentOverlayOptions options, const TimeSource& time)
        : next_(next), options_(options), time_(time) {}

    // MessageSink: remember, then pass on (so a join that missed the fan-out finds it here).
    void OnMessage(const Message& message) override;

    // RecentMessages: what was fanned out in the last `window`.
    bool Holds(RoomId room, MessageId id) override;
    std::vector<Message> AddTo(RoomId room, std::vector<Message> newest_first, int limit) override;

    std::size_t size() const;

  private:
    struct Entry {
        std::uint64_t seq = 0;
        MonotonicTime at;
        Message message;
    };
    struct Arrival {
        std::uint64_t seq = 0;
        MonotonicTime at;
        RoomId room = 0;
    };
    void ExpireLocked(MonotonicTime now);
    void DropFrontLocked(RoomId room, std::uint64_t seq);

    MessageSink& next_;
    const RecentOverlayOptions options_;
    const TimeSource& time_;

    mutable std::mutex mu_;
    std::unordered_map<RoomId, std::deque<Entry>> rooms_;  // oldest first
    std::deque<Arrival> arrivals_;                         // every kept message, oldest first
    std::uint64_t next_seq_ = 0;
    std::size_t size_ = 0;
};

}  // namespace rooms
