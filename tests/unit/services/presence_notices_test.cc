#include "services/presence_notices.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "adapters/memory/memory_bus.h"
#include "adapters/memory/memory_history.h"
#include "adapters/memory/memory_presence.h"
#include "support/fakes.h"
#include "support/simulated_time.h"

namespace rooms {
namespace {

using namespace std::chrono_literals;
using Names = std::vector<std::string>;

/// The gateway's notices on the in-process bus, with a simulated clock: nothing moves unless the test says so.
class PresenceNoticesTest : public ::testing::Test {
  protected:
    PresenceNoticesTest() { bus_.Subscribe(&published_); }

    /// The types of what was published, in order ("join", "leave").
    std::vector<std::string> Published() {
        std::vector<std::string> out;
        for (const auto& m : published_.Messages()) {
            out.push_back(m.type == MessageType::kJoin ? "join" : m.type == MessageType::kLeave ? "leave" : "message");
        }
        return out;
    }

    static constexpr RoomId kRoom = 3;
    const Principal alice_{7, "alice"};

    test_support::SimulatedTime time_;
    test_support::FakeMessageStore store_;
    MemoryHistoryCache cache_{10};
    MemoryPresence presence_;
    MemoryBus bus_;
    test_support::RecordingSink published_;
    IdGenerator ids_{1};
    ChatService chat_{bus_, cache_, store_, ids_, nullptr, ChatSettings{}, time_};
    RateLimiter unlimited_{0, 1, time_};
};

TEST_F(PresenceNoticesTest, AReconnectWithinTheGraceMakesNoLeaveOrJoin) {
    PresenceNotices notices(chat_, presence_, unlimited_, 3000ms, time_);
    notices.Arrived(kRoom, alice_, "c1");
    EXPECT_EQ(Published(), (std::vector<std::string>{"join"}));
    EXPECT_EQ(presence_.Online(kRoom), (Names{"alice"}));

    // 300 connect/close cycles, each reconnecting 5 ms after the close.
    std::string conn = "c1";
    for (int i = 0; i < 300; ++i) {
        notices.Departed(kRoom, alice_, conn);
        EXPECT_EQ(presence_.Online(kRoom), (Names{"alice"})) << "present during the grace";
        time_.Advance(5ms);
        EXPECT_EQ(notices.PublishDue(), 0u);
        conn = "c" + std::to_string(i + 2);
        notices.Arrived(kRoom, alice_, conn);
    }
    EXPECT_EQ(Published(), (std::vector<std::string>{"join"})) << "the storm made no notice";
    EXPECT_EQ(notices.pending(), 0u);

    // The last close: the leave comes once the grace is over, and not before.
    notices.Departed(kRoom, alice_, conn);
    time_.Advance(2999ms);
    EXPECT_EQ(notices.PublishDue(), 0u);
    EXPECT_EQ(presence_.Online(kRoom), (Names{"alice"}));
    time_.Advance(1ms);
    EXPECT_EQ(notices.PublishDue(), 1u);
    EXPECT_EQ(Published(), (std::vector<std::string>{"join", "leave"}));
    EXPECT_TRUE(presence_.Online(kRoom).empty());
    EXPECT_EQ(notices.pending(), 0u);

    // A reconnect after the grace is a new join.
    notices.Arrived(kRoom, alice_, "c-late");
    EXPECT_EQ(Published(), (std::vector<std::string>{"join", "leave", "join"}));
}

TEST_F(PresenceNoticesTest, AnotherConnectionOfTheUserKeepsItsOwnNotices) {
    PresenceNotices notices(chat_, presence_, unlimited_, 1000ms, time_);
    notices.Arrived(kRoom, alice_, "tab1");
    notices.Arrived(kRoom, alice_, "tab2");
    EXPECT_EQ(Published(), (std::vector<std::string>{"join", "join"})) << "one notice per connection, as before";
    notices.Departed(kRoom, alice_, "tab1");
    time_.Advance(1000ms);
    notices.PublishDue();
    EXPECT_EQ(Published(), (std::vector<std::string>{"join", "join", "leave"}));
    EXPECT_EQ(presence_.Online(kRoom), (Names{"alice"})) << "tab2 is still open";
    // Another user's reconnect does not continue alice's leave.
    notices.Departed(kRoom, alice_, "tab2");
    notices.Arrived(kRoom, Principal{8, "bob"}, "b1");
    EXPECT_EQ(notices.pending(), 1u);
    time_.Advance(1000ms);
    notices.PublishDue();
    EXPECT_EQ(Published(), (std::vector<std::string>{"join", "join", "leave", "join", "leave"}));
    EXPECT_EQ(presence_.Online(kRoom), (Names{"bob"}));
}

TEST_F(PresenceNoticesTest, NoGraceLeavesAtOnce) {
    PresenceNotices notices(chat_, presence_, unlimited_, 0ms, time_);
    notices.Arrived(kRoom, alice_, "c1");
    notices.Departed(kRoom, alice_, "c1");
    EXPECT_EQ(Published(), (std::vector<std::string>{"join", "leave"}));
    EXPECT_TRUE(presence_.Online(kRoom).empty());
    EXPECT_EQ(notices.pending(), 0u);
}

TEST_F(PresenceNoticesTest, NoticesOverTheUsersRateAreNotAnnouncedNorTheirLeaves) {
    RateLimiter two_then_one_a_second(1, 2, time_);
    PresenceNotices notices(chat_, presence_, two_then_one_a_second, 0ms, time_);
    for (int i = 0; i < 10; ++i) {
        const std::string conn = "c" + std::to_string(i);
        notices.Arrived(kRoom, alice_, conn);
        EXPECT_EQ(presence_.Online(kRoom), (Names{"alice"})) << "listed whether announced or not";
        notices.Departed(kRoom, alice_, conn);
    }
    EXPECT_EQ(Published(), (std::vector<std::string>{"join", "leave", "join", "leave"}))
        << "the burst of two joins, each with its leave; the rest silent in pairs";
    time_.Advance(1s);
    notices.Arrived(kRoom, alice_, "later");
    EXPECT_EQ(published_.Count(), 5u) << "a token back after a second";
}

TEST_F(PresenceNoticesTest, ShutdownEndsThePendingLeaves) {
    {
        PresenceNotices notices(chat_, presence_, unlimited_, 60'000ms, time_);
        notices.Arrived(kRoom, alice_, "c1");
        notices.Departed(kRoom, alice_, "c1");
        EXPECT_EQ(Published(), (std::vector<std::string>{"join"}));
    }
    EXPECT_EQ(Published(), (std::vector<std::string>{"join", "leave"}));
    EXPECT_TRUE(presence_.Online(kRoom).empty());
}

}  // namespace
}  // namespace rooms
