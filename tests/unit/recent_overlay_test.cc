#include <gtest/gtest.h>

#include <vector>

#include "adapters/memory/memory_history.h"
#include "adapters/memory/recent_overlay.h"
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

/// The shared cache (what consumers wrote), a recorder behind the overlay and a clock the test moves.
struct Fixture {
    explicit Fixture(RecentOverlayOptions options = {3, 10s, 1000})
        : overlay(shared, next, options, [this] { return now; }) {
        shared.Fill(1, {});
        shared.Fill(2, {});
    }
    void Fanout(MessageId id, RoomId room = 1) { overlay.OnMessage(MakeMessage(id, room)); }
    void Persist(MessageId id, RoomId room = 1) { shared.Append(MakeMessage(id, room)); }
    std::vector<MessageId> History(RoomId room = 1, int limit = 3) { return Ids(*overlay.Recent(room, limit)); }

    MemoryHistoryCache shared{3};
    Recorder next;
    std::chrono::steady_clock::time_point now{};
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
    EXPECT_FALSE(f.overlay.Recent(7, 3));  // the caller fills room 7 from the store, then asks again
    f.overlay.Fill(7, {});
    EXPECT_EQ(f.History(7), (std::vector<MessageId>{1}));
}

TEST(RecentOverlayTest, MessagesExpireAfterTheWindow) {
    Fixture f;
    f.Fanout(1);
    f.now += 6s;
    f.Fanout(2);
    f.now += 5s;  // 1 is 11 s old, 2 is 5 s old
    EXPECT_EQ(f.History(), (std::vector<MessageId>{2}));
    f.now += 6s;
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

}  // namespace
}  // namespace rooms
