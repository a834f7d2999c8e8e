#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "common/throttled_log.h"
#include "domain/ports.h"
#include "tracing/tracer.h"

namespace rooms {

/// The names of BatchPersister's spans: the store's write and the cache's.
struct PersistSpanNames {
    std::string store = "store insert";
    std::string cache = "cache append";
};

/// The persistence use case: a batch of accepted messages goes to the store, then to the history cache.
///
/// The store is the truth. When it refuses the batch for good (RejectedWrite), the messages are written one at a
/// time to find the refused ones; those are reported (the caller dead-letters them) and the others are stored and
/// cached as usual. Any other store failure throws: the caller retries the batch (the store is idempotent).
///
/// The cache only speeds joins up, so it is written best effort: a batch whose cache write fails is still done,
/// and chat and persistence go on while the cache (Redis) is down. The rooms whose cached history may have missed
/// messages are remembered and dropped from the cache (the next join refills them from the store) as soon as it
/// answers again, before anything else is written to it; until then Health() says why. A process that dies
/// meanwhile forgets that list: those rooms' cached history may lack the outage's messages until their keys
/// expire (or Redis restarts empty, as ours does). A batch may be persisted again after a failure elsewhere (a
/// failed commit, a rebalance): the cache must tolerate repeats (ours skip known ids).
///
/// With a tracer, every message whose trace is sampled gets a span for the store's write and one for the cache's,
/// named as the composition root says ("postgres insert", "redis append"), children of the span that published it.
///
/// Persist runs on one thread at a time; Health and StaleRooms are thread-safe.
class BatchPersister : public MessagePersister {
  public:
    BatchPersister(MessageStore& store, HistoryCache& cache, Tracer* tracer = nullptr, PersistSpanNames names = {})
        : store_(store), cache_(cache), tracer_(tracer), names_(std::move(names)) {}

    PersistedBatch Persist(std::span<const Message> batch) override;

    /// Why the history cache is behind, or nullopt.
    std::optional<std::string> Health() const;
    /// Rooms waiting to be dropped from the cache.
    std::size_t StaleRooms() const;

  private:
    /// Stores the batch; when the store refused it and it was written one at a time, `stored_when_split` gets
    /// the messages stored.
    PersistedBatch Store(std::span<const Message> batch, std::vector<Message>& stored_when_split);
    void WriteCache(std::span<const Message> stored);

    MessageStore& store_;
    HistoryCache& cache_;
    Tracer* const tracer_;
    const PersistSpanNames names_;
    std::set<RoomId> stale_;
    mutable std::mutex mu_;  // guards problem_ and stale_count_
    std::optional<std::string> problem_;
    std::size_t stale_count_ = 0;
    ThrottledLog log_{std::chrono::seconds(10)};
};

}  // namespace rooms
