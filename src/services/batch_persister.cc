#include "services/batch_persister.h"

#include <spdlog/spdlog.h>

#include <vector>

namespace rooms {

namespace {

// A span for each message of `batch` whose trace is sampled, a child of the span that published it.
std::vector<Span> StartSpans(Tracer* tracer, const std::string& name, std::span<const Message> batch) {
    std::vector<Span> spans;
    if (!tracer) return spans;
    for (const Message& m : batch) {
        if (!m.trace.sampled) continue;
        Span& span = spans.emplace_back(tracer->StartSpan(name, SpanKind::kClient, m.trace));
        span.SetAttribute("rooms.message_id", static_cast<std::int64_t>(m.id));
        span.SetAttribute("rooms.batch_size", static_cast<std::int64_t>(batch.size()));
    }
    return spans;
}

}  // namespace

PersistedBatch BatchPersister::Persist(std::span<const Message> batch) {
    std::vector<Message> stored_when_split;
    PersistedBatch result;
    {
        std::vector<Span> spans = StartSpans(tracer_, names_.store, batch);
        try {
            result = Store(batch, stored_when_split);
        } catch (const std::exception& e) {
            for (Span& span : spans) span.SetError(e.what());
            throw;
        }
    }
    const auto stored = result.refused.empty() ? batch : std::span<const Message>(stored_when_split);
    const std::vector<Span> spans = StartSpans(tracer_, names_.cache, stored);
    WriteCache(stored);
    return result;
}

PersistedBatch BatchPersister::Store(std::span<const Message> batch, std::vector<Message>& stored_when_split) {
    PersistedBatch result;
    if (batch.empty()) return result;
    try {
        store_.InsertBatch(batch);
        return result;
    } catch (const RejectedWrite& e) {
        spdlog::warn(
            "persist: the store refused a batch of {} messages ({}); writing them one by one to find the "
            "refused ones",
            batch.size(), e.what());
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        try {
            store_.InsertBatch(batch.subspan(i, 1));
            stored_when_split.push_back(batch[i]);
        } catch (const RejectedWrite& e) {
            result.refused.emplace_back(i, std::string("refused by the store: ") + e.what());
        }
    }
    return result;
}

void BatchPersister::WriteCache(std::span<const Message> stored) {
    try {
        if (!stale_.empty()) {
            const std::vector<RoomId> rooms(stale_.begin(), stale_.end());
            cache_.Forget(rooms);
            spdlog::info("history cache: back; dropped the cached history of {} rooms written meanwhile", rooms.size());
            stale_.clear();
        }
        if (!stored.empty()) cache_.AppendBatch(stored);
        std::lock_guard lock(mu_);
        problem_.reset();
        stale_count_ = 0;
    } catch (const std::exception& e) {
        for (const Message& m : stored) stale_.insert(m.room_id);
        const std::string why = e.what();
        if (log_.ShouldLog(why)) {
            spdlog::warn(
                "history cache: {}; messages are still stored, the cache of {} rooms is dropped when it answers", why,
                stale_.size());
        }
        std::lock_guard lock(mu_);
        problem_ = why + " (" + std::to_string(stale_.size()) + " rooms to refresh when it answers)";
        stale_count_ = stale_.size();
    }
}

std::optional<std::string> BatchPersister::Health() const {
    std::lock_guard lock(mu_);
    return problem_;
}

std::size_t BatchPersister::StaleRooms() const {
    std::lock_guard lock(mu_);
    return stale_count_;
}

}  // namespace rooms
