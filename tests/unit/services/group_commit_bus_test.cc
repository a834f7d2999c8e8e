#include "services/group_commit_bus.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters/memory/memory_bus.h"
#include "services/batch_persister.h"
#include "support/fakes.h"
#include "test_util.h"

namespace rooms {
namespace {

using namespace std::chrono_literals;
using unit::Ids;
using unit::MakeMessage;

/// A BatchPersister that can be held: while closed, Persist waits (it has entered, the commit is "in flight").
class GatedPersister : public MessagePersister {
  public:
    GatedPersister(MessageStore& store, HistoryCache& cache) : inner_(store, cache) {}
    PersistedBatch Persist(std::span<const Message> batch) override {
        std::unique_lock lock(mu_);
        ++entered_;
        cv_.notify_all();
        cv_.wait(lock, [&] { return open_; });
        lock.unlock();
        return inner_.Persist(batch);
    }
    void Close() {
        std::lock_guard lock(mu_);
        open_ = false;
    }
    void Open() {
        {
            std::lock_guard lock(mu_);
            open_ = true;
        }
        cv_.notify_all();
    }
    bool WaitEntered(int n) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, 5s, [&] { return entered_ >= n; });
    }

  private:
    BatchPersister inner_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool open_ = true;
    int entered_ = 0;
};

/// What the senders were told, in the order they were told.
class Answers {
  public:
    MessageBus::DeliveryHandler For(MessageId id) {
        return [this, id](std::optional<Error> err) {
            std::lock_guard lock(mu_);
            (err ? refused_ : accepted_).push_back(id);
            if (err) last_error_ = *err;
            cv_.notify_all();
        };
    }
    bool WaitFor(std::size_t n) {
        std::unique_lock lock(mu_);
        return cv_.wait_for(lock, 5s, [&] { return accepted_.size() + refused_.size() >= n; });
    }
    std::vector<MessageId> Accepted() {
        std::lock_guard lock(mu_);
        return accepted_;
    }
    std::vector<MessageId> Refused() {
        std::lock_guard lock(mu_);
        return refused_;
    }
    Error LastError() {
        std::lock_guard lock(mu_);
        return last_error_;
    }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<MessageId> accepted_;
    std::vector<MessageId> refused_;
    Error last_error_;
};

class GroupCommitBusTest : public ::testing::Test {
  protected:
    void SetUp() override { bus_.Subscribe(&fanout_); }

    test_support::FakeMessageStore store_;
    test_support::FakeHistory cache_;
    GatedPersister persister_{store_, cache_};
    MemoryBus bus_;
    test_support::RecordingSink fanout_;  // stands for the hub
    Answers answers_;
};

TEST_F(GroupCommitBusTest, AMessageIsFannedOutAndAcceptedOnlyOnceItsBatchIsCommitted) {
    GroupCommitBus commit(persister_, bus_, GroupCommitLimits{});
    std::vector<MessageId> stored_when_fanned_out;
    fanout_.on_message = [&](const Message& m) {
        for (const Message& s : store_.StoredMessages())
            if (s.id == m.id) stored_when_fanned_out.push_back(m.id);
    };
    persister_.Close();
    commit.Publish(MakeMessage(1, 7), answers_.For(1));
    ASSERT_TRUE(persister_.WaitEntered(1));  // the commit is in flight
    EXPECT_EQ(fanout_.Count(), 0u) << "fanned out before the commit";
    EXPECT_TRUE(answers_.Accepted().empty()) << "accepted before the commit";

    persister_.Open();
    ASSERT_TRUE(answers_.WaitFor(1));
    ASSERT_TRUE(fanout_.WaitForCount(1, 5s));
    EXPECT_EQ(stored_when_fanned_out, (std::vector<MessageId>{1}));
    EXPECT_EQ(answers_.Accepted(), (std::vector<MessageId>{1}));
    EXPECT_EQ(cache_.AppendedIds()[7], (std::vector<MessageId>{1})) << "the history cache is written before fan-out";
}

TEST_F(GroupCommitBusTest, MessagesArrivingDuringACommitFormTheNextBatchOfOneTransaction) {
    GroupCommitBus commit(persister_, bus_, GroupCommitLimits{});
    persister_.Close();
    commit.Publish(MakeMessage(1, 7), answers_.For(1));
    ASSERT_TRUE(persister_.WaitEntered(1));
    for (MessageId id = 2; id <= 40; ++id) commit.Publish(MakeMessage(id, 7), answers_.For(id));
    persister_.Open();
    ASSERT_TRUE(answers_.WaitFor(40));
    commit.Stop();  // the counters are updated after the senders are answered
    EXPECT_EQ(store_.BatchSizes(), (std::vector<std::size_t>{1, 39}));
    EXPECT_EQ(commit.batches(), 2u);
    EXPECT_EQ(commit.committed(), 40u);
    std::vector<MessageId> expected;
    for (MessageId id = 1; id <= 40; ++id) expected.push_back(id);
    EXPECT_EQ(Ids(fanout_.Messages()), expected) << "fan-out in publish order";
    EXPECT_EQ(answers_.Accepted(), expected);
}

TEST_F(GroupCommitBusTest, ABatchHoldsAtMostBatchSizeMessages) {
    GroupCommitBus commit(persister_, bus_, GroupCommitLimits{.batch_size = 10, .max_pending = 1000});
    persister_.Close();
    commit.Publish(MakeMessage(1, 7), answers_.For(1));
    ASSERT_TRUE(persister_.WaitEntered(1));
    for (MessageId id = 2; id <= 26; ++id) commit.Publish(MakeMessage(id, 7), answers_.For(id));
    persister_.Open();
    ASSERT_TRUE(answers_.WaitFor(26));
    EXPECT_EQ(store_.BatchSizes(), (std::vector<std::size_t>{1, 10, 10, 5}));
}

TEST_F(GroupCommitBusTest, AFailingStoreIsRetriedWithoutLossOrRepeats) {
    GroupCommitBus commit(persister_, bus_, GroupCommitLimits{});
    store_.FailNextCalls(3);
    for (MessageId id = 1; id <= 5; ++id) commit.Publish(MakeMessage(id, 7), answers_.For(id));
    ASSERT_TRUE(answers_.WaitFor(5));
    EXPECT_EQ(answers_.Accepted(), (std::vector<MessageId>{1, 2, 3, 4, 5}));
    EXPECT_EQ(Ids(fanout_.Messages()), (std::vector<MessageId>{1, 2, 3, 4, 5}));
    EXPECT_EQ(store_.Stored(), 5u);
    EXPECT_GE(store_.Calls(), 4);
}

TEST_F(GroupCommitBusTest, MessagesTheStoreRefusesAreAnsweredAndNeverFannedOut) {
    store_.RefuseRoom(9);
    GroupCommitBus commit(persister_, bus_, GroupCommitLimits{});
    persister_.Close();
    commit.Publish(MakeMessage(1, 7), answers_.For(1));
    ASSERT_TRUE(persister_.WaitEntered(1));
    commit.Publish(MakeMessage(2, 9), answers_.For(2));
    commit.Publish(MakeMessage(3, 7), answers_.For(3));
    persister_.Open();
    ASSERT_TRUE(answers_.WaitFor(3));
    EXPECT_EQ(answers_.Accepted(), (std::vector<MessageId>{1, 3}));
    EXPECT_EQ(answers_.Refused(), (std::vector<MessageId>{2}));
    EXPECT_EQ(answers_.LastError().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(Ids(fanout_.Messages()), (std::vector<MessageId>{1, 3}));
}

TEST_F(GroupCommitBusTest, BeyondMaxPendingAPublishIsRefusedAtOnce) {
    GroupCommitBus commit(persister_, bus_, GroupCommitLimits{.batch_size = 500, .max_pending = 3});
    persister_.Close();
    commit.Publish(MakeMessage(1, 7), answers_.For(1));
    ASSERT_TRUE(persister_.WaitEntered(1));  // the one in flight no longer counts as waiting
    for (MessageId id = 2; id <= 5; ++id) commit.Publish(MakeMessage(id, 7), answers_.For(id));
    EXPECT_EQ(answers_.Refused(), (std::vector<MessageId>{5}));
    EXPECT_EQ(answers_.LastError().code, ErrorCode::kUnavailable);
    persister_.Open();
    ASSERT_TRUE(answers_.WaitFor(5));
    EXPECT_EQ(answers_.Accepted(), (std::vector<MessageId>{1, 2, 3, 4}));
}

TEST_F(GroupCommitBusTest, StopCommitsWhatIsQueuedThenRefuses) {
    GroupCommitBus commit(persister_, bus_, GroupCommitLimits{});
    persister_.Close();
    commit.Publish(MakeMessage(1, 7), answers_.For(1));
    ASSERT_TRUE(persister_.WaitEntered(1));
    for (MessageId id = 2; id <= 10; ++id) commit.Publish(MakeMessage(id, 7), answers_.For(id));
    std::thread stopper([&] { commit.Stop(); });  // while the first commit is held, or just before
    persister_.Open();
    stopper.join();
    EXPECT_EQ(answers_.Accepted().size(), 10u);
    EXPECT_EQ(store_.Stored(), 10u);
    commit.Publish(MakeMessage(11, 7), answers_.For(11));
    EXPECT_EQ(answers_.Refused(), (std::vector<MessageId>{11}));
    EXPECT_EQ(fanout_.Count(), 10u);
}

TEST_F(GroupCommitBusTest, ConcurrentPublishersLoseNothingAndKeepEachRoomsOrder) {
    GroupCommitBus commit(persister_, bus_, GroupCommitLimits{.batch_size = 64, .max_pending = 100'000});
    constexpr int kThreads = 4;
    constexpr int kPerThread = 500;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            // Each thread its own room and increasing ids: each room's order is its publisher's order.
            for (int i = 0; i < kPerThread; ++i) {
                const MessageId id = static_cast<MessageId>(t) * 100'000 + i + 1;
                commit.Publish(MakeMessage(id, t + 1), answers_.For(id));
            }
        });
    }
    for (auto& th : threads) th.join();
    ASSERT_TRUE(answers_.WaitFor(kThreads * kPerThread));
    EXPECT_EQ(answers_.Accepted().size(), static_cast<std::size_t>(kThreads * kPerThread));
    EXPECT_EQ(store_.Stored(), static_cast<std::size_t>(kThreads * kPerThread));
    EXPECT_EQ(store_.Received(), static_cast<std::size_t>(kThreads * kPerThread)) << "nothing stored twice";
    const auto stored = test_support::IdsByRoom(store_.StoredMessages());
    const auto fanned_out = test_support::IdsByRoom(fanout_.Messages());
    EXPECT_EQ(fanned_out, stored) << "every room is fanned out in the order it is stored";
    for (const auto& [room, ids] : fanned_out) EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end())) << room;
}

}  // namespace
}  // namespace rooms
