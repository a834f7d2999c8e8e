#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/rate_limiter.h"
#include "domain/ports.h"
#include "domain/time_source.h"
#include "services/chat_service.h"

namespace rooms {

/// The join and leave notices of a gateway's connections, and their presence: debounced and rate limited, so a
/// reconnect storm cannot flood a room's fan-out and history.
///
///   Arrived   a connection is listed as present. A connection of the same user to the same room that departed
///             less than `grace` ago is continued by it: that one's leave and this one's join are never announced,
///             and the user stays listed all along. Otherwise the join is announced, if the user's notice bucket
///             (chat.user_notices_*) has a token; a join that is not announced has a silent leave too.
///   Departed  the connection's leave waits `grace` (chat.presence_grace_ms; 0: it happens at once): until then the
///             connection stays listed, and an arrival may continue it.
///   PublishDue ends the leaves whose grace is over (called every so often by a ticker).
///
/// Per gateway: a reconnect that lands on another gateway is a leave here and a join there. Thread-safe; every call
/// may block (presence): call from a worker.
class PresenceNotices {
  public:
    PresenceNotices(ChatService& chat, Presence& presence, RateLimiter& per_user, std::chrono::milliseconds grace,
                    const TimeSource& time)
        : chat_(chat), presence_(presence), per_user_(per_user), grace_(grace), time_(time) {}
    /// Ends every pending leave at once (shutdown).
    ~PresenceNotices();
    PresenceNotices(const PresenceNotices&) = delete;
    PresenceNotices& operator=(const PresenceNotices&) = delete;

    void Arrived(RoomId room, const Principal& who, const ConnectionId& connection);
    void Departed(RoomId room, const Principal& who, const ConnectionId& connection);
    /// Ends the leaves whose grace is over: their connections are no longer listed and the announced ones are
    /// published. Returns how many ended.
    std::size_t PublishDue();

    /// Leaves waiting for their grace to end.
    std::size_t pending() const;
    std::chrono::milliseconds grace() const { return grace_; }

  private:
    struct Leaving {
        ConnectionId connection;
        MonotonicTime due;
        bool announced = false;
    };
    struct UserInRoom {
        Principal who;
        std::unordered_map<ConnectionId, bool> present;  // connection -> its join was announced
        std::deque<Leaving> leaving;                     // oldest first
    };
    using Key = std::pair<RoomId, UserId>;
    /// What a call does once it released the lock.
    struct Ended {
        RoomId room = 0;
        Principal who;
        ConnectionId connection;
        bool announce = false;
    };

    std::vector<Ended> TakeDueLocked(MonotonicTime now, bool all);
    void End(const std::vector<Ended>& ended);
    void Publish(RoomId room, const Principal& who, MessageType type);
    void Unlist(RoomId room, const ConnectionId& connection);

    ChatService& chat_;
    Presence& presence_;
    RateLimiter& per_user_;
    const std::chrono::milliseconds grace_;
    const TimeSource& time_;
    mutable std::mutex mu_;
    std::map<Key, UserInRoom> users_;
    std::size_t pending_ = 0;
};

}  // namespace rooms
