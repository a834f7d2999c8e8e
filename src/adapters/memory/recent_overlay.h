#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "domain/ports.h"

namespace rooms {

struct RecentOverlayOptions {
    int per_room = 100;                        // the history size: no join needs more
    std::chrono::milliseconds window{30'000};  // how long a message is kept
    std::size_t max_messages = 200'000;        // across all rooms; the oldest go first
};

/// Closes the gap between "accepted" and "persisted" for a gateway. Messages reach the shared history cache
/// only when a consumer has written them, a batch later; a user joining meanwhile would miss them. As a
/// MessageSink in front of the hub, this keeps the messages the gateway fanned out in the last `window`; as
/// a HistoryCache in front of the shared one, it adds those the shared cache does not hold yet to each
/// join's history. Messages arrive here in acceptance order per room, the order of the cache, so what is
/// missing from the cache is the newest part of what is kept here. Bounded per room, in age and in total.
/// Thread-safe.
class RecentOverlay : public HistoryCache, public MessageSink {
  public:
    using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

    RecentOverlay(
        HistoryCache& shared, MessageSink& next, RecentOverlayOptions options,
        SteadyClock clock = [] { return std::chrono::steady_clock::now(); })
        : shared_(shared), next_(next), options_(options), clock_(std::move(clock)) {}

    // MessageSink: remember, then pass on (so a join that missed the fan-out finds it here).
    void OnMessage(const Message& message) override;

    // HistoryCache: the shared cache plus what it does not hold yet.
    void Append(const Message& message) override { shared_.Append(message); }
    void AppendBatch(std::span<const Message> messages) override { shared_.AppendBatch(messages); }
    std::optional<std::vector<Message>> Recent(RoomId room, int limit) override;
    void Fill(RoomId room, std::vector<Message> newest_first) override { shared_.Fill(room, std::move(newest_first)); }
    void Forget(std::span<const RoomId> rooms) override { shared_.Forget(rooms); }
    /// Kept here: fanned out in the last `window`.
    bool Pending(RoomId room, MessageId id) override;
    std::vector<Message> WithPending(RoomId room, std::vector<Message> newest_first, int limit) override;

    std::size_t size() const;

  private:
    struct Entry {
        std::uint64_t seq;
        std::chrono::steady_clock::time_point at;
        Message message;
    };
    struct Arrival {
        std::uint64_t seq;
        std::chrono::steady_clock::time_point at;
        RoomId room;
    };
    void ExpireLocked(std::chrono::steady_clock::time_point now);
    void DropFrontLocked(RoomId room, std::uint64_t seq);

    HistoryCache& shared_;
    MessageSink& next_;
    const RecentOverlayOptions options_;
    const SteadyClock clock_;

    mutable std::mutex mu_;
    std::unordered_map<RoomId, std::deque<Entry>> rooms_;  // oldest first
    std::deque<Arrival> arrivals_;                         // every kept message, oldest first
    std::uint64_t next_seq_ = 0;
    std::size_t size_ = 0;
};

}  // namespace rooms
