#include "adapters/memory/recent_overlay.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "adapters/memory/memory_history.h"
#include "support/simulated_time.h"
#include "test_util.h"

namespace rooms {
namespace {

using unit::Ids;
using unit::MakeMessage;
using namespace std::chrono_literals;

/// Records what reaches the next sink.
struct Recorder : MessageSink {
    std::vector<MessageId> seen;
    void OnMessage(const Message& m) override { seen.push_back(m.id); }
};

/// A join's history as the chat service reads it: the shared cache, with what the overlay holds that it lacks.
std::vector<MessageId> JoinHistory(HistoryCache& shared, RecentOverlay& overlay, RoomId room, int limit) {
    return Ids(overlay.AddTo(room, *shared.Recent(room, limit), limit));
}

/// The shared cache (what consumers wrote), a recorder behind the overlay and a clock the test moves.
struct Fixture {
    explicit Fixture(RecentOverlayOptions options = {3, 10s, 1000}) : overlay(next, options, time) {
        shared.Fill(1, {});
        shared.Fill(2, {});
    }
    void Fanout(MessageId id, RoomId room = 1) { overlay.OnMessage(MakeMessage(id, room)); }
    void Persist(MessageId id, RoomId room = 1) { shared.Append(MakeMessage(id, room)); }
    std::vector<MessageId> History(RoomId room = 1, int limit = 3) { return JoinHistory(shared, overlay, room, limit); }

    MemoryHistoryCache shared{3};
    Recorder next;
    test_support::SimulatedTime time;
    RecentOverlay overlay;
};

TEST(RecentOverlayTest, PassesEveryMessageOn) {
    Fixture f;
    f.Fanout(1);
    f.Fanout(2, 2);
    EXPECT_EQ(f.next.seen, (std::vector<MessageId>{1, 2}));
}

TEST(RecentOverlayTest, AddsWhatConsumersHaveNotStoredYet) {
    Fixture f;
    f.Persist(1);
    f.Fanout(1);
    f.Fanout(2);  // accepted and fanned out, still on its way to the store
    f.Fanout(3);
    EXPECT_EQ(f.History(), (std::vector<MessageId>{3, 2, 1}));
    f.Persist(2);
    f.Persist(3);
    EXPECT_EQ(f.History(), (std::vector<MessageId>{3, 2, 1}));  // nothing doubled once stored
}

TEST(RecentOverlayTest, NeverMoreThanTheLimit) {
    Fixture f;
    for (MessageId id = 1; id <= 5; ++id) f.Fanout(id);
    EXPECT_EQ(f.History(1, 2), (std::vector<MessageId>{5, 4}));
}

TEST(RecentOverlayTest, OlderKeptMessagesThanTheCachesNewestAreNotAdded) {
    Fixture f;
    f.Fanout(1);
    f.Fanout(2);
    f.Persist(1);
    f.Persist(2);
    f.Persist(3);  // stored by a consumer before this gateway fanned it out
    EXPECT_EQ(f.History(), (std::vector<MessageId>{3, 2, 1}));
}

TEST(RecentOverlayTest, RoomsAreSeparate) {
    Fixture f;
    f.Fanout(1, 1);
    f.Fanout(2, 2);
    EXPECT_EQ(f.History(1), (std::vector<MessageId>{1}));
    EXPECT_EQ(f.History(2), (std::vector<MessageId>{2}));
}

TEST(RecentOverlayTest, AMissStaysAMiss) {
    Fixture f;
    f.Fanout(1, 7);
    EXPECT_FALSE(f.shared.Recent(7, 3));  // the caller fills room 7 from the store, then asks again
    f.shared.Fill(7, {});
    EXPECT_EQ(f.History(7), (std::vector<MessageId>{1}));
}

TEST(RecentOverlayTest, MessagesExpireAfterTheWindow) {
    Fixture f;
    f.Fanout(1);
    f.time.Advance(6s);
    f.Fanout(2);
    f.time.Advance(5s);  // 1 is 11 s old, 2 is 5 s old
    EXPECT_EQ(f.History(), (std::vector<MessageId>{2}));
    f.time.Advance(6s);
    EXPECT_TRUE(f.History().empty());
    EXPECT_EQ(f.overlay.size(), 0u);
}

TEST(RecentOverlayTest, BoundedPerRoomAndInTotal) {
    Fixture f(RecentOverlayOptions{3, 10s, 4});
    for (MessageId id = 1; id <= 10; ++id) f.Fanout(id, 1);
    EXPECT_EQ(f.overlay.size(), 3u);
    for (MessageId id = 11; id <= 14; ++id) f.Fanout(id, 2);
    EXPECT_LE(f.overlay.size(), 4u);
    EXPECT_EQ(f.History(2), (std::vector<MessageId>{14, 13, 12}));
}

TEST(RecentOverlayTest, OffKeepsNothing) {
    Fixture f(RecentOverlayOptions{0, 10s, 1000});
    f.Fanout(1);
    EXPECT_TRUE(f.History().empty());
    EXPECT_EQ(f.next.seen, (std::vector<MessageId>{1}));
}

// The `websocket` role's threads at once: the fan-out thread passes messages through the overlay, a consumer
// stores them a little later (the shared cache), joiners read the history meanwhile. Every history read is the
// newest messages up to some point with no gap and no duplicate, whatever stage each message was at.
TEST(RecentOverlayTest, HistoryHasNoGapWhileFannedOutAndStoredConcurrently) {
    constexpr int kLimit = 5;
    constexpr MessageId kPerRoom = 2000;
    constexpr std::array<RoomId, 2> kRooms{1, 2};
    struct Counter : MessageSink {
        std::atomic<int> seen{0};
        void OnMessage(const Message&) override { ++seen; }
    } next;
    MemoryHistoryCache shared(kLimit);
    for (RoomId room : kRooms) shared.Fill(room, {});
    const test_support::SimulatedTime fixed;  // nothing expires: the window is not under test here
    RecentOverlay overlay(next, RecentOverlayOptions{kLimit, 10s, 1000}, fixed);

    std::array<std::atomic<MessageId>, 2> fanned_out{};  // per room: messages 1..n went through the overlay
    std::atomic<bool> stored_all{false};
    std::vector<std::thread> threads;
    threads.emplace_back([&] {
        for (MessageId id = 1; id <= kPerRoom; ++id)
            for (std::size_t r = 0; r < kRooms.size(); ++r) {
                overlay.OnMessage(MakeMessage(id, kRooms[r]));
                fanned_out[r].store(id);
            }
    });
    threads.emplace_back([&] {  // the consumer: stores only what was accepted, i.e. fanned out already
        std::array<MessageId, 2> stored{};
        while (stored[0] < kPerRoom || stored[1] < kPerRoom) {
            for (std::size_t r = 0; r < kRooms.size(); ++r) {
                const MessageId upto = fanned_out[r].load();
                while (stored[r] < upto) shared.Append(MakeMessage(++stored[r], kRooms[r]));
            }
            std::this_thread::yield();
        }
        stored_all = true;
    });
    for (std::size_t r = 0; r < kRooms.size(); ++r)
        threads.emplace_back([&, r] {
            for (int n = 0; !stored_all.load() || n < 50; ++n) {
                const auto got = JoinHistory(shared, overlay, kRooms[r], kLimit);
                if (got.empty()) continue;
                const MessageId newest = got.front();
                std::vector<MessageId> expected;
                for (MessageId id = newest; id > 0 && id > newest - kLimit; --id) expected.push_back(id);
                ASSERT_EQ(got, expected) << "room " << kRooms[r];
            }
        });
    for (auto& t : threads) t.join();

    EXPECT_EQ(next.seen.load(), static_cast<int>(kRooms.size() * kPerRoom));
    for (RoomId room : kRooms)
        EXPECT_EQ(JoinHistory(shared, overlay, room, kLimit), (std::vector<MessageId>{2000, 1999, 1998, 1997, 1996}));
    EXPECT_LE(overlay.size(), static_cast<std::size_t>(kLimit) * kRooms.size());
}

}  // namespace
}  // namespace rooms
