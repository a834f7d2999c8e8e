#include "services/write_behind_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "adapters/sqlite/sqlite_store.h"
#include "support/fakes.h"
#include "test_util.h"

namespace rooms {
namespace {

using namespace std::chrono_literals;
using unit::FixedTime;
using unit::Ids;
using unit::MakeMessage;

class WriteBehindTest : public ::testing::Test {
  protected:
    void SetUp() override { room_ = rooms_.Create("room", FixedTime()).id; }

    std::vector<Message> MakeMessages(MessageId first, int n) {
        std::vector<Message> out;
        for (int i = 0; i < n; ++i)
            out.push_back(MakeMessage(first + i, room_, "content of " + std::to_string(first + i), "nick"));
        return out;
    }

    /// What `fake_` stored, oldest first (each once).
    std::vector<Message> FakeStored() { return fake_.StoredMessages(); }

    /// What the SQLite store holds, oldest first, read directly (not through the write-behind store).
    std::vector<Message> Stored() {
        auto page = sqlite_.Page(room_, std::nullopt, 100000);
        EXPECT_TRUE(page.ok());
        std::vector<Message> out(page->rbegin(), page->rend());
        return out;
    }

    SqliteDatabase db_{":memory:"};
    SqliteRoomStore rooms_{db_};
    SqliteMessageStore sqlite_{db_};
    test_support::FakeMessageStore fake_;  // counts batches, can fail
    RoomId room_ = 0;
};

TEST_F(WriteBehindTest, WritesInBatchesOfAtMostBatchSize) {
    WriteBehindMessageStore store(fake_, 10, 10ms);
    const auto messages = MakeMessages(1, 25);
    store.InsertBatch(messages);
    store.Flush();
    const auto sizes = fake_.BatchSizes();
    std::size_t total = 0;
    for (auto n : sizes) {
        EXPECT_GE(n, 1u);
        EXPECT_LE(n, 10u);
        total += n;
    }
    EXPECT_EQ(total, 25u);
    EXPECT_GE(sizes.size(), 3u);
    EXPECT_EQ(store.written(), 25u);
    EXPECT_EQ(Ids(FakeStored()), Ids(messages));
}

TEST_F(WriteBehindTest, ManySmallInsertsAreGroupedIntoFewerTransactions) {
    WriteBehindMessageStore store(fake_, 100, 10s);  // long interval: only a full batch or a read writes
    const auto messages = MakeMessages(1, 300);
    for (const auto& m : messages) store.InsertBatch({&m, 1});
    store.Flush();
    EXPECT_EQ(Ids(FakeStored()), Ids(messages));
    EXPECT_LT(fake_.BatchSizes().size(), 300u / 2) << "one transaction per message defeats the write-behind";
}

TEST_F(WriteBehindTest, ReadsSeeEverythingInsertedBefore) {
    WriteBehindMessageStore store(sqlite_, 1000, 10s);  // nothing would be written on its own for a long time
    const auto messages = MakeMessages(100, 3);
    store.InsertBatch(messages);
    auto page = store.Page(room_, std::nullopt, 10);
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(Ids(*page), (std::vector<MessageId>{102, 101, 100}));

    const Message more = MakeMessage(103, room_);
    store.InsertBatch({&more, 1});
    EXPECT_EQ(store.MaxId(), 103);
    auto before = store.Page(room_, 103, 10);
    ASSERT_TRUE(before.ok());
    EXPECT_EQ(Ids(*before), (std::vector<MessageId>{102, 101, 100}));
    auto unknown = store.Page(room_, 999, 10);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_F(WriteBehindTest, StopWritesEverythingQueued) {
    auto store = std::make_unique<WriteBehindMessageStore>(sqlite_, 1000, 10s);
    const auto messages = MakeMessages(1, 7);
    store->InsertBatch(messages);
    store->Stop();
    EXPECT_EQ(store->written(), 7u);
    const auto stored = Stored();
    EXPECT_EQ(Ids(stored), Ids(messages));
    ASSERT_EQ(stored.size(), 7u);
    EXPECT_EQ(stored[3].content, "content of 4");
    store->Stop();  // idempotent
    store.reset();  // and the destructor after Stop is fine
}

TEST_F(WriteBehindTest, DestructorWritesEverythingQueued) {
    {
        WriteBehindMessageStore store(sqlite_, 1000, 10s);
        store.InsertBatch(MakeMessages(1, 5));
    }
    EXPECT_EQ(Stored().size(), 5u);
}

TEST_F(WriteBehindTest, WritesOnItsOwnWithinTheFlushInterval) {
    // Nobody reads or stops: the writer must still store a lone message after about flush_interval (10 ms).
    WriteBehindMessageStore store(fake_, 100, 10ms);
    store.InsertBatch(MakeMessages(1, 1));
    store.Flush();  // when Flush returns, the writer has written and gone back to waiting for work
    ASSERT_EQ(store.written(), 1u);

    store.InsertBatch(MakeMessages(2, 1));
    // Generous deadline (200x the interval): this is a liveness check, not a timing assertion.
    for (int i = 0; i < 200 && store.written() < 2; ++i) std::this_thread::sleep_for(10ms);
    EXPECT_EQ(store.written(), 2u) << "a message below batch_size stays in memory until a read, Stop or a full "
                                      "batch arrives: it would be lost on a crash";
    store.Stop();
    EXPECT_EQ(FakeStored().size(), 2u);
}

TEST_F(WriteBehindTest, FailingStoreIsRetriedWithoutLoss) {
    fake_.FailNextCalls(2);  // two failures: backoff 50 ms + 100 ms
    WriteBehindMessageStore store(fake_, 100, 1ms);
    const auto messages = MakeMessages(1, 3);
    store.InsertBatch(messages);
    store.Flush();
    EXPECT_GE(fake_.Calls(), 3);
    EXPECT_EQ(store.written(), 3u);

    const auto stored = FakeStored();
    ASSERT_EQ(stored.size(), 3u);
    for (std::size_t i = 0; i < stored.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(stored[i].id, messages[i].id);
        // The retried batch must be the original messages, not moved-from husks.
        EXPECT_EQ(stored[i].content, messages[i].content);
        EXPECT_EQ(stored[i].nickname, messages[i].nickname);
        EXPECT_EQ(stored[i].time_created, messages[i].time_created);
    }
}

TEST_F(WriteBehindTest, ConcurrentProducersLoseNothing) {
    WriteBehindMessageStore store(sqlite_, 50, 1ms);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            const auto messages = MakeMessages(1 + t * 1000, 500);
            for (std::size_t i = 0; i < messages.size(); i += 7)
                store.InsertBatch(std::span(messages).subspan(i, std::min<std::size_t>(7, messages.size() - i)));
        });
    for (auto& th : threads) th.join();
    store.Flush();
    EXPECT_EQ(store.written(), 2000u);
    EXPECT_EQ(Stored().size(), 2000u);
}

}  // namespace
}  // namespace rooms
