#include "services/batch_persister.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "adapters/memory/memory_history.h"
#include "support/fakes.h"
#include "support/recording_tracer.h"
#include "test_util.h"

namespace rooms {
namespace {

using unit::MakeMessage;

/// A cache that fails while `down`, and records what it was asked to forget.
struct FlakyCache : MemoryHistoryCache {
    explicit FlakyCache(int capacity) : MemoryHistoryCache(capacity) {}
    bool down = false;
    std::vector<RoomId> forgotten;
    void AppendBatch(std::span<const Message> messages) override {
        if (down) throw std::runtime_error("redis: connection refused");
        MemoryHistoryCache::AppendBatch(messages);
    }
    void Forget(std::span<const RoomId> rooms) override {
        if (down) throw std::runtime_error("redis: connection refused");
        forgotten.insert(forgotten.end(), rooms.begin(), rooms.end());
    }
};

TEST(BatchPersisterCacheTest, WritesThroughWhileTheCacheWorks) {
    FlakyCache cache(10);
    cache.Fill(1, {});
    test_support::FakeMessageStore store;
    BatchPersister history(store, cache);
    const std::vector<Message> batch{MakeMessage(1, 1), MakeMessage(2, 1)};
    history.Persist(batch);
    EXPECT_EQ(cache.Recent(1, 10)->size(), 2u);
    EXPECT_EQ(history.Health(), std::nullopt);
    EXPECT_EQ(history.StaleRooms(), 0u);
}

TEST(BatchPersisterCacheTest, AFailedWriteDoesNotThrowAndTheRoomsAreForgottenWhenTheCacheReturns) {
    FlakyCache cache(10);
    test_support::FakeMessageStore store;
    BatchPersister history(store, cache);
    cache.down = true;
    history.Persist(std::vector<Message>{MakeMessage(1, 1), MakeMessage(2, 2)});
    history.Persist(std::vector<Message>{MakeMessage(3, 2), MakeMessage(4, 3)});
    ASSERT_TRUE(history.Health());
    EXPECT_NE(history.Health()->find("connection refused"), std::string::npos) << *history.Health();
    EXPECT_EQ(history.StaleRooms(), 3u);
    EXPECT_TRUE(cache.forgotten.empty());

    cache.down = false;
    history.Persist(std::vector<Message>{MakeMessage(5, 4)});
    EXPECT_EQ(cache.forgotten, (std::vector<RoomId>{1, 2, 3}));  // before anything else is written
    EXPECT_EQ(history.Health(), std::nullopt);
    EXPECT_EQ(history.StaleRooms(), 0u);

    cache.forgotten.clear();
    history.Persist(std::vector<Message>{MakeMessage(6, 1)});
    EXPECT_TRUE(cache.forgotten.empty()) << "forgotten once only";
}

TEST(BatchPersisterCacheTest, RoomsStayStaleWhileForgettingFails) {
    FlakyCache cache(10);
    test_support::FakeMessageStore store;
    BatchPersister history(store, cache);
    cache.down = true;
    history.Persist(std::vector<Message>{MakeMessage(1, 1)});
    history.Persist(std::vector<Message>{MakeMessage(2, 2)});  // Forget fails too: room 1 is still stale
    EXPECT_EQ(history.StaleRooms(), 2u);
    cache.down = false;
    history.Persist(std::vector<Message>{});
    EXPECT_EQ(cache.forgotten, (std::vector<RoomId>{1, 2}));
}

// --- the store: the truth, and what it refuses --------------------------------------------------------------

using test_support::FakeHistory;
using test_support::FakeMessageStore;
using test_support::IdsByRoom;

TEST(BatchPersisterStoreTest, StoresTheBatchInOneCallThenCachesItInOrder) {
    FakeMessageStore store;
    FakeHistory cache;
    BatchPersister persister(store, cache);
    const std::vector<Message> batch{MakeMessage(1, 1), MakeMessage(2, 2), MakeMessage(3, 1)};
    const PersistedBatch result = persister.Persist(batch);
    EXPECT_TRUE(result.refused.empty());
    EXPECT_EQ(store.BatchSizes(), (std::vector<std::size_t>{3}));
    EXPECT_EQ(cache.AppendedIds(), IdsByRoom(batch));
}

TEST(BatchPersisterStoreTest, ARefusedBatchIsWrittenOneByOneAndOnlyTheRefusedAreReported) {
    FakeMessageStore store;
    FakeHistory cache;
    store.RefuseRoom(2);  // as PostgreSQL refuses a message of an unknown room
    BatchPersister persister(store, cache);
    const std::vector<Message> batch{MakeMessage(1, 1), MakeMessage(2, 2), MakeMessage(3, 1),
                                     MakeMessage(4, 1, std::string(65537, 'x'))};
    const PersistedBatch result = persister.Persist(batch);
    ASSERT_EQ(result.refused.size(), 2u);
    EXPECT_EQ(result.refused[0].first, 1u);
    EXPECT_NE(result.refused[0].second.find("refused by the store: unknown room"), std::string::npos)
        << result.refused[0].second;
    EXPECT_EQ(result.refused[1].first, 3u);
    EXPECT_NE(result.refused[1].second.find("65536"), std::string::npos) << result.refused[1].second;
    // Stored: the others, each once; the cache gets exactly those, in the batch's order.
    EXPECT_EQ(store.Stored(), 2u);
    EXPECT_EQ(cache.AppendedIds(), (std::map<RoomId, std::vector<MessageId>>{{1, {1, 3}}}));
}

TEST(BatchPersisterStoreTest, ATransientFailureThrowsAndTouchesNeitherStoreNorCache) {
    FakeMessageStore store;
    FakeHistory cache;
    store.FailNextCalls(1);
    BatchPersister persister(store, cache);
    const std::vector<Message> batch{MakeMessage(1, 1), MakeMessage(2, 1)};
    EXPECT_THROW(persister.Persist(batch), std::runtime_error);
    EXPECT_EQ(store.Stored(), 0u);
    EXPECT_EQ(cache.Appends(), 0u);
    // The caller retries the batch: stored once.
    EXPECT_TRUE(persister.Persist(batch).refused.empty());
    EXPECT_TRUE(persister.Persist(batch).refused.empty());  // a repeat after a failed commit
    EXPECT_EQ(store.Stored(), 2u);
}

TEST(BatchPersisterStoreTest, AFailureWhileSplittingARefusedBatchThrows) {
    FakeHistory cache;
    // The whole batch is refused; then the store goes away while the messages are written one at a time.
    const std::vector<Message> batch{MakeMessage(1, 2), MakeMessage(2, 1)};
    struct FailingAfterRefusal : FakeMessageStore {
        int calls = 0;
        void InsertBatch(std::span<const Message> messages) override {
            if (++calls == 3) throw std::runtime_error("connection lost (fake)");
            FakeMessageStore::InsertBatch(messages);
        }
    } flaky;
    flaky.RefuseRoom(2);
    BatchPersister splitting(flaky, cache);
    EXPECT_THROW(splitting.Persist(batch), std::runtime_error);
    EXPECT_EQ(cache.Appends(), 0u) << "nothing is cached of a batch that is retried";
}

TEST(BatchPersisterStoreTest, TheCacheBeingDownDoesNotFailTheBatch) {
    FakeMessageStore store;
    FakeHistory cache;
    cache.SetDown(true);
    BatchPersister persister(store, cache);
    const std::vector<Message> batch{MakeMessage(1, 1)};
    EXPECT_NO_THROW(persister.Persist(batch));
    EXPECT_EQ(store.Stored(), 1u);
    ASSERT_TRUE(persister.Health());
    EXPECT_EQ(persister.StaleRooms(), 1u);
}

TEST(BatchPersisterStoreTest, EachSampledMessageGetsAStoreAndACacheSpanUnderItsPublishSpan) {
    test_support::RecordingTracer traces;
    FakeMessageStore store;
    FakeHistory cache;
    BatchPersister persister(store, cache, traces.tracer.get(), PersistSpanNames{"postgres insert", "redis append"});
    std::vector<Message> batch{MakeMessage(1, 1), MakeMessage(2, 2), MakeMessage(3, 1)};
    const auto publish = TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    batch[0].trace = *publish;
    batch[2].trace = *TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");  // unsampled
    EXPECT_TRUE(persister.Persist(batch).refused.empty());
    traces.tracer->Shutdown();

    for (const char* name : {"postgres insert", "redis append"}) {
        const auto spans = traces.Named(name);
        ASSERT_EQ(spans.size(), 1u) << name;
        EXPECT_EQ(spans[0].trace_id, publish->trace_id);
        EXPECT_EQ(spans[0].parent_span_id, publish->span_id);
        EXPECT_FALSE(spans[0].error);
    }
    EXPECT_EQ(traces.AllSpans().size(), 2u);
}

TEST(BatchPersisterStoreTest, AFailedStoreWriteMarksItsSpansFailed) {
    test_support::RecordingTracer traces;
    FakeMessageStore store;
    FakeHistory cache;
    store.FailNextCalls(1);
    BatchPersister persister(store, cache, traces.tracer.get());
    std::vector<Message> batch{MakeMessage(1, 1)};
    batch[0].trace = *TraceContext::Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    EXPECT_THROW(persister.Persist(batch), std::exception);
    traces.tracer->Shutdown();
    const auto spans = traces.Named("store insert");
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_TRUE(spans[0].error);
    EXPECT_TRUE(traces.Named("cache append").empty());
}

}  // namespace
}  // namespace rooms
