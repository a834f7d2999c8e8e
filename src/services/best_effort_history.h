#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "common/throttled_log.h"
#include "domain/ports.h"

namespace rooms {

/// How a consumer writes the history cache. The store is the truth and the cache only speeds joins up, so a
/// batch whose cache write fails is still done (its offsets are committed): chat and persistence go on while
/// the cache (Redis) is down. The rooms whose cached history may have missed messages are remembered, and
/// dropped from the cache (the next join refills them from the store) as soon as it answers again, before
/// anything else is written to it. Until then Health() says why. A consumer that dies meanwhile forgets that
/// list: those rooms' cached history may lack the outage's messages until its keys expire (or Redis restarts
/// empty, as ours does). Write runs on one thread (the persister's); Health is thread-safe.
class BestEffortHistory {
  public:
    explicit BestEffortHistory(HistoryCache& cache) : cache_(cache) {}

    /// Appends the batch to the cache; never throws.
    void Write(std::span<const Message> batch);
    /// Why the cache is behind, or nullopt.
    std::optional<std::string> Health() const;
    /// Rooms waiting to be dropped from the cache.
    std::size_t StaleRooms() const;

  private:
    HistoryCache& cache_;
    std::set<RoomId> stale_;
    mutable std::mutex mu_;  // guards problem_ and stale_count_
    std::optional<std::string> problem_;
    std::size_t stale_count_ = 0;
    ThrottledLog log_{std::chrono::seconds(10)};
};

}  // namespace rooms
