#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "adapters/redis/redis_pool.h"
#include "domain/ports.h"

namespace rooms {

struct RedisPresenceOptions {
    std::string key_prefix;  ///< redis.key_prefix
    /// redis.presence_ttl_s: an entry lives this long unless its owner refreshes it. Call RefreshAll every
    /// ttl/3 or so; a killed instance's connections then vanish from Online within the TTL.
    std::chrono::seconds ttl{0};
};

/// Presence shared by every gateway instance: per room a sorted set `<prefix>presence:<room>` whose members
/// are "<connection id>\x1f<user id>\x1f<nickname>" (none of them holds a control character) scored by their
/// expiry time in Unix milliseconds. Each instance remembers its own connections, to remove them and to keep
/// them alive (RefreshAll).
///
/// Expiry uses the local system clock of each instance: their clocks must agree to well within the TTL (NTP
/// keeps them within milliseconds; a second of skew only shifts expiry by a second).
///
/// Blocking (one Redis round trip per call, see RedisPool); thread-safe. Errors throw RedisError.
class RedisPresence : public Presence {
  public:
    RedisPresence(RedisPool& pool, RedisPresenceOptions options);

    /// Records the connection locally first, then in Redis: when Redis fails (the RedisError propagates) the
    /// next RefreshAll publishes it, so the caller must call Remove when the connection ends either way.
    void Add(RoomId room, const ConnectionId& connection, UserId user, std::string_view nickname) override;
    /// Forgets the connection locally, then removes it from Redis (if that fails, it expires by itself).
    void Remove(RoomId room, const ConnectionId& connection) override;
    /// Drops expired entries, then lists the users of the live ones, each once, sorted by nickname.
    std::vector<std::string> Online(RoomId room) override;

    /// Re-adds every local connection with a fresh expiry, in one round trip. Call it from a timer every
    /// ttl/3; it also restores the entries after Redis lost its data (a restart without persistence).
    void RefreshAll();

    /// Connections of this instance (for metrics and tests).
    std::size_t LocalConnections();

    /// The key of a room's sorted set (for tests and operators).
    std::string RoomKey(RoomId room) const;

  private:
    using Members = std::map<ConnectionId, std::string>;  // connection -> its member in the sorted set
    std::int64_t NowMs() const;

    RedisPool& pool_;
    const RedisPresenceOptions options_;
    std::mutex mu_;
    std::unordered_map<RoomId, Members> local_;
};

}  // namespace rooms
